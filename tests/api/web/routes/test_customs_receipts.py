"""Customs receipts from the single window: linked, stored once, anchored, applied; attacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.conftest import World, stage_fixtures
from tests.api.factories import Actor
from tests.api.web.routes.receipt_kit import (
    customs_office,
    export_trade,
    import_trade,
    post_receipt,
    receipt_xml,
    stored,
)
from tests.api.web.routes.test_trade_flow import FLOW_PARTIES
from tests.traceability.ceb.official_xsd import xsd_errors
from traceability.ceb import (
    CebMessage,
    CustomsStatus,
    SchemaViolation,
    build_format_receipt,
    read_message,
    write_message,
)
from traceability.ceb.models import InvtRefundReturn
from traceability.trade import samples

world_stage, parties = stage_fixtures("parties", FLOW_PARTIES)


@pytest.mark.parametrize("message_type", ["CEB312", "CEB412", "CEB512", "CEB622"])
def test_customs_receipt_is_linked_stored_anchored_and_applied(
    world: World, parties: dict[str, Actor], message_type: str
) -> None:
    trade_id = import_trade(world, parties)
    body = receipt_xml(world, trade_id, message_type)
    assert xsd_errors(body) == []
    answer = post_receipt(world, parties["customs"], body)
    assert answer.status_code == 201, answer.text
    (receipt,) = answer.json()["data"]
    assert receipt["tradeId"] == trade_id
    assert receipt["status"] == "120"
    assert receipt["statusText"] == "海关入库"
    assert receipt["created"] is True
    trade = stored(world, trade_id)
    assert (trade.customs_status, trade.customs_status_note) == ("120", "[Code:2600;Desc:入库成功]")
    assert trade.customs_status_at is not None
    world.worker.drain()
    listed = world.client.get(f"/trades/{trade_id}/receipts", headers=parties["platform"].headers)
    (anchored,) = listed.json()["data"]
    assert anchored["anchor"]["state"] == "confirmed"
    assert anchored["anchor"]["txHash"]


def test_inventory_receipt_sets_invt_no_and_outranks_a_later_orderreceipt(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = import_trade(world, parties)
    start = datetime.now(UTC) - timedelta(minutes=5)
    released = receipt_xml(world, trade_id, "CEB622", CustomsStatus.RELEASED, "放行", now=start)
    assert post_receipt(world, parties["customs"], released).status_code == 201
    late_order = receipt_xml(world, trade_id, "CEB312", now=start + timedelta(minutes=1))
    assert post_receipt(world, parties["customs"], late_order).status_code == 201
    trade = stored(world, trade_id)
    assert trade.customs_status == "800"
    assert trade.invt_no is not None
    assert len(trade.invt_no) == 18
    assert trade.invt_no[8] == "I"


def test_replayed_receipt_is_idempotent(world: World, parties: dict[str, Actor]) -> None:
    trade_id = import_trade(world, parties)
    body = receipt_xml(world, trade_id, "CEB312")
    first = post_receipt(world, parties["customs"], body)
    again = post_receipt(world, parties["customs"], body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["data"][0]["created"] is False
    assert again.json()["data"][0]["contentHash"] == first.json()["data"][0]["contentHash"]
    listed = world.client.get(f"/trades/{trade_id}/receipts", headers=parties["customs"].headers)
    assert listed.json()["count"] == 1


def test_receipt_guid_reused_with_other_content_is_refused(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = import_trade(world, parties)
    body = receipt_xml(world, trade_id, "CEB312")
    assert post_receipt(world, parties["customs"], body).status_code == 201
    forged = body.replace("入库成功".encode(), "海关退单".encode()).replace(b">120<", b">100<")
    answer = post_receipt(world, parties["customs"], forged)
    assert answer.status_code == 409
    assert answer.json()["error"] == "receipt_guid_reused"
    assert stored(world, trade_id).customs_status == "120"


def test_receipt_as_json_is_ingested(world: World, parties: dict[str, Actor]) -> None:
    trade_id = import_trade(world, parties)
    message = read_message(receipt_xml(world, trade_id, "CEB512"))
    answer = world.client.post(
        "/customs/receipts", json=message.to_json_dict(), headers=parties["customs"].headers
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["data"][0]["messageType"] == "CEB512"


@pytest.mark.parametrize("caller", ["platform", "payment", "bank_a"])
def test_non_customs_caller_is_refused(
    world: World, parties: dict[str, Actor], caller: str
) -> None:
    trade_id = import_trade(world, parties)
    answer = post_receipt(world, parties[caller], receipt_xml(world, trade_id, "CEB622"))
    assert answer.status_code == 403
    assert stored(world, trade_id).customs_status is None


def test_receipt_naming_no_known_trade_is_404_naming_the_field(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = import_trade(world, parties)
    body = receipt_xml(world, trade_id, "CEB312").replace(
        samples.ImportTerms().order_no.encode(), b"NO-SUCH-ORDER"
    )
    answer = post_receipt(world, parties["customs"], body)
    assert answer.status_code == 404
    assert answer.json()["field"] == "CEB312Message/OrderReturn[1]/orderNo"
    listed = world.client.get(f"/trades/{trade_id}/receipts", headers=parties["customs"].headers)
    assert listed.json()["count"] == 0


def test_receipt_for_another_customs_office_is_refused(
    world: World, parties: dict[str, Actor]
) -> None:
    ningbo = customs_office(world, "GACC-NB", "3105000000")
    trade_id = import_trade(world, parties)  # declared at customs office 2991
    answer = post_receipt(
        world, ningbo, receipt_xml(world, trade_id, "CEB622", CustomsStatus.RELEASED)
    )
    assert answer.status_code == 403
    assert answer.json()["error"] == "other_customs_office"
    assert stored(world, trade_id).customs_status is None
    local = customs_office(world, "GACC-2991", "2991000000")
    assert post_receipt(world, local, receipt_xml(world, trade_id, "CEB622")).status_code == 201


@pytest.mark.parametrize(
    ("old", "new", "field", "code"),
    [
        (b">120<", b">12345<", "returnStatus", "unknown_status"),
        (b">120<", b">801<", "returnStatus", "unknown_status"),
        (b">120<", b">-123456789<", "returnStatus", "unknown_status"),
    ],
)
def test_forged_status_value_is_refused(
    world: World, parties: dict[str, Actor], old: bytes, new: bytes, field: str, code: str
) -> None:
    trade_id = import_trade(world, parties)
    body = receipt_xml(world, trade_id, "CEB622").replace(old, new)
    answer = post_receipt(world, parties["customs"], body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == code
    assert answer.json()["field"].endswith(field)
    assert stored(world, trade_id).customs_status is None


def test_receipt_from_the_future_is_refused(world: World, parties: dict[str, Actor]) -> None:
    trade_id = import_trade(world, parties)
    body = receipt_xml(world, trade_id, "CEB312", now=datetime.now(UTC) + timedelta(days=1))
    answer = post_receipt(world, parties["customs"], body)
    assert answer.status_code == 422
    assert answer.json()["error"] == "future_time"


def test_receipt_naming_another_copno_is_refused(world: World, parties: dict[str, Actor]) -> None:
    trade_id = import_trade(world, parties)
    message = read_message(receipt_xml(world, trade_id, "CEB622"))
    other = message.documents[0].model_copy(update={"copNo": "SOMEONE-ELSES"})
    body = write_message(
        type(message)(message.message_type, message.guid, (other,), version=message.version)
    )
    answer = post_receipt(world, parties["customs"], body)
    assert answer.status_code in (404, 422), answer.text
    assert "copNo" in answer.json()["field"]


def test_released_receipt_without_chain_release_is_flagged_in_the_bundle(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = import_trade(world, parties)
    released = receipt_xml(world, trade_id, "CEB622", CustomsStatus.RELEASED, "放行")
    assert post_receipt(world, parties["customs"], released).status_code == 201
    world.worker.drain()
    bank = parties["bank_a"].headers
    bundle = world.client.get(f"/banks/trades/{trade_id}/bundle", headers=bank).json()
    section = bundle["customsReceipts"]
    assert section["release"]["disagreement"] == "receipt_released_not_on_chain"
    assert section["release"]["authority"] == "chain"
    assert [r["status"] for r in section["receipts"]] == ["800"]
    assert world.verify(bundle).authentic


def test_chain_release_with_a_stopping_receipt_is_flagged_and_bundle_verifies(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = import_trade(world, parties)
    customs = parties["customs"].headers
    assert (
        world.client.post(f"/customs/trades/{trade_id}/release", headers=customs).status_code == 200
    )
    inspect = receipt_xml(world, trade_id, "CEB622", CustomsStatus.INSPECTION, "布控查验")
    assert post_receipt(world, parties["customs"], inspect).status_code == 201
    world.worker.drain()
    bundle = world.client.get(
        f"/banks/trades/{trade_id}/bundle", headers=parties["bank_a"].headers
    ).json()
    assert bundle["customsReceipts"]["release"]["disagreement"] == "chain_released_receipt_stopped"
    report = world.verify(bundle)
    assert report.authentic, [(c.name, c.found) for c in report.checks if not c.ok]
    assert "customs receipts anchored" in {c.name for c in report.checks}


def test_agreeing_release_and_receipt_have_no_disagreement(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = import_trade(world, parties)
    customs = parties["customs"].headers
    assert (
        world.client.post(f"/customs/trades/{trade_id}/release", headers=customs).status_code == 200
    )
    released = receipt_xml(world, trade_id, "CEB622", CustomsStatus.RELEASED, "放行")
    assert post_receipt(world, parties["customs"], released).status_code == 201
    world.worker.drain()
    bundle = world.client.get(
        f"/banks/trades/{trade_id}/bundle", headers=parties["bank_a"].headers
    ).json()
    assert bundle["customsReceipts"]["release"] == {
        "authority": "chain",
        "releasedOnChain": True,
        "receiptStatus": "800",
        "receiptStatusText": "放行",
        "receiptHash": bundle["customsReceipts"]["receipts"][0]["contentHash"],
        "disagreement": None,
    }


def test_bundle_with_a_tampered_receipt_is_not_authentic(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = import_trade(world, parties)
    inspect = receipt_xml(world, trade_id, "CEB622", CustomsStatus.INSPECTION, "布控查验")
    assert post_receipt(world, parties["customs"], inspect).status_code == 201
    world.worker.drain()
    bundle = world.client.get(
        f"/banks/trades/{trade_id}/bundle", headers=parties["bank_a"].headers
    ).json()
    (entry,) = bundle["customsReceipts"]["receipts"]
    entry["payload"]["receipt"]["returnStatus"] = "800"  # "customs released it"
    report = world.verify(bundle)
    assert not report.authentic
    (failed,) = [c for c in report.checks if not c.ok]
    assert failed.name == "customs receipts anchored"


@pytest.mark.parametrize("message_type", ["CEB304", "CEB404", "CEB506", "CEB604"])
def test_export_receipt_is_linked_and_applied(
    world: World, parties: dict[str, Actor], message_type: str
) -> None:
    trade_id, _ = export_trade(world, parties)
    body = receipt_xml(world, trade_id, message_type, CustomsStatus.RELEASED, "放行")
    assert xsd_errors(body) == []
    answer = post_receipt(world, parties["customs"], body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["data"][0]["tradeId"] == trade_id
    trade = stored(world, trade_id)
    assert trade.customs_status == "800"
    if message_type == "CEB604":
        assert trade.invt_no is not None
        assert trade.invt_no[8] == "E"  # customs' form: office, year, E, serial


def test_format_error_receipt_finds_the_trade_by_the_outgoing_message_guid(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = import_trade(world, parties)
    sent = world.client.get(
        f"/trades/{trade_id}/messages/CEB311.xml", headers=parties["platform"].headers
    )
    original = read_message(sent.content)
    receipt = build_format_receipt(
        sent.content,
        SchemaViolation(()),
        now=datetime.now(UTC),
        ori_cop_msg_id=original.guid,
        ori_message_type="CEB311Message",
    )
    answer = post_receipt(world, parties["customs"], write_message(receipt))
    assert answer.status_code == 201, answer.text
    assert answer.json()["data"][0]["tradeId"] == trade_id
    assert stored(world, trade_id).customs_status == "-1"
    unknown = build_format_receipt(
        b"<x/>", SchemaViolation(()), now=datetime.now(UTC), ori_cop_msg_id="NOT-OURS"
    )
    missing = post_receipt(world, parties["customs"], write_message(unknown))
    assert missing.status_code == 404
    assert missing.json()["field"].endswith("oriCopMsgId")


def test_return_receipt_is_kept_but_does_not_set_the_customs_status(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = import_trade(world, parties)
    released = receipt_xml(world, trade_id, "CEB622", CustomsStatus.RELEASED, "放行")
    assert post_receipt(world, parties["customs"], released).status_code == 201
    inventory = read_message(released).documents[0]
    answer = InvtRefundReturn.model_validate(
        {
            **{k: v for k, v in inventory.to_json_dict().items() if k != "guid"},
            "guid": "A0000000-0000-4000-8000-000000000626",
            "returnStatus": "100",
            "returnInfo": "退货申请退单",
        }
    )
    body = write_message(CebMessage("CEB626", "A0000000-0000-4000-8000-000000000627", (answer,)))
    assert post_receipt(world, parties["customs"], body).status_code == 201
    assert stored(world, trade_id).customs_status == "800"
    listed = world.client.get(f"/trades/{trade_id}/receipts", headers=parties["customs"].headers)
    assert [r["messageType"] for r in listed.json()["data"]] == ["CEB622", "CEB626"]


def test_customs_error_code_is_a_status(world: World, parties: dict[str, Actor]) -> None:
    """-621005: the purchase exceeds the single-transaction limit (customs error code)."""
    trade_id = import_trade(world, parties)
    body = receipt_xml(world, trade_id, "CEB622", "-621005", "清单的购买金额超过单笔限额")
    assert post_receipt(world, parties["customs"], body).status_code == 201
    trade = stored(world, trade_id)
    assert (trade.customs_status, trade.customs_status_note) == (
        "-621005",
        "清单的购买金额超过单笔限额",
    )
