"""The service's exception handlers and the error responses routes declare.

Every error body has one shape::

    {"error": "<code>", "message": "<what went wrong>", "field": "<path or null>"}

:func:`register_error_handlers` turns :class:`api.errors.ApiError`, domain and
ledger errors and request validation failures into responses in one place.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import ApiError, domain_error, ledger_error
from ledger_client import LedgerError
from traceability import TraceabilityError
from traceability.limits import MAX_REPORTED_ISSUES

logger = logging.getLogger(__name__)


def _error_body_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string"},
            "message": {"type": "string"},
            "field": {"type": ["string", "null"]},
        },
    }


def _described(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _error_body_schema()}},
    }


#: Error responses every router declares, so OpenAPI describes them.
ErrorBodyResponses: dict[int | str, dict[str, Any]] = {
    400: _described("Malformed request (bad header value, empty NDJSON body...)."),
    401: _described("Missing or unknown API key, or a signature that does not verify."),
    403: _described("The caller's roles do not allow this."),
    404: _described("Not found."),
    409: _described("Conflicts with recorded state."),
    413: _described("Body too large."),
    415: _described("Missing or wrong Content-Type; the message names the one expected."),
    422: _described("A field is invalid; `field` names it."),
    429: _described("Rate limited."),
    503: _described("The chain node or database is unavailable; retry."),
}


def error_response(error: ApiError) -> JSONResponse:
    """Render an :class:`ApiError`."""
    headers = {"Retry-After": "1"} if error.status_code in (429, 503) else None
    return JSONResponse(error.body(), status_code=error.status_code, headers=headers)


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def _validation_error(error: dict[str, Any]) -> dict[str, str]:
    # A JSON syntax error's loc is ("body", <character offset>): name the body, keep the offset.
    if error.get("type") == "json_invalid":
        where = error.get("loc", ("body", "?"))[-1]
        reason = (error.get("ctx") or {}).get("error", "invalid JSON")
        return {"field": "body", "message": f"not valid JSON at character {where}: {reason}"}
    return {"field": _field_of(error.get("loc", ())), "message": error.get("msg", "invalid")}


def _validation_response(exc: RequestValidationError) -> JSONResponse:
    found = exc.errors()
    errors = [_validation_error(e) for e in found[:MAX_REPORTED_ISSUES]]
    first = errors[0] if errors else {"field": None, "message": "invalid request"}
    body = {
        "error": "invalid",
        "message": f"{first['field']}: {first['message']}",
        "field": first["field"],
        "errors": errors,
        "errorCount": len(found),
    }
    return JSONResponse(body, status_code=422)


def register_error_handlers(app: FastAPI) -> None:
    """Install every exception handler of the service."""

    async def on_api_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc)

    async def on_validation(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return _validation_response(exc)

    async def on_http(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            {"error": code, "message": str(exc.detail), "field": None},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    async def on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", exc_info=exc)
        return JSONResponse(
            {"error": "internal", "message": "internal error", "field": None}, status_code=500
        )

    async def on_domain(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, TraceabilityError)
        return error_response(domain_error(exc))

    async def on_ledger(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, LedgerError)
        return error_response(ledger_error(exc))

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(TraceabilityError, on_domain)
    app.add_exception_handler(LedgerError, on_ledger)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
