"""Signed envelopes: the wire format, signing, verification and the replay rule.

Wire format (JSON)::

    {"payload": {"docType": "order", "party": "<party code>", "keyId": "<key id>",
                 "issuedAt": "2026-11-23T05:00:00.000Z", "salt": "<base64url, 16 bytes>",
                 "document": {...}},
     "alg": "Ed25519" | "ES256" | "ES256K" | "SM2",
     "signature": "<base64url, 64 bytes>"}

The signature covers the RFC 8785 canonical bytes of ``payload``; the
envelope's content hash (what gets anchored) is SHA-256 of the same bytes.
The random salt keeps a low-entropy document from being guessed from its
hash. ``issuedAt`` and every other field are kept verbatim: re-formatting a
signed field would break the signature.

Revocation: a key revoked at T rejects every verification at or after T,
whatever ``issuedAt`` says (a thief can backdate ``issuedAt``). Envelopes
accepted before T stay accepted; rotation is "register a new key, then revoke
the old one".
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from traceability.canonical import canonical_json
from traceability.digests import DigestProfile
from traceability.errors import (
    AlgorithmMismatch,
    IssuedInFuture,
    KeyExpired,
    KeyNotYetValid,
    KeyPartyMismatch,
    KeyRevoked,
    MalformedEnvelope,
    NotCanonicalizable,
    ReplayedEnvelope,
    RoleNotAllowed,
    SignatureInvalid,
    UnknownKey,
    UnknownParty,
)
from traceability.signing._encoding import (
    b64url_decode,
    b64url_encode,
    format_rfc3339,
    parse_rfc3339,
)
from traceability.signing.algorithms import (
    SIGNATURE_LENGTH,
    Algorithm,
    SigningKey,
    load_public_key,
    without_high_s,
)
from traceability.signing.parties import DocType, Party, PartyDirectory, PartyKey

__all__ = [
    "DEFAULT_MAX_CLOCK_SKEW",
    "SALT_LENGTH",
    "EnvelopePayload",
    "Resubmission",
    "SignedBytes",
    "SignedClaim",
    "SignedEnvelope",
    "VerifiedEnvelope",
    "check_replay",
    "envelope_hash",
    "new_salt",
    "replay_key",
    "sign_envelope",
    "verify_envelope",
    "verify_signature",
    "verify_signer",
]

#: Bytes of randomness in ``payload.salt`` (128 bits).
SALT_LENGTH: Final = 16
#: How far ``issuedAt`` may lie ahead of the verifier's clock.
DEFAULT_MAX_CLOCK_SKEW: Final = timedelta(minutes=5)
# Party codes and key ids: printable, URL- and log-safe identifiers.
_IDENTIFIER: Final = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"


class EnvelopePayload(BaseModel):
    """The signed part of an envelope; field names follow the wire format."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=False)

    doc_type: DocType = Field(alias="docType")
    party: str = Field(pattern=_IDENTIFIER)
    key_id: str = Field(alias="keyId", pattern=_IDENTIFIER)
    issued_at: str = Field(alias="issuedAt")
    salt: str
    document: dict[str, Any]

    @field_validator("issued_at")
    @classmethod
    def _check_issued_at(cls, value: str) -> str:
        parse_rfc3339(value)
        return value

    @field_validator("salt")
    @classmethod
    def _check_salt(cls, value: str) -> str:
        if len(b64url_decode(value)) != SALT_LENGTH:
            raise ValueError(f"salt must encode exactly {SALT_LENGTH} bytes")
        return value

    @cached_property
    def issued_at_datetime(self) -> datetime:
        """``issuedAt`` as an aware UTC datetime."""
        return parse_rfc3339(self.issued_at)

    def to_wire(self) -> dict[str, Any]:
        """Return the payload as the JSON object that was signed."""
        return {
            "docType": self.doc_type.value,
            "party": self.party,
            "keyId": self.key_id,
            "issuedAt": self.issued_at,
            "salt": self.salt,
            "document": self.document,
        }

    @cached_property
    def canonical_bytes(self) -> bytes:
        """RFC 8785 bytes of the payload: what is signed and hashed (computed once)."""
        try:
            return canonical_json(self.to_wire())
        except NotCanonicalizable as exc:
            raise MalformedEnvelope(exc.message, field="payload.document") from exc


class SignedEnvelope(BaseModel):
    """A payload, the algorithm and the detached base64url signature over its canonical bytes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    payload: EnvelopePayload
    alg: Algorithm
    signature: str

    @field_validator("signature")
    @classmethod
    def _check_signature(cls, value: str) -> str:
        size = len(b64url_decode(value))
        if size != SIGNATURE_LENGTH:
            raise ValueError(
                f"signature must be {SIGNATURE_LENGTH} raw bytes (r‖s for ECDSA/SM2, "
                f"DER is not accepted), got {size}"
            )
        return value

    @classmethod
    def parse(cls, data: object) -> SignedEnvelope:
        """Validate a decoded JSON object; raise :class:`MalformedEnvelope` naming the field."""
        return _validate(cls, data, prefix="")

    @cached_property
    def signature_bytes(self) -> bytes:
        """The 64 raw signature bytes."""
        return b64url_decode(self.signature)

    @cached_property
    def content_hash(self) -> bytes:
        """SHA-256 of the canonical payload bytes: the hash an EPCIS capture is stored
        under, and a trade document's in a zone of the default profile (:meth:`digest`)."""
        return hashlib.sha256(self.payload.canonical_bytes).digest()

    def digest(self, profile: DigestProfile) -> bytes:
        """The content hash under ``profile``: the 32 bytes a trade document is anchored as."""
        if profile is DigestProfile.SHA256:
            return self.content_hash
        return profile.digest(self.payload.canonical_bytes)

    def to_wire(self) -> dict[str, Any]:
        """Return the envelope as its JSON object."""
        return {
            "payload": self.payload.to_wire(),
            "alg": self.alg.value,
            "signature": self.signature,
        }


@dataclass(frozen=True, slots=True)
class VerifiedEnvelope:
    """An envelope that passed every check, with who signed it and its content hash."""

    envelope: SignedEnvelope
    party: Party
    key: PartyKey
    content_hash: bytes
    issued_at: datetime

    @property
    def doc_type(self) -> DocType:
        """The document type of the verified payload."""
        return self.envelope.payload.doc_type

    @property
    def document(self) -> dict[str, Any]:
        """The verified document."""
        return self.envelope.payload.document


_Model = TypeVar("_Model", bound=BaseModel)


def _validate(model: type[_Model], data: object, *, prefix: str) -> _Model:
    """Validate ``data`` as ``model``, turning the first error into :class:`MalformedEnvelope`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(part) for part in (*([prefix] if prefix else []), *first["loc"]))
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise MalformedEnvelope(f"{first['msg']}{more}", field=path or None) from exc


def new_salt() -> bytes:
    """Return 16 fresh random bytes for ``payload.salt`` (reads the OS randomness source)."""
    return secrets.token_bytes(SALT_LENGTH)


def sign_envelope(
    document: Mapping[str, Any],
    *,
    doc_type: DocType | str,
    party: str,
    key_id: str,
    signing_key: SigningKey,
    salt: bytes,
    issued_at: datetime,
) -> SignedEnvelope:
    """Build the payload, sign its canonical bytes and return the envelope.

    ``salt`` (16 bytes, e.g. from :func:`new_salt`) and ``issued_at`` (aware)
    are passed in so that the domain never reads the clock or randomness itself.
    """
    if len(salt) != SALT_LENGTH:
        raise MalformedEnvelope(f"salt must be {SALT_LENGTH} bytes", field="payload.salt")
    try:
        issued = format_rfc3339(issued_at)
    except ValueError as exc:
        raise MalformedEnvelope(str(exc), field="payload.issuedAt") from exc
    wire = {
        "docType": str(doc_type),
        "party": party,
        "keyId": key_id,
        "issuedAt": issued,
        "salt": b64url_encode(salt),
        "document": dict(document),
    }
    payload = _validate(EnvelopePayload, wire, prefix="payload")
    signature = signing_key.sign(payload.canonical_bytes)
    return SignedEnvelope(payload=payload, alg=signing_key.alg, signature=b64url_encode(signature))


@dataclass(frozen=True, slots=True)
class SignedBytes:
    """Bytes a party signed, however they travelled, and what it claims with them.

    A JSON envelope signs its canonical payload and claims one document; a CEB XML
    message signs its own bytes and claims each business document in it. ``claims``
    lists each document's type and ``issuedAt``; ``alg`` is None when the carrier names
    none (the XML headers), and then the key's algorithm is used.
    """

    party: str
    key_id: str
    alg: Algorithm | None
    message: bytes
    signature: bytes
    claims: tuple[tuple[DocType, datetime], ...]

    @classmethod
    def of(cls, envelope: SignedEnvelope) -> SignedBytes:
        """What a JSON envelope signs and claims."""
        payload = envelope.payload
        return cls(
            payload.party,
            payload.key_id,
            envelope.alg,
            payload.canonical_bytes,
            envelope.signature_bytes,
            ((payload.doc_type, payload.issued_at_datetime),),
        )


def verify_signature(envelope: SignedEnvelope, key: PartyKey) -> None:
    """Check that ``key`` matches the envelope's party and alg and that the signature verifies.

    This is the check a verifier holding only the bundle's public key can make;
    :func:`verify_envelope` adds registry, time and role checks. It takes an ES256
    signature in either form (:func:`~traceability.signing.algorithms.without_high_s`),
    as envelopes anchored before the low-S rule may carry either; submissions get
    :func:`verify_signer`, which refuses high-S.
    """
    signed = SignedBytes.of(envelope)
    low_s = dataclasses.replace(signed, signature=without_high_s(envelope.alg, signed.signature))
    _check_signature(low_s, key)


def _check_signature(signed: SignedBytes, key: PartyKey) -> None:
    if key.key_id != signed.key_id:
        raise UnknownKey(f"key {key.key_id!r} is not the envelope's key", field="payload.keyId")
    if key.party_code != signed.party:
        raise KeyPartyMismatch(
            f"key {key.key_id!r} belongs to party {key.party_code!r}, not {signed.party!r}",
            field="payload.party",
        )
    if signed.alg is not None and key.alg is not signed.alg:
        raise AlgorithmMismatch(
            f"key {key.key_id!r} is registered for {key.alg.value}, not {signed.alg.value}",
            field="alg",
        )
    verifier = load_public_key(key.alg, key.public_key)
    if not verifier.verify(signed.signature, signed.message):
        raise SignatureInvalid(
            f"signature does not verify with key {key.key_id!r}", field="signature"
        )


def verify_signer(
    signed: SignedBytes,
    directory: PartyDirectory,
    *,
    now: datetime,
    max_clock_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
) -> tuple[Party, PartyKey]:
    """Run every signer check on ``signed``; return the signing party and its key.

    The one set of checks for every way in (JSON envelopes, bulk lines, EPCIS captures,
    CEB XML): the key is registered to the party, not revoked at ``now``; each claimed
    ``issuedAt`` lies within the key's validity and no more than ``max_clock_skew``
    ahead of ``now``; the party's roles may sign each claimed type; and, last because it
    costs most, the signature verifies. Each failure raises its own
    :class:`~traceability.errors.EnvelopeRejected` subclass with ``reason`` and ``field``.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    key = directory.get_key(signed.key_id)
    if key is None:
        raise UnknownKey(f"key {signed.key_id!r} is not registered", field="payload.keyId")
    party = directory.get_party(signed.party)
    if party is None:
        raise UnknownParty(f"party {signed.party!r} is not registered", field="payload.party")
    for doc_type, issued_at in signed.claims:
        _check_times(key, issued_at, now=now, max_clock_skew=max_clock_skew)
        if not party.may_sign(doc_type):
            roles = ", ".join(sorted(role.value for role in party.roles)) or "none"
            raise RoleNotAllowed(
                f"party {party.code!r} (roles: {roles}) may not sign {doc_type.value!r}",
                field="payload.docType",
            )
    _check_signature(signed, key)
    return party, key


def verify_envelope(
    envelope: SignedEnvelope | Mapping[str, Any],
    directory: PartyDirectory,
    *,
    now: datetime,
    max_clock_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
    profile: DigestProfile = DigestProfile.SHA256,
) -> VerifiedEnvelope:
    """Parse ``envelope`` if needed, run :func:`verify_signer` on it and return it verified,
    with its content hash under the zone's digest ``profile``.

    Cheap checks run before the signature, so junk costs little.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if not isinstance(envelope, SignedEnvelope):
        envelope = SignedEnvelope.parse(envelope)
    party, key = verify_signer(
        SignedBytes.of(envelope), directory, now=now, max_clock_skew=max_clock_skew
    )
    issued_at = envelope.payload.issued_at_datetime
    return VerifiedEnvelope(envelope, party, key, envelope.digest(profile), issued_at)


def _check_times(
    key: PartyKey, issued_at: datetime, *, now: datetime, max_clock_skew: timedelta
) -> None:
    """Apply the revocation, clock-skew and validity-start rules."""
    if key.is_revoked(now):
        raise KeyRevoked(
            f"key {key.key_id!r} was revoked at {format_rfc3339(key.revoked_at or now)}",
            field="payload.keyId",
        )
    if issued_at > now + max_clock_skew:
        raise IssuedInFuture(
            f"issuedAt is {issued_at - now} ahead of the verifier's clock "
            f"(allowed: {max_clock_skew})",
            field="payload.issuedAt",
        )
    if issued_at < key.valid_from:
        raise KeyNotYetValid(
            f"key {key.key_id!r} is valid from {format_rfc3339(key.valid_from)}, after issuedAt",
            field="payload.keyId",
        )
    if key.valid_until is not None and max(issued_at, now) > key.valid_until:
        # A certificate vouches for its key until notAfter: after it, the key signs
        # nothing more, whatever issuedAt the signer claims.
        raise KeyExpired(
            f"key {key.key_id!r} was valid until {format_rfc3339(key.valid_until)}"
            " (its certificate's end)",
            field="payload.keyId",
        )


def envelope_hash(envelope: SignedEnvelope) -> bytes:
    """Return the SHA-256 content hash of the canonical payload bytes (the default digest
    profile; :meth:`SignedEnvelope.digest` takes the zone's)."""
    return envelope.content_hash


def replay_key(envelope: SignedEnvelope) -> tuple[str, str]:
    """Return the (keyId, salt) pair under which an accepted envelope is remembered."""
    return (envelope.payload.key_id, envelope.payload.salt)


class Resubmission(StrEnum):
    """What a submission is, given what was stored under its :func:`replay_key`."""

    NEW = "new"
    IDEMPOTENT = "idempotent"


@dataclass(frozen=True, slots=True)
class SignedClaim:
    """What the replay rule needs of a signed submission, whatever carried it (JSON or CEB XML)."""

    issued_at: datetime
    content_hash: bytes

    @classmethod
    def of(cls, envelope: SignedEnvelope) -> SignedClaim:
        """The claim of a JSON envelope."""
        return cls(envelope.payload.issued_at_datetime, envelope.content_hash)


def check_replay(
    submitted: SignedEnvelope | SignedClaim,
    stored_hash: bytes | None,
    *,
    key: PartyKey | None = None,
    now: datetime | None = None,
    max_clock_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
) -> Resubmission:
    """Classify a submission against the hash stored under its replay key.

    With ``key`` and ``now`` the submission must first lie inside its key's
    validity and the clock-skew window (the rules :func:`verify_envelope`
    applies), so a payload whose signature is checked elsewhere (CEB XML) meets
    the same time rules. Then: nothing stored, new; the same content hash, an
    idempotent resubmission of the same payload; another hash, the (keyId,
    salt) pair is being reused for a different body, which is refused with
    :class:`ReplayedEnvelope`.
    """
    claim = SignedClaim.of(submitted) if isinstance(submitted, SignedEnvelope) else submitted
    if (key is None) != (now is None):
        raise ValueError("pass key and now together")
    if key is not None and now is not None:
        if now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")
        _check_times(key, claim.issued_at, now=now, max_clock_skew=max_clock_skew)
    if stored_hash is None:
        return Resubmission.NEW
    if stored_hash == claim.content_hash:
        return Resubmission.IDEMPOTENT
    raise ReplayedEnvelope(
        "this keyId and salt already signed a different document", field="payload.salt"
    )
