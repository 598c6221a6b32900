"""Inventory cancellation (撤单): the company applies, customs decides, the chain follows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from api.db.models import TradeRecord
from api.services.cancellation import approval_receipt
from ledger_client import LifeState
from tests.api.conftest import World, stage_fixtures
from tests.api.factories import Actor
from tests.api.web.routes.receipt_kit import (
    export_trade,
    import_trade,
    post_receipt,
    receipt_xml,
    stored,
)
from tests.api.web.routes.test_trade_flow import FLOW_PARTIES
from tests.traceability.ceb.conftest import make_signer
from tests.traceability.ceb.official_xsd import xsd_errors
from traceability.ceb import CebMessage, CustomsStatus, sign_xml, write_message
from traceability.ceb.models import BaseTransfer, ExportInventoryCancel, ImportInventoryCancel
from traceability.signing._encoding import b64url_encode
from traceability.trade import samples
from traceability.trade.fields import CHINA_TZ

world_stage, parties = stage_fixtures("parties", FLOW_PARTIES)

PLACEHOLDER = b'<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>'
SIGNER = make_signer("3301960A01 cancellation signer")


def _declared_trade(world: World, parties: dict[str, Actor]) -> str:
    """An import trade whose inventory customs accepted (so it has an invtNo)."""
    trade_id = import_trade(world, parties)
    assert (
        post_receipt(world, parties["customs"], receipt_xml(world, trade_id, "CEB622")).status_code
        == 201
    )
    return trade_id


def _cancellation_xml(
    world: World, trade_id: str, *, guid_tail: int = 1, invt_no: str | None = None
) -> bytes:
    """A signed CEB623 withdrawing the trade's inventory, as the platform would send it."""
    inventory = samples.import_trade().inventory
    assert inventory is not None
    head = inventory.to_json_dict()
    fields = {k: v for k, v in head.items() if k in ImportInventoryCancel.model_fields}
    # Rounded up to the second: a key registered just now is valid from now on.
    now = (datetime.now(CHINA_TZ) + timedelta(seconds=1)).replace(microsecond=0)
    fields.update(
        guid=f"C0000000-0000-4000-8000-{guid_tail:012d}",
        appType="1",
        appTime=now,
        appStatus="2",
        invtNo=invt_no or stored(world, trade_id).invt_no,
        reason="消费者取消订单，申请撤销清单",
    )
    document = ImportInventoryCancel.model_validate(fields)
    transfer = BaseTransfer(
        copCode=samples.PLATFORM[0], copName=samples.PLATFORM[1], dxpMode="DXP", dxpId="DXP1"
    )
    message = CebMessage(
        "CEB623", f"C0000000-0000-4000-8000-{guid_tail + 100:012d}", (document,),
        base_transfer=transfer, signature=PLACEHOLDER,
    )  # fmt: skip
    return sign_xml(
        write_message(message),
        private_key_pem=SIGNER.key_pem,
        certificate_pem=SIGNER.cert_pem,
        key_name="3301960A01-1",
    )


def _apply(world: World, actor: Actor, body: bytes) -> Any:
    headers = {
        **actor.headers,
        "Content-Type": "application/xml",
        "Sandan-Key-Id": actor.key_id,
        "Sandan-Signature": b64url_encode(actor.signing_key.sign(body)),
    }
    return world.client.post("/cancellations/xml", content=body, headers=headers)


def _approve(world: World, actor: Actor, trade_id: str) -> Any:
    return world.client.post(
        f"/customs/trades/{trade_id}/cancel",
        json={"note": "[Code:2600;Desc:撤销申请审结]"},
        headers=actor.headers,
    )


def _life_state(world: World, trade_id: str) -> LifeState:
    trade = stored(world, trade_id)
    assert trade.verdict_batch is not None
    assert trade.verdict_position is not None
    return world.ledger.lifecycle().life_state(trade.verdict_batch, trade.verdict_position)


def test_cancellation_applied_then_approved_cancels_the_trade_on_chain(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = _declared_trade(world, parties)
    body = _cancellation_xml(world, trade_id)
    assert xsd_errors(body) == []
    applied = _apply(world, parties["platform"], body)
    assert applied.status_code == 201, applied.text
    (application,) = applied.json()
    assert (application["tradeId"], application["state"]) == (trade_id, "applied")
    again = _apply(world, parties["platform"], body)
    assert again.status_code == 200
    assert again.json()[0]["created"] is False

    approved = _approve(world, parties["customs"], trade_id)
    assert approved.status_code == 200, approved.text
    decided = approved.json()
    assert decided["state"] == "cancelled"
    assert decided["cancelTx"]
    trade = stored(world, trade_id)
    assert trade.cancelled_at is not None
    assert trade.cancel_tx == decided["cancelTx"]
    assert _life_state(world, trade_id) is LifeState.CANCELLED
    receipts = world.client.get(f"/trades/{trade_id}/receipts", headers=parties["customs"].headers)
    assert [r["messageType"] for r in receipts.json()["data"]][-1] == "CEB624"
    assert decided["decisionHash"] == receipts.json()["data"][-1]["contentHash"]

    twice = _approve(world, parties["customs"], trade_id)
    assert twice.status_code == 409
    assert twice.json()["error"] == "already_cancelled"
    world.worker.drain()
    timeline = world.client.get(
        f"/trades/{trade_id}/timeline", headers=parties["platform"].headers
    ).json()["entries"]
    steps = [e for e in timeline if e["kind"] == "cancellation"]
    assert [s["title"] for s in steps] == ["CEB623 cancellation applied", "cancellation cancelled"]
    assert steps[-1]["txHash"] == trade.cancel_tx


@pytest.mark.parametrize(("status", "state"), [("399", "cancelled"), ("100", "refused")])
def test_customs_cancellation_receipt_decides_the_application(
    world: World, parties: dict[str, Actor], status: str, state: str
) -> None:
    trade_id = _declared_trade(world, parties)
    assert _apply(world, parties["platform"], _cancellation_xml(world, trade_id)).status_code == 201
    with Session(world.runtime.engine) as session:
        trade = session.get(TradeRecord, trade_id)
        assert trade is not None
        receipt = approval_receipt(
            session=session, trade=trade, status=status, note="撤单", now=datetime.now(UTC)
        )
    body = write_message(receipt)
    assert xsd_errors(body) == []
    assert post_receipt(world, parties["customs"], body).status_code == 201
    listed = world.client.get(f"/trades/{trade_id}/timeline", headers=parties["customs"].headers)
    decided = [e for e in listed.json()["entries"] if e["kind"] == "cancellation"][-1]
    assert decided["status"] == state
    cancelled_on_chain = _life_state(world, trade_id) is LifeState.CANCELLED
    assert cancelled_on_chain is (state == "cancelled")
    assert (stored(world, trade_id).cancelled_at is not None) is (state == "cancelled")


def test_cancellation_of_a_settled_trade_is_refused(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = _declared_trade(world, parties)
    customs, bank = parties["customs"].headers, parties["bank_a"].headers
    assert (
        world.client.post(f"/customs/trades/{trade_id}/release", headers=customs).status_code == 200
    )
    settled = world.client.post(
        f"/banks/trades/{trade_id}/settlement", json={"settlementRef": "FX-9"}, headers=bank
    )
    assert settled.status_code == 200
    refused = _apply(world, parties["platform"], _cancellation_xml(world, trade_id))
    assert refused.status_code == 409
    assert refused.json()["error"] == "trade_settled"


def test_chain_refuses_a_settled_trade_whatever_the_database_says(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = _declared_trade(world, parties)
    assert _apply(world, parties["platform"], _cancellation_xml(world, trade_id)).status_code == 201
    customs, bank = parties["customs"].headers, parties["bank_a"].headers
    assert (
        world.client.post(f"/customs/trades/{trade_id}/release", headers=customs).status_code == 200
    )
    settled = world.client.post(
        f"/banks/trades/{trade_id}/settlement", json={"settlementRef": "FX-7"}, headers=bank
    )
    assert settled.status_code == 200
    with Session(world.runtime.engine) as session:  # a mirror that missed the settlement
        trade = session.get(TradeRecord, trade_id)
        assert trade is not None
        trade.settled_at = None
        session.add(trade)
        session.commit()
    refused = _approve(world, parties["customs"], trade_id)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "trade_settled"
    assert refused.json()["chainError"] == "LifecycleRegistryTradeState"
    assert stored(world, trade_id).cancelled_at is None


def test_cancellation_of_a_financed_trade_is_refused(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = _declared_trade(world, parties)
    financed = world.client.post(
        f"/banks/trades/{trade_id}/financing",
        json={"terms": {"amount": "100.00"}},
        headers=parties["bank_a"].headers,
    )
    assert financed.status_code == 201, financed.text
    refused = _apply(world, parties["platform"], _cancellation_xml(world, trade_id))
    assert refused.status_code == 409
    assert refused.json()["error"] == "trade_financed"


def test_cancellation_before_customs_assigned_an_inventory_number_is_refused(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = import_trade(world, parties)
    body = _cancellation_xml(world, trade_id, invt_no="29912025I000000009")
    refused = _apply(world, parties["platform"], body)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "no_inventory_number"


def test_a_stranger_may_not_cancel_a_trade(world: World, parties: dict[str, Actor]) -> None:
    trade_id = _declared_trade(world, parties)
    stranger = world.actor("OTHER-PLATFORM", ["platform"])
    refused = _apply(world, stranger, _cancellation_xml(world, trade_id))
    assert refused.status_code == 403
    assert refused.json()["error"] == "not_trade_party"


def test_only_customs_approves_and_only_a_pending_application(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = _declared_trade(world, parties)
    nothing = _approve(world, parties["customs"], trade_id)
    assert nothing.status_code == 409
    assert nothing.json()["error"] == "no_cancel_application"
    assert _apply(world, parties["platform"], _cancellation_xml(world, trade_id)).status_code == 201
    assert _approve(world, parties["platform"], trade_id).status_code == 403
    second = _apply(world, parties["platform"], _cancellation_xml(world, trade_id, guid_tail=2))
    assert second.status_code == 409
    assert second.json()["error"] == "cancel_pending"


def test_cancelled_receipt_status_is_customs_and_not_forged(
    world: World, parties: dict[str, Actor]
) -> None:
    """A CEB624 'approval' sent by a platform is refused: only customs decides."""
    trade_id = _declared_trade(world, parties)
    assert _apply(world, parties["platform"], _cancellation_xml(world, trade_id)).status_code == 201
    forged = receipt_xml(world, trade_id, "CEB622", CustomsStatus.RELEASED)
    assert post_receipt(world, parties["platform"], forged).status_code == 403
    assert stored(world, trade_id).cancelled_at is None


def test_export_cancellation_by_invt_no_is_approved_on_chain(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id, exporter = export_trade(world, parties)
    released = receipt_xml(world, trade_id, "CEB604", CustomsStatus.ACCEPTED, "入库")
    assert post_receipt(world, parties["customs"], released).status_code == 201
    inventory = samples.export_trade().inventory
    assert inventory is not None
    head = inventory.to_json_dict()
    fields = {k: v for k, v in head.items() if k in ExportInventoryCancel.model_fields}
    fields.update(
        guid="E0000000-0000-4000-8000-000000000605",
        appType="1",
        appTime=(datetime.now(CHINA_TZ) + timedelta(seconds=1)).replace(microsecond=0),
        appStatus="1",  # saved, not declared: no ds:Signature needed (XSD minOccurs 0)
        invtNo=stored(world, trade_id).invt_no,
        reason="买家取消订单，货物未出境",
    )
    transfer = BaseTransfer(
        copCode=samples.EXPORTER[0], copName=samples.EXPORTER[1], dxpMode="DXP", dxpId="DXP5"
    )
    document = ExportInventoryCancel.model_validate(fields)
    body = write_message(
        CebMessage("CEB605", "E0000000-0000-4000-8000-000000006050", (document,),
                   base_transfer=transfer)
    )  # fmt: skip
    assert xsd_errors(body) == []
    applied = _apply(world, exporter, body)
    assert applied.status_code == 201, applied.text
    approved = _approve(world, parties["customs"], trade_id)
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "cancelled"
    assert _life_state(world, trade_id) is LifeState.CANCELLED
    trade = world.client.get(f"/trades/{trade_id}", headers=exporter.headers).json()
    assert trade["cancelTx"] == approved.json()["cancelTx"]
    assert trade["invtNo"] == stored(world, trade_id).invt_no


def test_a_cancelled_trade_is_neither_released_settled_nor_financed(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = _declared_trade(world, parties)
    customs, bank = parties["customs"].headers, parties["bank_a"].headers
    assert (
        world.client.post(f"/customs/trades/{trade_id}/release", headers=customs).status_code == 200
    )
    assert _apply(world, parties["platform"], _cancellation_xml(world, trade_id)).status_code == 201
    assert _approve(world, parties["customs"], trade_id).status_code == 200
    steps = [
        world.client.post(
            f"/banks/trades/{trade_id}/settlement", json={"settlementRef": "FX-2"}, headers=bank
        ),
        world.client.post(
            f"/banks/trades/{trade_id}/financing", json={"terms": {"amount": "1"}}, headers=bank
        ),
    ]
    assert [(s.status_code, s.json()["error"]) for s in steps] == [(409, "trade_cancelled")] * 2
