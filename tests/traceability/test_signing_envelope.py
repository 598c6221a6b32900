"""Signed envelopes: signing, every rejection reason, roles, times and the replay rule."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest

from traceability.canonical import canonical_json
from traceability.errors import (
    AlgorithmMismatch,
    EnvelopeRejected,
    IssuedInFuture,
    KeyNotYetValid,
    KeyPartyMismatch,
    KeyRevoked,
    MalformedEnvelope,
    ReplayedEnvelope,
    RoleNotAllowed,
    SignatureInvalid,
    UnknownKey,
    UnknownParty,
)
from traceability.signing import (
    SIGNABLE_DOC_TYPES,
    Algorithm,
    DocType,
    Party,
    PartyKey,
    PartyRegistry,
    Resubmission,
    Role,
    SignedBytes,
    SignedClaim,
    SignedEnvelope,
    SigningKey,
    b64url_encode,
    check_replay,
    envelope_hash,
    new_salt,
    replay_key,
    sign_envelope,
    verify_envelope,
    verify_signature,
    verify_signer,
)

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
SALT = bytes(range(16))
ORDER = {"orderNo": "ORD-2026-0001", "ebpCode": "EBP0000001", "goodsValue": "100.00", "qty": 2}

#: One party per role, with a code that says which.
ROLE_PARTIES = {role: f"{role.value.upper()}-01" for role in Role}
KEYS = {role: SigningKey.generate(Algorithm.ED25519) for role in Role}
OTHER_KEYS = {alg: SigningKey.generate(alg) for alg in Algorithm}


def _key(role: Role, **changes: Any) -> PartyKey:
    key = PartyKey(
        key_id=f"{ROLE_PARTIES[role]}:k1",
        party_code=ROLE_PARTIES[role],
        alg=Algorithm.ED25519,
        public_key=KEYS[role].public_key,
        valid_from=NOW - timedelta(days=30),
    )
    return replace(key, **changes)


def _registry(*keys: PartyKey) -> PartyRegistry:
    parties = [
        Party(code, f"{role.value} company", frozenset({role}))
        for role, code in ROLE_PARTIES.items()
    ]
    return PartyRegistry(parties, keys or [_key(role) for role in Role])


REGISTRY = _registry()


def _sign(
    role: Role = Role.PLATFORM,
    doc_type: DocType = DocType.ORDER,
    *,
    document: dict[str, Any] | None = None,
    issued_at: datetime = NOW,
    salt: bytes = SALT,
    signing_key: SigningKey | None = None,
    key_id: str | None = None,
    party: str | None = None,
) -> SignedEnvelope:
    return sign_envelope(
        ORDER if document is None else document,
        doc_type=doc_type,
        party=party or ROLE_PARTIES[role],
        key_id=key_id or f"{ROLE_PARTIES[role]}:k1",
        signing_key=signing_key or KEYS[role],
        salt=salt,
        issued_at=issued_at,
    )


def _wire(envelope: SignedEnvelope) -> dict[str, Any]:
    return copy.deepcopy(envelope.to_wire())


# --- the happy path -------------------------------------------------------------


@pytest.mark.parametrize("alg", list(Algorithm))
def test_verify_envelope_accepts_every_algorithm(alg: Algorithm) -> None:
    signing_key = OTHER_KEYS[alg]
    registry = _registry(_key(Role.PLATFORM, alg=alg, public_key=signing_key.public_key))
    envelope = _sign(signing_key=signing_key)
    verified = verify_envelope(envelope, registry, now=NOW)
    assert envelope.alg is alg
    assert verified.party.code == ROLE_PARTIES[Role.PLATFORM]
    assert verified.key.key_id == "PLATFORM-01:k1"
    assert verified.doc_type is DocType.ORDER
    assert verified.document == ORDER
    assert verified.issued_at == NOW


def test_sign_envelope_produces_wire_format() -> None:
    wire = _sign().to_wire()
    assert wire == {
        "payload": {
            "docType": "order",
            "party": "PLATFORM-01",
            "keyId": "PLATFORM-01:k1",
            "issuedAt": "2026-11-23T05:00:00.000Z",
            "salt": "AAECAwQFBgcICQoLDA0ODw",
            "document": ORDER,
        },
        "alg": "Ed25519",
        "signature": wire["signature"],
    }
    assert len(wire["signature"]) == 86  # 64 bytes, unpadded base64url


def test_envelope_hash_is_sha256_of_canonical_payload() -> None:
    envelope = _sign()
    expected = hashlib.sha256(canonical_json(envelope.to_wire()["payload"])).digest()
    assert envelope_hash(envelope) == expected
    assert verify_envelope(envelope, REGISTRY, now=NOW).content_hash == expected


def test_envelope_hash_depends_on_salt() -> None:
    assert envelope_hash(_sign(salt=b"\x00" * 16)) != envelope_hash(_sign(salt=b"\x01" * 16))


def test_verify_envelope_accepts_json_round_trip() -> None:
    raw = orjson.dumps(_sign().to_wire(), option=orjson.OPT_INDENT_2)
    verified = verify_envelope(orjson.loads(raw), REGISTRY, now=NOW)
    assert verified.content_hash == envelope_hash(_sign())


def test_verify_envelope_accepts_reordered_json_keys() -> None:
    wire = _wire(_sign(document={"b": 1, "a": {"y": 2, "x": 3}}))
    wire["payload"] = dict(reversed(list(wire["payload"].items())))
    wire["payload"]["document"] = {"a": {"x": 3, "y": 2}, "b": 1}
    assert verify_envelope(wire, REGISTRY, now=NOW).document == {"a": {"x": 3, "y": 2}, "b": 1}


def test_sign_envelope_writes_issued_at_in_utc_milliseconds() -> None:
    beijing = timezone(timedelta(hours=8))
    envelope = _sign(issued_at=datetime(2026, 11, 23, 13, 0, 0, 123456, tzinfo=beijing))
    assert envelope.payload.issued_at == "2026-11-23T05:00:00.123Z"


def test_new_salt_returns_distinct_16_bytes() -> None:
    salts = {new_salt() for _ in range(50)}
    assert len(salts) == 50
    assert {len(salt) for salt in salts} == {16}


# --- rejections -------------------------------------------------------------------


def _tamper(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(wire: dict[str, Any]) -> None:
        target = wire
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return apply


TAMPER_CASES = [
    pytest.param(("payload", "document", "goodsValue"), "1000.00", id="document-value"),
    pytest.param(("payload", "document", "extra"), "x", id="document-new-field"),
    pytest.param(("payload", "issuedAt"), "2026-11-23T04:59:59.000Z", id="issued-at"),
    pytest.param(
        ("payload", "issuedAt"), "2026-11-23T05:00:00Z", id="issued-at-same-instant-other-text"
    ),
    pytest.param(("payload", "salt"), "AAECAwQFBgcICQoLDA0OEA", id="salt"),
    pytest.param(("payload", "docType"), "inventory", id="doc-type"),
]


@pytest.mark.parametrize(("path", "value"), TAMPER_CASES)
def test_verify_envelope_rejects_tampered_payload(path: tuple[str, ...], value: Any) -> None:
    wire = _wire(_sign())
    _tamper(path, value)(wire)
    with pytest.raises(SignatureInvalid) as info:
        verify_envelope(wire, REGISTRY, now=NOW)
    assert (info.value.reason, info.value.field) == ("bad_signature", "signature")


def test_verify_envelope_rejects_signature_of_other_envelope() -> None:
    wire = _wire(_sign())
    wire["signature"] = _sign(salt=b"\x09" * 16).signature
    with pytest.raises(SignatureInvalid):
        verify_envelope(wire, REGISTRY, now=NOW)


def test_verify_envelope_rejects_signature_by_unregistered_key() -> None:
    forged = _sign(signing_key=SigningKey.generate(Algorithm.ED25519))
    with pytest.raises(SignatureInvalid):
        verify_envelope(forged, REGISTRY, now=NOW)


def _revoked_at(moment: datetime) -> PartyRegistry:
    return REGISTRY.with_key(_key(Role.PLATFORM).revoke(moment))


REJECTION_CASES = [
    pytest.param(
        lambda: _sign(key_id="PLATFORM-01:k9"),
        REGISTRY,
        UnknownKey,
        "payload.keyId",
        id="unknown-key",
    ),
    pytest.param(
        lambda: _sign(Role.LOGISTICS, key_id="LOGISTICS-01:k1", party="PLATFORM-01"),
        REGISTRY,
        KeyPartyMismatch,
        "payload.party",
        id="key-of-other-party",
    ),
    pytest.param(
        lambda: _sign(),
        _revoked_at(NOW - timedelta(hours=1)),
        KeyRevoked,
        "payload.keyId",
        id="revoked",
    ),
    pytest.param(
        lambda: _sign(), _revoked_at(NOW), KeyRevoked, "payload.keyId", id="revoked-exactly-now"
    ),
    pytest.param(
        lambda: _sign(issued_at=NOW - timedelta(days=2)),
        _revoked_at(NOW - timedelta(days=1)),
        KeyRevoked,
        "payload.keyId",
        id="revoked-after-issue-before-verification",
    ),
    pytest.param(
        lambda: _sign(issued_at=NOW - timedelta(days=31)),
        REGISTRY,
        KeyNotYetValid,
        "payload.keyId",
        id="issued-before-key-valid",
    ),
    pytest.param(
        lambda: _sign(issued_at=NOW + timedelta(minutes=5, milliseconds=1)),
        REGISTRY,
        IssuedInFuture,
        "payload.issuedAt",
        id="issued-beyond-skew",
    ),
    pytest.param(
        lambda: _sign(issued_at=NOW + timedelta(days=365)),
        REGISTRY,
        IssuedInFuture,
        "payload.issuedAt",
        id="issued-next-year",
    ),
    pytest.param(
        lambda: _sign(Role.LOGISTICS, DocType.PAYMENT),
        REGISTRY,
        RoleNotAllowed,
        "payload.docType",
        id="logistics-signs-payment",
    ),
]


@pytest.mark.parametrize(("make", "registry", "error", "field"), REJECTION_CASES)
def test_verify_envelope_rejects(
    make: Callable[[], SignedEnvelope],
    registry: PartyRegistry,
    error: type[EnvelopeRejected],
    field: str,
) -> None:
    with pytest.raises(error) as info:
        verify_envelope(make(), registry, now=NOW)
    assert isinstance(info.value, EnvelopeRejected)
    assert info.value.field == field
    assert info.value.reason == error.reason
    assert field in str(info.value)


@pytest.mark.parametrize(
    ("issued_at", "revoked_at"),
    [
        pytest.param(NOW + timedelta(minutes=5), None, id="issued-at-skew-limit"),
        pytest.param(NOW - timedelta(days=30), None, id="issued-when-key-became-valid"),
        pytest.param(NOW, NOW + timedelta(seconds=1), id="revocation-scheduled-later"),
    ],
)
def test_verify_envelope_accepts_boundary_times(
    issued_at: datetime, revoked_at: datetime | None
) -> None:
    registry = REGISTRY if revoked_at is None else _revoked_at(revoked_at)
    verify_envelope(_sign(issued_at=issued_at), registry, now=NOW)


def test_verify_envelope_honours_custom_clock_skew() -> None:
    envelope = _sign(issued_at=NOW + timedelta(seconds=30))
    verify_envelope(envelope, REGISTRY, now=NOW, max_clock_skew=timedelta(seconds=30))
    with pytest.raises(IssuedInFuture):
        verify_envelope(envelope, REGISTRY, now=NOW, max_clock_skew=timedelta(seconds=29))


def test_verify_envelope_rejects_alg_mismatch() -> None:
    wire = _wire(_sign())
    wire["alg"] = "ES256"
    with pytest.raises(AlgorithmMismatch) as info:
        verify_envelope(wire, REGISTRY, now=NOW)
    assert info.value.field == "alg"


def test_verify_envelope_rejects_unknown_party() -> None:
    class Directory:
        def get_key(self, key_id: str) -> PartyKey | None:
            return _key(Role.PLATFORM)

        def get_party(self, code: str) -> Party | None:
            return None

    with pytest.raises(UnknownParty) as info:
        verify_envelope(_sign(), Directory(), now=NOW)
    assert info.value.field == "payload.party"


def test_verify_envelope_requires_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        verify_envelope(_sign(), REGISTRY, now=NOW.replace(tzinfo=None))


ROLE_MATRIX = [
    pytest.param(
        role, doc_type, doc_type in SIGNABLE_DOC_TYPES[role], id=f"{role.value}-{doc_type.value}"
    )
    for role in Role
    for doc_type in DocType
]


@pytest.mark.parametrize(("role", "doc_type", "allowed"), ROLE_MATRIX)
def test_verify_envelope_enforces_role_matrix(role: Role, doc_type: DocType, allowed: bool) -> None:
    envelope = _sign(role, doc_type)
    if allowed:
        assert verify_envelope(envelope, REGISTRY, now=NOW).doc_type is doc_type
    else:
        with pytest.raises(RoleNotAllowed):
            verify_envelope(envelope, REGISTRY, now=NOW)


def test_verify_envelope_allows_any_role_of_multi_role_party() -> None:
    party = Party(
        "GROUP-01", "platform with a payment licence", frozenset({Role.PLATFORM, Role.PAYMENT})
    )
    key = _key(Role.PLATFORM, key_id="GROUP-01:k1", party_code="GROUP-01")
    registry = PartyRegistry([party], [key])
    for doc_type in (DocType.ORDER, DocType.PAYMENT):
        envelope = _sign(doc_type=doc_type, party="GROUP-01", key_id="GROUP-01:k1")
        verify_envelope(envelope, registry, now=NOW)
    with pytest.raises(RoleNotAllowed):
        verify_envelope(
            _sign(doc_type=DocType.WAYBILL, party="GROUP-01", key_id="GROUP-01:k1"),
            registry,
            now=NOW,
        )


def test_verify_signature_checks_key_without_registry() -> None:
    envelope = _sign()
    verify_signature(envelope, _key(Role.PLATFORM))
    with pytest.raises(KeyPartyMismatch):
        verify_signature(envelope, _key(Role.PLATFORM, party_code="OTHER"))
    with pytest.raises(UnknownKey):
        verify_signature(envelope, _key(Role.PLATFORM, key_id="other"))
    with pytest.raises(SignatureInvalid):
        verify_signature(envelope, _key(Role.PLATFORM, public_key=KEYS[Role.BANK].public_key))


# --- malformed envelopes ------------------------------------------------------------

MALFORMED_CASES = [
    pytest.param(("payload", "salt"), "AAECAwQFBgcICQoLDA0O", "payload.salt", id="salt-15-bytes"),
    pytest.param(("payload", "salt"), "AAECAwQFBgcICQoLDA0ODw==", "payload.salt", id="salt-padded"),
    pytest.param(
        ("payload", "salt"), "AAECAwQFBgcICQoLDA0ODx", "payload.salt", id="salt-stray-bits"
    ),
    pytest.param(
        ("payload", "salt"), "AAECAwQFBgcICQoLDA0OD+", "payload.salt", id="salt-standard-b64"
    ),
    pytest.param(("payload", "salt"), 16, "payload.salt", id="salt-not-string"),
    pytest.param(
        ("payload", "issuedAt"), "2026-11-23T05:00:00+08:00", "payload.issuedAt", id="issued-offset"
    ),
    pytest.param(
        ("payload", "issuedAt"), "2026-11-23 05:00:00Z", "payload.issuedAt", id="issued-space"
    ),
    pytest.param(
        ("payload", "issuedAt"),
        "2026-02-30T05:00:00.000Z",
        "payload.issuedAt",
        id="issued-no-such-day",
    ),
    pytest.param(("payload", "issuedAt"), 1795410000, "payload.issuedAt", id="issued-epoch-number"),
    pytest.param(("payload", "docType"), "invoice", "payload.docType", id="unknown-doc-type"),
    pytest.param(("payload", "party"), "", "payload.party", id="empty-party"),
    pytest.param(("payload", "keyId"), "key with spaces", "payload.keyId", id="key-id-spaces"),
    pytest.param(
        ("payload", "document"), ["not", "an", "object"], "payload.document", id="document-array"
    ),
    pytest.param(("payload", "version"), 2, "payload.version", id="extra-payload-field"),
    pytest.param(("alg",), "RS256", "alg", id="unknown-alg"),
    pytest.param(("alg",), "none", "alg", id="alg-none"),
    pytest.param(("signature",), "AAAA", "signature", id="signature-short"),
    pytest.param(("signature",), "MEUCIQ" + "A" * 90, "signature", id="signature-der-length"),
    pytest.param(("signature",), "!" * 86, "signature", id="signature-not-base64url"),
    pytest.param(("kid",), "x", "kid", id="extra-envelope-field"),
]


@pytest.mark.parametrize(("path", "value", "field"), MALFORMED_CASES)
def test_parse_envelope_rejects_malformed_field(
    path: tuple[str, ...], value: Any, field: str
) -> None:
    wire = _wire(_sign())
    _tamper(path, value)(wire)
    with pytest.raises(MalformedEnvelope) as info:
        verify_envelope(wire, REGISTRY, now=NOW)
    assert isinstance(info.value, ValueError)
    assert (info.value.reason, info.value.field) == ("malformed_envelope", field)


@pytest.mark.parametrize(
    ("wire", "field"),
    [
        pytest.param({"alg": "Ed25519", "signature": "A" * 86}, "payload", id="missing-payload"),
        pytest.param("not an object", None, id="not-an-object"),
    ],
)
def test_parse_envelope_rejects_wrong_shape(wire: Any, field: str | None) -> None:
    with pytest.raises(MalformedEnvelope) as info:
        SignedEnvelope.parse(wire)
    assert info.value.field == field


def test_parse_envelope_rejects_missing_payload_field() -> None:
    wire = _wire(_sign())
    del wire["payload"]["salt"]
    with pytest.raises(MalformedEnvelope) as info:
        SignedEnvelope.parse(wire)
    assert info.value.field == "payload.salt"


def test_verify_envelope_rejects_document_without_canonical_form() -> None:
    wire = _wire(_sign())
    wire["payload"]["document"]["goodsValue"] = float("nan")
    with pytest.raises(MalformedEnvelope) as info:
        verify_envelope(wire, REGISTRY, now=NOW)
    assert info.value.field == "payload.document"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"salt": b"\x00" * 15}, "payload.salt", id="short-salt"),
        pytest.param({"issued_at": datetime(2026, 11, 23, 5)}, "payload.issuedAt", id="naive-time"),
        pytest.param({"key_id": "bad key"}, "payload.keyId", id="bad-key-id"),
    ],
)
def test_sign_envelope_rejects_bad_arguments(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(MalformedEnvelope) as info:
        _sign(**changes)
    assert info.value.field == field


# --- replay rule ----------------------------------------------------------------------


def test_replay_key_is_key_id_and_salt() -> None:
    assert replay_key(_sign()) == ("PLATFORM-01:k1", "AAECAwQFBgcICQoLDA0ODw")


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        pytest.param(None, Resubmission.NEW, id="first-time"),
        pytest.param("same", Resubmission.IDEMPOTENT, id="identical-resubmission"),
    ],
)
def test_check_replay_classifies_submission(stored: str | None, expected: Resubmission) -> None:
    envelope = _sign()
    stored_hash = envelope_hash(envelope) if stored == "same" else None
    assert check_replay(envelope, stored_hash) is expected


def test_check_replay_treats_resigned_identical_payload_as_idempotent() -> None:
    first = _sign(signing_key=OTHER_KEYS[Algorithm.ES256])
    second = _sign(signing_key=OTHER_KEYS[Algorithm.ES256])
    assert first.signature != second.signature  # ECDSA draws a fresh nonce
    assert check_replay(second, envelope_hash(first)) is Resubmission.IDEMPOTENT


def test_check_replay_rejects_same_salt_with_different_body() -> None:
    original = _sign()
    replayed = _sign(document={**ORDER, "goodsValue": "1.00"})
    assert replay_key(original) == replay_key(replayed)
    with pytest.raises(ReplayedEnvelope) as info:
        check_replay(replayed, envelope_hash(original))
    assert (info.value.reason, info.value.field) == ("replayed_envelope", "payload.salt")


@pytest.mark.parametrize(
    ("claim", "key", "error", "field"),
    [
        pytest.param(
            SignedClaim(NOW + timedelta(minutes=6), b"\x01" * 32),
            _key(Role.PLATFORM),
            IssuedInFuture,
            "payload.issuedAt",
            id="beyond-clock-skew",
        ),
        pytest.param(
            SignedClaim(NOW - timedelta(days=1), b"\x01" * 32),
            _key(Role.PLATFORM, valid_from=NOW),
            KeyNotYetValid,
            "payload.keyId",
            id="before-key-validity",
        ),
    ],
)
def test_check_replay_with_a_key_applies_the_time_rules_of_verify_envelope(
    claim: SignedClaim, key: PartyKey, error: type[Exception], field: str
) -> None:
    assert check_replay(claim, None) is Resubmission.NEW  # without a key: the replay rule only
    with pytest.raises(error) as info:
        check_replay(claim, None, key=key, now=NOW)
    assert info.value.field == field  # type: ignore[attr-defined]


P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def test_high_s_es256_envelope_is_refused_on_submission_but_verifies_once_anchored() -> None:
    """Submissions must be low-S; a bundle anchored before that rule may carry either s,
    and its high-S form proves the same signer signed the same payload."""
    signer = SigningKey.generate(Algorithm.ES256)
    key = _key(Role.PLATFORM, alg=Algorithm.ES256, public_key=signer.public_key)
    genuine = _sign(signing_key=signer)
    raw = genuine.signature_bytes
    high = raw[:32] + (P256_N - int.from_bytes(raw[32:], "big")).to_bytes(32, "big")
    twin = SignedEnvelope.parse({**genuine.to_wire(), "signature": b64url_encode(high)})
    registry = _registry(key)
    verify_envelope(genuine, registry, now=NOW)
    with pytest.raises(SignatureInvalid):
        verify_envelope(twin, registry, now=NOW)
    verify_signature(twin, key)
    assert twin.content_hash == genuine.content_hash


@pytest.mark.parametrize(
    ("claims", "error"),
    [
        pytest.param(
            ((DocType.ORDER, NOW), (DocType.ORDER, NOW - timedelta(days=31))),
            KeyNotYetValid,
            id="one-document-before-the-key",
        ),
        pytest.param(
            ((DocType.ORDER, NOW), (DocType.ORDER, NOW + timedelta(hours=1))),
            IssuedInFuture,
            id="one-document-in-the-future",
        ),
        pytest.param(
            ((DocType.ORDER, NOW), (DocType.PAYMENT, NOW)), RoleNotAllowed, id="one-foreign-type"
        ),
    ],
)
def test_verify_signer_holds_every_claim_of_signed_bytes_to_the_rules(
    claims: tuple[tuple[DocType, datetime], ...], error: type[EnvelopeRejected]
) -> None:
    """Bytes signed once for several documents (a CEB XML message): each one is judged."""
    message = b"<ceb:CEB311Message>...</ceb:CEB311Message>"
    key_id, party = f"{ROLE_PARTIES[Role.PLATFORM]}:k1", ROLE_PARTIES[Role.PLATFORM]
    signature = KEYS[Role.PLATFORM].sign(message)
    good = SignedBytes(party, key_id, None, message, signature, claims[:1])
    assert verify_signer(good, REGISTRY, now=NOW)[1].key_id == key_id
    with pytest.raises(error):
        verify_signer(
            SignedBytes(party, key_id, None, message, signature, claims), REGISTRY, now=NOW
        )
    with pytest.raises(SignatureInvalid):
        verify_signer(
            SignedBytes(party, key_id, None, message + b" ", signature, claims[:1]),
            REGISTRY,
            now=NOW,
        )
