"""The errors a service raises, each with its HTTP status, and the translation of
domain and ledger errors into them (the handlers live in :mod:`api.web.errors`).

Every error body has one shape::

    {"error": "<code>", "message": "<what went wrong>", "field": "<path or null>"}

so a client always learns which field to fix. Routes raise these classes or let
domain errors propagate; :func:`register_error_handlers` turns them into
responses in one place.

Tree::

    ApiError
    ├── BadRequest (400)
    ├── AuthenticationFailed (401)
    ├── PermissionDenied (403)
    ├── NotFound (404)
    ├── Conflict (409)
    ├── PayloadTooLarge (413)
    ├── UnsupportedMediaType (415)
    ├── UnprocessableContent (422)
    ├── RateLimited (429)
    └── ServiceUnavailable (503)
"""

from __future__ import annotations

from typing import Any

from ledger_client import ContractReverted, InsufficientFunds, LedgerError
from traceability import (
    AlgorithmMismatch,
    KeyExpired,
    KeyNotYetValid,
    KeyPartyMismatch,
    KeyRevoked,
    ReplayedEnvelope,
    RoleNotAllowed,
    SignatureInvalid,
    TraceabilityError,
    UnknownKey,
)
from traceability.ceb import DocumentTooLarge


class ApiError(Exception):
    """An error with an HTTP status, a stable code and the offending field."""

    status_code: int = 400
    code: str = "bad_request"

    def __init_subclass__(
        cls, *, status_code: int | None = None, code: str | None = None, **kwargs: Any
    ) -> None:
        """Let each subclass state its status and code in its class line."""
        super().__init_subclass__(**kwargs)
        if status_code is not None:
            cls.status_code = status_code
        if code is not None:
            cls.code = code

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        """The JSON body of the response."""
        return {"error": self.code, "message": self.message, "field": self.field, **self.extra}


class BadRequest(ApiError):
    """The request is malformed in a way no field-level check describes."""


class NestedTooDeep(ApiError, code="too_deep"):
    """A JSON text nests deeper than sandan reads (its parsers recurse once per level)."""


class AuthenticationFailed(ApiError, status_code=401, code="unauthenticated"):
    """No credentials, or credentials that match no party."""


class PermissionDenied(ApiError, status_code=403, code="forbidden"):
    """The authenticated party's roles do not allow this action."""


class NotFound(ApiError, status_code=404, code="not_found"):
    """The named resource does not exist (or is not visible to the caller)."""


class Conflict(ApiError, status_code=409, code="conflict"):
    """The request conflicts with recorded state (replay, double financing...)."""


class PayloadTooLarge(ApiError, status_code=413, code="payload_too_large"):
    """The body exceeds the configured size limit."""


class UnsupportedMediaType(ApiError, status_code=415, code="unsupported_media_type"):
    """The body's Content-Type is missing or not one the route reads."""


class UnprocessableContent(ApiError, status_code=422, code="invalid"):
    """The body is well-formed but a field is invalid."""


class RateLimited(ApiError, status_code=429, code="rate_limited"):
    """The party exceeded its write rate."""


class ServiceUnavailable(ApiError, status_code=503, code="unavailable"):
    """A dependency (chain node, database) cannot be reached right now."""


# Which HTTP status each domain rejection gets; the most specific class wins.
_DOMAIN_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (DocumentTooLarge, 413),
    (ReplayedEnvelope, 409),
    (RoleNotAllowed, 403),
    (KeyPartyMismatch, 403),
    (UnknownKey, 401),
    (KeyRevoked, 401),
    (KeyNotYetValid, 401),
    (KeyExpired, 401),
    (AlgorithmMismatch, 401),
    (SignatureInvalid, 401),
    (TraceabilityError, 422),
)


def domain_error(exc: TraceabilityError) -> ApiError:
    """Translate a domain error into the API error a client sees."""
    status = next(code for cls, code in _DOMAIN_STATUS if isinstance(exc, cls))
    error = ApiError(exc.message, field=exc.field, code=exc.reason)
    error.status_code = status
    return error


def ledger_error(exc: LedgerError) -> ApiError:
    """Translate a ledger error: reverts are conflicts, node trouble is 503."""
    if isinstance(exc, ContractReverted):
        return Conflict(
            f"the contract refused: {exc.error_name}",
            code="contract_reverted",
            extra={"contractError": exc.error_name},
        )
    if isinstance(exc, InsufficientFunds):
        # Not the node's fault: the service's own account must be given ether.
        return ServiceUnavailable(
            f"the chain refused the transaction: {exc}; fund that account",
            code="insufficient_funds",
            extra={"account": exc.address},
        )
    return ServiceUnavailable(f"chain node unavailable: {exc}", code="node_unavailable")
