"""Chain accounts added later and rotated: the new account acts, the old one cannot, and
what the old one did still verifies."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_utils.crypto import keccak
from sqlmodel import Session, col, select

from api.anchoring.payloads import RegistryPayload
from api.db import crud
from api.db.models import OutboxRecord
from api.verify.verifier import Outcome
from ledger_client import AuthorizationAction, ContractReverted, Signed
from ledger_client.events import TradesReleased
from tests.api.conftest import World, WorldStage, stage_fixtures
from tests.api.factories import Actor
from tests.api.services.test_self_custody import VERIFIER_BEHIND_BUNDLE_FORMAT, _signed, _trade
from tests.api.web.routes.test_trade_flow import submit
from traceability.signing.registry_ids import party_id
from traceability.trade import samples

CUSTOMS = "GACC-ROT"


def _parties(world: World) -> dict[str, Actor]:
    return {
        "platform": world.actor(samples.PLATFORM[0], ["platform"]),
        "payment": world.actor(samples.PAYER_COMPANY[0], ["payment"]),
        "logistics": world.actor(samples.CARRIER[0], ["logistics"]),
        "customs": world.actor(CUSTOMS, ["customs"]),  # registered without an account
        "bank_a": world.actor("BANK-ROT", ["bank"], chain_account=True),
    }


def _party(world: World, parties: dict[str, Actor], code: str = CUSTOMS) -> dict[str, Any]:
    response = world.client.get(f"/parties/{code}", headers=parties["platform"].headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _released_by(world: World, receipt: dict[str, Any]) -> str:
    block = receipt["blockNumber"]
    (event,) = world.ledger.trade.find_events(TradesReleased, block, block)
    return str(event.customs)


def _registry_ops(world: World) -> list[str]:
    with Session(world.runtime.engine) as session:
        rows = session.exec(
            select(OutboxRecord)
            .where(col(OutboxRecord.subject).startswith(f"party:{CUSTOMS}:account"))
            .order_by(col(OutboxRecord.id))
        ).all()
    return [RegistryPayload.from_json(r.payload).op for r in rows]


def _custodial_key(world: World) -> Any:
    with Session(world.runtime.engine) as session:
        record = crud.get_chain_account(session=session, party_code=CUSTOMS)
        assert record is not None
        return Account.from_key(
            world.runtime.keystore.decrypt(record.encrypted_key.encode()).decode()
        )


world_stage, parties = stage_fixtures("parties", WorldStage("rotation parties", _parties))


@VERIFIER_BEHIND_BUNDLE_FORMAT
def test_rotated_account_acts_and_the_old_one_is_refused_but_still_verifies(
    world: World, parties: dict[str, Actor]
) -> None:
    customs = parties["customs"].headers
    first = submit(world, parties, samples.import_trade())[0]["tradeId"]
    world.worker.drain()
    refused = world.client.post(f"/customs/trades/{first}/release", headers=customs)
    assert (refused.status_code, refused.json()["error"]) == (403, "no_chain_account")

    created = world.client.post(f"/parties/{CUSTOMS}/chain-account", headers=world.admin)
    assert created.status_code == 201, created.text
    old = created.json()["chainAddress"]
    again = world.client.post(
        f"/parties/{CUSTOMS}/chain-account", json={"custodial": True}, headers=world.admin
    )
    assert (again.status_code, again.json()["error"]) == (409, "has_chain_account")
    assert "/chain-account/rotate" in again.json()["message"]
    old_key = _custodial_key(world)
    released = world.client.post(f"/customs/trades/{first}/release", headers=customs)
    assert released.status_code == 200, released.text
    assert _released_by(world, released.json()).lower() == old.lower()
    bank = parties["bank_a"].headers
    bundle = world.client.get(f"/banks/trades/{first}/bundle", headers=bank).json()

    rotated = world.client.post(f"/parties/{CUSTOMS}/chain-account/rotate", headers=world.admin)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["chainAddress"]
    assert new.lower() != old.lower()
    assert _party(world, parties)["chainAddress"] == new
    assert _party(world, parties)["chainStatus"] == "pending"
    assert _custodial_key(world).address == new  # the old key is gone from the database
    assert _registry_ops(world)[-2:] == ["removeAccount", "addAccount"]
    world.worker.drain()
    assert _party(world, parties)["chainStatus"] == "confirmed"
    registry = world.ledger.party
    assert registry.account_of(old) is None
    account = registry.account_of(new)
    assert account is not None
    assert account.party_id == party_id(CUSTOMS)
    assert not world.ledger.trade.has_role("CUSTOMS_ROLE", old)

    second = submit(
        world,
        parties,
        samples.import_trade(
            samples.ImportTerms(
                order_no="ROT2", logistics_no="SF0000000000002", pay_transaction_id="AP2"
            )
        ),
    )[0]["tradeId"]
    world.worker.drain()
    # The old key, signing offline, is refused by sandan (not the party's account) and by
    # the contract itself (no role), whoever relays it.
    stale = _signed(world, old_key, AuthorizationAction.RELEASE, [second])
    answer = world.client.post("/customs/releases/signed", json=stale, headers=customs)
    assert (answer.status_code, answer.json()["error"]) == (403, "not_your_account")
    assert old_key.address in answer.json()["message"]
    trade = _trade(world, second)
    assert trade.verdict_batch is not None
    assert trade.verdict_position is not None
    batch, position = trade.verdict_batch, trade.verdict_position
    by = Signed(old_key.address, stale["nonce"], stale["deadline"], stale["signature"])
    with pytest.raises(ContractReverted) as exc_info:
        world.ledger.relayer().release_trades_with_sig(batch, [position], by)
    assert exc_info.value.error_name == "AccessControlUnauthorizedAccount"
    assert exc_info.value.args == (old_key.address, keccak(text="CUSTOMS_ROLE"))
    released = world.client.post(f"/customs/trades/{second}/release", headers=customs)
    assert released.status_code == 200, released.text
    assert _released_by(world, released.json()).lower() == new.lower()
    assert world.verify(bundle).outcome is Outcome.AUTHENTIC  # released by the old account


def test_put_rotates_a_custodial_account_to_self_custody_once(
    world: World, parties: dict[str, Actor]
) -> None:
    created = world.client.post(f"/parties/{CUSTOMS}/chain-account", headers=world.admin)
    assert created.status_code == 201, created.text
    custodial = created.json()["chainAddress"]
    officer = Account.create()
    body = {"address": officer.address}
    moved = world.client.put(f"/parties/{CUSTOMS}/chain-account", json=body, headers=world.admin)
    assert moved.status_code == 200, moved.text
    assert moved.json()["chainAddress"] == officer.address
    with Session(world.runtime.engine) as session:
        assert crud.get_chain_account(session=session, party_code=CUSTOMS) is None
    assert world.ledger.trade.has_role("CUSTOMS_ROLE", officer.address)
    assert not world.ledger.trade.has_role("CUSTOMS_ROLE", custodial)
    rows = len(_registry_ops(world))
    same = world.client.put(f"/parties/{CUSTOMS}/chain-account", json=body, headers=world.admin)
    assert same.status_code == 200, same.text
    assert len(_registry_ops(world)) == rows  # nothing recorded the second time
    world.worker.drain()
    assert _party(world, parties)["chainStatus"] == "confirmed"
    assert world.ledger.party.account_of(custodial) is None
    back = world.client.post(f"/parties/{CUSTOMS}/chain-account/rotate", headers=world.admin)
    assert back.status_code == 200, back.text
    assert not world.ledger.trade.has_role("CUSTOMS_ROLE", officer.address)


def test_inspector_rotation_moves_its_trace_registry_role(
    world: World, parties: dict[str, Actor]
) -> None:
    world.actor("INSPECT-ROT", ["inspector"], chain_account=True)
    before = world.client.get("/parties/INSPECT-ROT", headers=parties["platform"].headers)
    old = before.json()["chainAddress"]
    rotated = world.client.post("/parties/INSPECT-ROT/chain-account/rotate", headers=world.admin)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["chainAddress"]
    assert world.ledger.trace.has_role("INSPECTOR_ROLE", new)
    assert not world.ledger.trace.has_role("INSPECTOR_ROLE", old)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [
        ("put", "chain-account", {"address": "0x" + "0" * 40}, 422, "address"),
        ("put", "chain-account", {"address": "0x1234"}, 422, "address"),
        ("put", "chain-account", {"address": "GACC"}, 422, "address"),
        ("post", "chain-account", {"custodial": False}, 422, "custodial"),
        ("post", "chain-account/rotate", None, 409, "code"),  # nothing to rotate yet
    ],
)
def test_chain_account_refuses_bad_requests(
    world: World,
    parties: dict[str, Actor],
    method: str,
    path: str,
    body: Any,
    status: int,
    field: str,
) -> None:
    call = getattr(world.client, method)
    kwargs = {} if body is None else {"json": body}
    answer = call(f"/parties/{CUSTOMS}/{path}", headers=world.admin, **kwargs)
    assert answer.status_code == status, answer.text
    assert answer.json()["field"].endswith(field)


def test_chain_account_refuses_other_parties_and_taken_addresses(
    world: World, parties: dict[str, Actor]
) -> None:
    customs = parties["customs"].headers
    for method, path in (("post", "chain-account"), ("post", "chain-account/rotate")):
        own = getattr(world.client, method)(f"/parties/{CUSTOMS}/{path}", headers=customs)
        assert own.status_code in (401, 403), own.text  # administrator only, even for itself
    bank = world.client.get("/parties/BANK-ROT", headers=customs).json()["chainAddress"]
    taken = world.client.put(
        f"/parties/{CUSTOMS}/chain-account", json={"address": bank}, headers=world.admin
    )
    assert (taken.status_code, taken.json()["field"]) == (409, "address")
    assert "BANK-ROT" in taken.json()["message"]
    platform = world.client.post(
        f"/parties/{samples.PLATFORM[0]}/chain-account", headers=world.admin
    )
    assert platform.status_code == 422, platform.text
    forged = world.client.put(
        f"/parties/{CUSTOMS}/chain-account",
        json={"address": Account.create().address},
        headers=customs,
    )
    assert forged.status_code in (401, 403)


@VERIFIER_BEHIND_BUNDLE_FORMAT
def test_bank_rotation_waits_for_its_open_financing_and_old_settlements_verify(
    world: World, parties: dict[str, Actor]
) -> None:
    created = world.client.post(f"/parties/{CUSTOMS}/chain-account", headers=world.admin)
    assert created.status_code == 201, created.text
    trade_id = submit(world, parties, samples.import_trade())[0]["tradeId"]
    world.worker.drain()
    bank = parties["bank_a"].headers
    steps = [
        (f"/customs/trades/{trade_id}/release", parties["customs"].headers, None, 200),
        (f"/banks/trades/{trade_id}/settlement", bank, {"settlementRef": "FX-ROT-1"}, 200),
        (f"/banks/trades/{trade_id}/financing", bank, {"terms": {"amount": "1.00"}}, 201),
    ]
    for path, headers, body, status in steps:
        done = world.client.post(path, json=body, headers=headers)
        assert done.status_code == status, done.text

    held = world.client.post("/parties/BANK-ROT/chain-account/rotate", headers=world.admin)
    assert (held.status_code, held.json()["error"]) == (409, "financing_open")
    assert trade_id in held.json()["message"]
    own = {"address": Account.create().address}
    also = world.client.put("/parties/BANK-ROT/chain-account", json=own, headers=world.admin)
    assert (also.status_code, also.json()["error"]) == (409, "financing_open")
    discharged = world.client.post(f"/banks/trades/{trade_id}/financing/discharge", headers=bank)
    assert discharged.status_code == 200, discharged.text
    rotated = world.client.post("/parties/BANK-ROT/chain-account/rotate", headers=world.admin)
    assert rotated.status_code == 200, rotated.text

    bundle = world.client.get(f"/banks/trades/{trade_id}/bundle", headers=bank).json()
    assert bundle["settlement"] is not None
    assert world.verify(bundle).outcome is Outcome.AUTHENTIC  # settled by the old account


def test_bank_rotation_waits_for_its_open_receipt_pledge(
    world: World, parties: dict[str, Actor]
) -> None:
    receipt_id = bytes.fromhex("5a" * 32)
    world.ledger.lifecycle().issue_warehouse_receipt(
        receipt_id, party_id("WH-ROT"), bytes.fromhex("5b" * 32), 10_000
    )
    bank = parties["bank_a"].headers
    opened = world.client.post(
        "/banks/financings",
        json={"kind": "warehouseReceipt", "subject": receipt_id.hex(), "limit": "100.00",
              "currency": "CNY", "terms": {}},
        headers=bank,
    )  # fmt: skip
    assert opened.status_code == 201, opened.text
    held = world.client.post("/parties/BANK-ROT/chain-account/rotate", headers=world.admin)
    assert (held.status_code, held.json()["error"]) == (409, "financing_open")
    assert receipt_id.hex() in held.json()["message"]
    financing_id = opened.json()["financingId"]
    closed = world.client.post(f"/banks/financings/{financing_id}/close", headers=bank)
    assert closed.status_code == 200, closed.text
    rotated = world.client.post("/parties/BANK-ROT/chain-account/rotate", headers=world.admin)
    assert rotated.status_code == 200, rotated.text
