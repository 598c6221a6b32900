"""Signed envelopes, signature algorithms and the party registry.

See :mod:`traceability.signing.envelope` for the wire format and the
verification rules, :mod:`traceability.signing.algorithms` for key and
signature encodings, and :mod:`traceability.signing.parties` for roles.
"""

from traceability.signing._encoding import b64url_decode, b64url_encode
from traceability.signing.algorithms import (
    SIGNATURE_LENGTH,
    Algorithm,
    PublicKeyVerifier,
    SigningKey,
    canonical_public_key,
    load_public_key,
    public_key_fingerprint,
    without_high_s,
)
from traceability.signing.envelope import (
    DEFAULT_MAX_CLOCK_SKEW,
    SALT_LENGTH,
    EnvelopePayload,
    Resubmission,
    SignedBytes,
    SignedClaim,
    SignedEnvelope,
    VerifiedEnvelope,
    check_replay,
    envelope_hash,
    new_salt,
    replay_key,
    sign_envelope,
    verify_envelope,
    verify_signature,
    verify_signer,
)
from traceability.signing.parties import (
    SIGNABLE_DOC_TYPES,
    DocType,
    Party,
    PartyDirectory,
    PartyKey,
    PartyRegistry,
    Role,
    may_sign,
)

__all__ = [
    "DEFAULT_MAX_CLOCK_SKEW",
    "SALT_LENGTH",
    "SIGNABLE_DOC_TYPES",
    "SIGNATURE_LENGTH",
    "Algorithm",
    "DocType",
    "EnvelopePayload",
    "Party",
    "PartyDirectory",
    "PartyKey",
    "PartyRegistry",
    "PublicKeyVerifier",
    "Resubmission",
    "Role",
    "SignedBytes",
    "SignedClaim",
    "SignedEnvelope",
    "SigningKey",
    "VerifiedEnvelope",
    "b64url_decode",
    "b64url_encode",
    "canonical_public_key",
    "check_replay",
    "envelope_hash",
    "load_public_key",
    "may_sign",
    "new_salt",
    "public_key_fingerprint",
    "replay_key",
    "sign_envelope",
    "verify_envelope",
    "verify_signature",
    "verify_signer",
    "without_high_s",
]
