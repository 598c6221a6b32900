"""Parties, roles, registered keys and the in-memory registry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from traceability.errors import InvalidKey
from traceability.signing import (
    SIGNABLE_DOC_TYPES,
    Algorithm,
    DocType,
    Party,
    PartyKey,
    PartyRegistry,
    Role,
    SigningKey,
    may_sign,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PUBLIC = SigningKey.generate(Algorithm.ED25519).public_key


def _key(key_id: str = "EBP-01:k1", party: str = "EBP-01", public_key: str = PUBLIC) -> PartyKey:
    return PartyKey(key_id, party, Algorithm.ED25519, public_key, T0)


@pytest.mark.parametrize(
    ("role", "doc_types"),
    [
        (
            Role.PLATFORM,
            {DocType.ORDER, DocType.INVENTORY, DocType.RETURN, DocType.EXPORT_RETURN},
        ),
        (Role.PAYMENT, {DocType.PAYMENT}),
        (Role.LOGISTICS, {DocType.WAYBILL, DocType.EPCIS_EVENT}),
        (Role.CUSTOMS, {DocType.RELEASE}),
        (Role.BANK, {DocType.SETTLEMENT, DocType.FINANCING}),
        (Role.PRODUCER, {DocType.EPCIS_EVENT}),
        (Role.INSPECTOR, {DocType.EPCIS_EVENT}),
        (Role.WAREHOUSE, {DocType.EPCIS_EVENT}),
        (Role.REGULATOR, set()),  # supervises: signs no document
    ],
)
def test_signable_doc_types_follow_design(role: Role, doc_types: set[DocType]) -> None:
    assert SIGNABLE_DOC_TYPES[role] == doc_types
    assert all(may_sign([role], doc_type) for doc_type in doc_types)
    assert not any(may_sign([role], other) for other in set(DocType) - doc_types)


def test_role_names_its_contract_role() -> None:
    assert [role.contract_role for role in Role] == [
        "PLATFORM_ROLE",
        "PAYMENT_ROLE",
        "LOGISTICS_ROLE",
        "CUSTOMS_ROLE",
        "BANK_ROLE",
        "PRODUCER_ROLE",
        "INSPECTOR_ROLE",
        "WAREHOUSE_ROLE",
        "REGULATOR_ROLE",
    ]


def test_party_coerces_role_names() -> None:
    party = Party("EBP-01", "Platform", frozenset({"platform", Role.PAYMENT}))  # type: ignore[arg-type]
    assert party.roles == {Role.PLATFORM, Role.PAYMENT}
    assert party.may_sign(DocType.PAYMENT)
    assert not party.may_sign(DocType.WAYBILL)


def test_party_without_roles_may_sign_nothing() -> None:
    assert not any(Party("X-01", "no roles").may_sign(doc_type) for doc_type in DocType)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        pytest.param({"public_key": "not-a-key"}, InvalidKey, id="bad-public-key"),
        pytest.param({"key_id": ""}, InvalidKey, id="empty-key-id"),
        pytest.param({"valid_from": datetime(2026, 1, 1)}, ValueError, id="naive-valid-from"),
    ],
)
def test_party_key_rejects_invalid_fields(
    kwargs: dict[str, object], error: type[Exception]
) -> None:
    fields: dict[str, object] = {
        "key_id": "EBP-01:k1",
        "party_code": "EBP-01",
        "alg": Algorithm.ED25519,
        "public_key": PUBLIC,
        "valid_from": T0,
    }
    with pytest.raises(error):
        PartyKey(**{**fields, **kwargs})  # type: ignore[arg-type]


def test_party_key_revocation_takes_effect_at_revoked_at() -> None:
    key = _key().revoke(T0 + timedelta(days=1))
    assert not key.is_revoked(T0 + timedelta(hours=23))
    assert key.is_revoked(T0 + timedelta(days=1))
    assert key.revoke(T0 + timedelta(days=5)).revoked_at == T0 + timedelta(days=1)  # earliest wins
    assert key.revoke(T0 + timedelta(hours=1)).revoked_at == T0 + timedelta(hours=1)


def test_registry_looks_up_parties_and_keys() -> None:
    registry = PartyRegistry([Party("EBP-01", "Platform", frozenset({Role.PLATFORM}))], [_key()])
    assert registry.get_key("EBP-01:k1") == _key()
    assert registry.get_key("missing") is None
    assert registry.get_party("EBP-01") is not None
    assert registry.get_party("missing") is None
    assert len(registry.parties) == 1
    assert len(registry.keys) == 1


@pytest.mark.parametrize(
    ("parties", "keys", "message"),
    [
        pytest.param([Party("A", "a"), Party("A", "b")], [], "listed twice", id="duplicate-party"),
        pytest.param([Party("EBP-01", "a")], [_key(), _key()], "listed twice", id="duplicate-key"),
        pytest.param([], [_key()], "unknown party", id="key-of-unknown-party"),
        pytest.param(
            [Party("EBP-01", "a"), Party("THIEF", "t")],
            [_key(), _key("THIEF:k1", party="THIEF")],
            "public key of 'EBP-01:k1'",
            id="another-partys-public-key",
        ),
        pytest.param(
            [Party("EBP-01", "a")],
            [_key(), _key("EBP-01:k2")],
            "public key of",
            id="one-key-two-ids",
        ),
    ],
)
def test_registry_rejects_inconsistent_input(
    parties: list[Party], keys: list[PartyKey], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        PartyRegistry(parties, keys)


def test_registry_with_key_records_rotation_and_revocation() -> None:
    registry = PartyRegistry([Party("EBP-01", "Platform")], [_key()])
    new_public = SigningKey.generate(Algorithm.ED25519).public_key
    rotated = registry.with_key(_key("EBP-01:k2", public_key=new_public)).with_key(
        _key().revoke(T0)
    )
    assert rotated.get_key("EBP-01:k1") == _key().revoke(T0)
    assert rotated.get_key("EBP-01:k2") is not None
    assert registry.get_key("EBP-01:k1") == _key()  # the original registry is unchanged


@pytest.mark.parametrize(
    "replacement",
    [
        pytest.param(
            _key(public_key=SigningKey.generate(Algorithm.ED25519).public_key), id="other-material"
        ),
        pytest.param(_key(), id="unrevoke"),
    ],
)
def test_registry_with_key_refuses_rewriting_a_key(replacement: PartyKey) -> None:
    registry = PartyRegistry([Party("EBP-01", "Platform")], [_key().revoke(T0)])
    with pytest.raises(ValueError, match="key"):
        registry.with_key(replacement)
