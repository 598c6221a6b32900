"""Parties and keys, called as services with a session (no HTTP), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from api.db import crud
from api.errors import Conflict, NotFound, PermissionDenied, UnprocessableContent
from api.schemas import KeyCreate, KeyPublic, KeyRevoke, PartyCreate
from api.services import parties
from api.services.security import hash_api_key
from tests.api.conftest import World
from traceability import Algorithm, DigestProfile, SigningKey


def _create(world: World, code: str, roles: list[str], **kwargs: object) -> Session:
    session = Session(world.runtime.engine)
    party_in = PartyCreate(code=code, name=f"{code} Ltd", roles=roles, **kwargs)  # type: ignore[arg-type]
    parties.register_party(session=session, runtime=world.runtime, party_in=party_in)
    return session


def test_register_party_stores_only_the_hash_of_its_api_key(world: World) -> None:
    with Session(world.runtime.engine) as session:
        party_in = PartyCreate(code="EBP1", name="EBP", roles=["platform", "logistics"])
        created = parties.register_party(session=session, runtime=world.runtime, party_in=party_in)
        record = crud.get_party(session=session, code="EBP1")
    assert record is not None
    assert record.api_key_hash == hash_api_key(created.api_key)
    assert created.api_key not in record.api_key_hash
    assert parties.party_roles(record) == {"platform", "logistics"}
    assert created.roles == ["logistics", "platform"]


def test_register_party_refuses_a_code_twice(world: World) -> None:
    with _create(world, "EBP1", ["platform"]) as session:
        again = PartyCreate(code="EBP1", name="other", roles=["payment"])
        with pytest.raises(Conflict) as refused:
            parties.register_party(session=session, runtime=world.runtime, party_in=again)
    assert refused.value.field == "code"


def test_register_party_gives_chain_accounts_only_to_chain_roles(world: World) -> None:
    with Session(world.runtime.engine) as session:
        party_in = PartyCreate(code="EBP1", name="EBP", roles=["platform"], chain_account=True)
        with pytest.raises(UnprocessableContent) as refused:
            parties.register_party(session=session, runtime=world.runtime, party_in=party_in)
    assert refused.value.field == "chainAccount"


def test_register_customs_with_chain_account_records_its_address(world: World) -> None:
    with _create(world, "CUS1", ["customs"], chain_account=True) as session:
        record = crud.get_party(session=session, code="CUS1")
        assert record is not None
        assert record.chain_address is not None
        trade = world.ledger.trade
        assert trade.has_role("CUSTOMS_ROLE", record.chain_address)


def test_rotate_api_key_replaces_the_old_key(world: World) -> None:
    with _create(world, "EBP1", ["platform"]) as session:
        before = crud.get_party(session=session, code="EBP1")
        assert before is not None
        old_hash = before.api_key_hash
        rotated = parties.rotate_api_key(session=session, code="EBP1", digest=DigestProfile.SHA256)
        after = crud.get_party(session=session, code="EBP1")
    assert after is not None
    assert after.api_key_hash == hash_api_key(rotated.api_key) != old_hash


def test_require_party_and_require_self_name_the_field(world: World) -> None:
    with _create(world, "EBP1", ["platform"]) as session:
        with pytest.raises(NotFound) as missing:
            parties.require_party(session=session, code="NOPE")
        record = parties.require_party(session=session, code="EBP1")
    assert missing.value.field == "code"
    with pytest.raises(PermissionDenied):
        parties.require_self(record, "OTHER")


def test_revoke_key_keeps_the_first_revocation(world: World) -> None:
    key = SigningKey.generate(Algorithm.ED25519)
    key_in = KeyCreate(key_id="ebp-1", alg="Ed25519", public_key=key.public_key)
    with _create(world, "EBP1", ["platform"]) as session:
        parties.add_key(session=session, party_code="EBP1", key_in=key_in)
        with pytest.raises(Conflict):
            parties.add_key(session=session, party_code="EBP1", key_in=key_in)

        def revoke(code: str, reason: str) -> KeyPublic:
            return parties.revoke_key(
                session=session,
                runtime=world.runtime,
                party_code=code,
                key_id="ebp-1",
                revocation=KeyRevoke(reason=reason),
            )

        first = revoke("EBP1", "lost")
        second = revoke("EBP1", "x")
        with pytest.raises(NotFound):
            revoke("OTHER", "x")
    assert first.revoked_at is not None
    assert second.revoked_at == first.revoked_at
    assert second.revocation_reason == "lost"
