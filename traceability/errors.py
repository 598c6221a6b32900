"""Exceptions raised by the pure ``traceability`` domain.

Every exception carries a machine ``reason`` code and, where one applies, the
JSON path of the offending ``field`` (for example ``"payload.issuedAt"``), so
the API can answer with a 4xx body that names both without parsing messages.

Tree::

    TraceabilityError
    ├── InvalidDocument (ValueError)            a document or JSON value is not acceptable
    │   └── NotCanonicalizable                  the value has no RFC 8785 canonical form
    ├── InvalidKey (ValueError)                 key material or algorithm name is malformed
    ├── InvalidMerkleInput (ValueError)         Merkle tree input is malformed
    │   ├── DuplicateLeaf                       the same value was given twice
    │   └── LeafNotInTree (LookupError)         a proof was asked for a value not in the tree
    └── EnvelopeRejected                        a signed envelope must not be accepted
        ├── MalformedEnvelope (ValueError)      wrong shape, type or encoding of a field
        ├── UnknownKey (LookupError)            keyId is not registered
        ├── UnknownParty (LookupError)          the party named by the envelope is not registered
        ├── KeyPartyMismatch                    keyId belongs to another party
        ├── KeyRevoked                          the key was revoked at or before verification
        ├── KeyNotYetValid                      the key's validity starts after issuedAt / now
        ├── KeyExpired                          the key's validity (its certificate) has ended
        ├── AlgorithmMismatch                   alg differs from the registered key's alg
        ├── SignatureInvalid                    the signature does not verify
        ├── RoleNotAllowed                      the party's roles may not sign this docType
        ├── IssuedInFuture                      issuedAt lies beyond the allowed clock skew
        └── ReplayedEnvelope                    (keyId, salt) was already used for other bytes
"""

# STYLE.md names exceptions by meaning (InvalidEvent, ContractReverted), not with an Error suffix.

from __future__ import annotations

import re
from typing import Any

# No __all__ here: the package's __init__ lists the public API once; every class here is in it.


class TraceabilityError(Exception):
    """Root of every error raised by ``traceability``."""

    #: Machine-readable code: the class name in snake case unless the class sets
    #: its own (``SignatureInvalid.reason == "bad_signature"``); callers may pass one.
    reason: str = "traceability_error"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "reason" not in cls.__dict__:
            cls.reason = _snake_case(cls.__name__)

    def __init__(self, message: str, field: str | None = None, *, reason: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if reason is not None:
            self.reason = reason

    def __str__(self) -> str:
        if self.field is None:
            return self.message
        return f"{self.field}: {self.message}"


def _snake_case(name: str) -> str:
    """``KeyNotYetValid`` → ``key_not_yet_valid``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# --- documents and JSON -----------------------------------------------------


class InvalidDocument(TraceabilityError, ValueError):
    """Raised when a document or JSON value is not acceptable to the domain."""


class NotCanonicalizable(InvalidDocument):
    """Raised when a value has no RFC 8785 canonical form (NaN, huge int, float money...)."""


# --- keys -------------------------------------------------------------------


class InvalidKey(TraceabilityError, ValueError):
    """Raised when key material is malformed or names an unsupported algorithm."""


# --- Merkle trees -----------------------------------------------------------


class InvalidMerkleInput(TraceabilityError, ValueError):
    """Raised when Merkle tree input (values, proofs, roots) is malformed."""


class DuplicateLeaf(InvalidMerkleInput):
    """Raised when a Merkle tree is built from a list holding the same value twice."""


class LeafNotInTree(InvalidMerkleInput, LookupError):
    """Raised when a proof is requested for a value that is not a leaf of the tree."""


# --- signed envelopes -------------------------------------------------------


class EnvelopeRejected(TraceabilityError):
    """Base of every reason a signed envelope is refused."""


class MalformedEnvelope(EnvelopeRejected, ValueError):
    """Raised when an envelope field has the wrong shape, type or encoding."""


class UnknownKey(EnvelopeRejected, LookupError):
    """Raised when the envelope's keyId is not registered."""


class UnknownParty(EnvelopeRejected, LookupError):
    """Raised when the party named by the envelope is not registered."""


class KeyPartyMismatch(EnvelopeRejected):
    """Raised when the envelope's keyId is registered to a different party."""


class KeyRevoked(EnvelopeRejected):
    """Raised when the signing key was revoked at or before the verification time."""


class KeyNotYetValid(EnvelopeRejected):
    """Raised when the signing key's validity starts after issuedAt or after now."""


class KeyExpired(EnvelopeRejected):
    """Raised when the signing key's validity (its certificate's) ended before issuedAt or
    before now."""


class AlgorithmMismatch(EnvelopeRejected):
    """Raised when the envelope's alg differs from the algorithm of the registered key."""

    reason = "alg_mismatch"


class SignatureInvalid(EnvelopeRejected):
    """Raised when the signature does not verify over the canonical payload bytes."""

    reason = "bad_signature"


class RoleNotAllowed(EnvelopeRejected):
    """Raised when none of the signing party's roles may sign the envelope's docType."""


class IssuedInFuture(EnvelopeRejected):
    """Raised when issuedAt lies further in the future than the allowed clock skew."""


class ReplayedEnvelope(EnvelopeRejected):
    """Raised when (keyId, salt) was already accepted for different payload bytes."""
