"""Overseas warehouse (9810): the stock ledger from the warehouse's EPCIS events and the
released 9810 inventories, who may read it, and the reconciliation with its evidence."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session, col, select

from api.db.warehouse_models import WarehouseStockEntryRecord
from api.services import warehouse_ledger
from tests.api.conftest import World, WorldStage, stage_fixtures
from tests.api.factories import Actor
from tests.api.warehouse import events as ev
from tests.traceability.epcis.official_schema import schema_errors
from traceability.trade import samples
from traceability.trade.modes import TradeMode

WAREHOUSE = "NLRTMWH01"
OTHER_WAREHOUSE = "DEHAMWH02"
INVT_NO = "40012026E000000118"


@dataclass
class Consignment:
    exporter: Actor
    carrier: Actor
    warehouse: Actor
    other_warehouse: Actor
    customs: Actor
    regulator: Actor
    bank: Actor
    outsider: Actor
    trade_id: str
    inventory_hash: str


def _locations(world: World, code: str, glns: list[str]) -> None:
    response = world.client.put(
        f"/parties/{code}/locations", json={"glns": glns}, headers=world.admin
    )
    assert response.status_code == 200, response.text


def _capture(world: World, actor: Actor, events: list[dict[str, Any]]) -> dict[str, Any]:
    document = ev.document(events)
    assert schema_errors(document) == []
    response = world.client.post(
        "/capture", json=actor.envelope("epcis-event", document), headers=actor.headers
    )
    assert response.status_code == 202, response.text
    job: dict[str, Any] = world.client.get(
        response.headers["Location"], headers=actor.headers
    ).json()
    assert job["success"], job
    return job


def _nine_eight_ten_trade() -> dict[str, dict[str, Any]]:
    """A 9810 booking order and inventory made with the Rotterdam warehouse: 230 cases."""
    line = samples.Line(
        "赣南脐橙",
        "纽荷尔品种 5千克/箱 鲜果",
        "0805100000",
        Decimal(230),
        Decimal("9.6"),
        "035",
        "104",
    )
    terms = samples.ExportTerms(
        order_no=ev.ORDER_NO,
        lines=(line,),
        currency="502",
        mode=TradeMode.B2B_OVERSEAS_WAREHOUSE,
        freight=Decimal("850"),
        insured_fee=Decimal("40"),
    )
    docs = samples.export_trade(terms)
    bar_code = f"(01){ev.GTIN_A}(10){ev.LOT_A}"
    out = {}
    for kind in ("order", "waybill", "inventory"):
        body = getattr(docs, kind).to_json_dict()
        if kind in ("order", "inventory"):
            body["ebpCode"], body["ebpName"] = WAREHOUSE, "Rotterdam Overseas Warehouse B.V."
            lines = body["OrderList" if kind == "order" else "InventoryList"]
            for item in lines:
                item["barCode"] = bar_code
        if kind == "inventory":
            body["invtNo"] = INVT_NO
        out[kind] = body
    return out


def _build(world: World) -> Consignment:
    exporter = world.actor(samples.EXPORTER[0], ["platform", "producer"])
    carrier = world.actor(samples.CARRIER[0], ["logistics"])
    warehouse = world.actor(WAREHOUSE, ["warehouse"])
    other = world.actor(OTHER_WAREHOUSE, ["warehouse"])
    customs = world.actor("GACC-GZ", ["customs"], chain_account=True)
    regulator = world.actor("ZONE-REG", ["regulator"])
    bank = world.actor("BANK-NL", ["bank"], chain_account=True)
    outsider = world.actor("3301960A01", ["platform"])
    _locations(world, exporter.code, [ev.PACKHOUSE])
    _locations(world, carrier.code, [ev.PORT])
    _locations(world, WAREHOUSE, [ev.ROTTERDAM])
    _locations(world, OTHER_WAREHOUSE, [ev.HAMBURG])
    prefixes = world.client.put(
        f"/parties/{exporter.code}/company-prefixes",
        json={"prefixes": ["6901234"]},
        headers=world.admin,
    )
    assert prefixes.status_code == 200, prefixes.text
    docs = _nine_eight_ten_trade()
    trade_id = None
    for kind, actor in (("order", exporter), ("waybill", carrier), ("inventory", exporter)):
        trade_id = world.submit(actor, kind, docs[kind])
    assert trade_id is not None
    world.worker.drain()
    released = world.client.post(f"/customs/trades/{trade_id}/release", headers=customs.headers)
    assert released.status_code == 200, released.text
    trade = world.client.get(f"/trades/{trade_id}", headers=customs.headers).json()
    _capture(world, exporter, ev.EXPORTER_EVENTS)
    _capture(world, carrier, ev.CARRIER_EVENTS)
    _capture(world, warehouse, ev.WAREHOUSE_EVENTS)
    return Consignment(
        exporter, carrier, warehouse, other, customs, regulator, bank, outsider,
        trade_id, trade["documents"]["inventory"],
    )  # fmt: skip


CONSIGNMENT = WorldStage("a 9810 consignment in a warehouse", _build)
world_stage, consignment = stage_fixtures("consignment", CONSIGNMENT)


def _stock(world: World, actor: Actor, code: str = WAREHOUSE) -> Any:
    return world.client.get(f"/warehouses/{code}/stock", headers=actor.headers)


def _items(answer: Any) -> dict[tuple[str, str | None], dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    return {(i["gtin"], i["lot"]): i for i in answer.json()["items"]}


def test_the_events_are_valid_epcis_2_0() -> None:
    for events in (ev.EXPORTER_EVENTS, ev.CARRIER_EVENTS, ev.WAREHOUSE_EVENTS):
        assert schema_errors(ev.document(events)) == []


def test_stock_per_gtin_and_lot_from_the_inventory_and_the_events(
    world: World, consignment: Consignment
) -> None:
    items = _items(_stock(world, consignment.warehouse))
    assert items[ev.GTIN_A, ev.LOT_A] == {
        "gtin": ev.GTIN_A,
        "lot": ev.LOT_A,
        "declaredIn": "230",
        "received": "228",
        "stored": "228",
        "shippedOut": "20",
        "sold": "40",
        "returned": "3",
        "destroyed": "1",
        "onHand": "170",  # 228 + 3 − 20 − 40 − 1
        "encumbered": "0",
        "unencumbered": "170",
    }
    assert items[ev.GTIN_B, ev.LOT_B]["declaredIn"] == "0"
    assert items[ev.GTIN_B, ev.LOT_B]["onHand"] == "50"
    # The carrier's shipping and the exporter's commissioning moved none of its stock.
    assert set(items) == {(ev.GTIN_A, ev.LOT_A), (ev.GTIN_B, ev.LOT_B)}


@pytest.mark.parametrize("reader", ["warehouse", "customs", "regulator"])
def test_the_warehouse_customs_and_the_regulator_see_all_of_it(
    world: World, consignment: Consignment, reader: str
) -> None:
    items = _items(_stock(world, getattr(consignment, reader)))
    assert set(items) == {(ev.GTIN_A, ev.LOT_A), (ev.GTIN_B, ev.LOT_B)}


def test_the_exporter_sees_only_the_goods_it_declared(
    world: World, consignment: Consignment
) -> None:
    assert set(_items(_stock(world, consignment.exporter))) == {(ev.GTIN_A, ev.LOT_A)}


@pytest.mark.parametrize("reader", ["other_warehouse", "outsider", "carrier", "bank"])
def test_others_may_not_read_the_stock(world: World, consignment: Consignment, reader: str) -> None:
    for path in ("stock", "reconciliation"):
        answer = world.client.get(
            f"/warehouses/{WAREHOUSE}/{path}", headers=getattr(consignment, reader).headers
        )
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"] == "not_warehouse_reader"


def test_a_code_that_is_no_warehouse_is_not_found(world: World, consignment: Consignment) -> None:
    for code in ("NOSUCH", consignment.exporter.code):
        answer = _stock(world, consignment.customs, code)
        assert answer.status_code == 404, answer.text
        assert answer.json()["field"] == "code"


def test_reconciliation_finds_the_shortfall_and_the_undeclared_receipt_with_their_evidence(
    world: World, consignment: Consignment
) -> None:
    answer = world.client.get(
        f"/warehouses/{WAREHOUSE}/reconciliation", headers=consignment.customs.headers
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["balanced"] is False
    by_kind = {d["kind"]: d for d in body["differences"]}
    assert set(by_kind) == {"shortfall", "undeclared_receipt"}
    shortfall = by_kind["shortfall"]
    assert (shortfall["gtin"], shortfall["expected"], shortfall["actual"]) == (
        ev.GTIN_A, "230", "228",
    )  # fmt: skip
    assert shortfall["difference"] == "-2"
    (document,) = shortfall["documents"]
    assert document["contentHash"] == consignment.inventory_hash
    assert document["invtNo"] == INVT_NO
    assert document["tradeId"] == consignment.trade_id
    received = _event_hashes(world, "receiving", "in_progress")
    assert [e["eventHash"] for e in shortfall["events"]] == received
    undeclared = by_kind["undeclared_receipt"]
    assert (undeclared["gtin"], undeclared["expected"], undeclared["actual"]) == (
        ev.GTIN_B, "0", "50",
    )  # fmt: skip
    assert undeclared["documents"] == []
    assert [e["eventHash"] for e in undeclared["events"]] == received
    (sales,) = body["sales"]
    assert sales["gtin"] == ev.GTIN_A
    assert sales["currency"] == "502"
    assert (sales["declaredQuantity"], sales["declaredValue"]) == ("230", "2208.00")
    assert (sales["soldQuantity"], sales["soldValue"]) == ("40", "384.00")  # 40 × 9.60
    assert (sales["shippedOutQuantity"], sales["shippedOutValue"]) == ("20", "192.00")
    assert sales["remainingValue"] == "1651.20"  # (230 − 40 − 20 − 1 + 3) × 9.60
    assert sales["exceedsDeclared"] is False
    assert sales["documents"] == [consignment.inventory_hash]


def _event_hashes(world: World, step: str, disposition: str) -> list[str]:
    from api.db.trace_models import TraceEventRecord

    with Session(world.runtime.engine) as session:
        rows = session.exec(
            select(TraceEventRecord.event_hash).where(
                col(TraceEventRecord.biz_step).like(f"%{step}"),
                col(TraceEventRecord.disposition).like(f"%{disposition}"),
                TraceEventRecord.captured_by == WAREHOUSE,
            )
        ).all()
    return list(rows)


def _ledger(world: World) -> set[tuple[str, str, str, str, str, str]]:
    with Session(world.runtime.engine) as session:
        return {
            (r.warehouse_code, r.event_hash, r.movement, r.gtin, r.lot, r.quantity)
            for r in session.exec(select(WarehouseStockEntryRecord)).all()
        }


def test_rebuilding_the_ledger_from_the_events_gives_the_same_ledger(
    world: World, consignment: Consignment
) -> None:
    captured = _ledger(world)
    assert len(captured) == 7  # both lots received, then 5 movements of lot A
    with Session(world.runtime.engine) as session:
        session.exec(select(WarehouseStockEntryRecord)).all()
        warehouse_ledger.rebuild(session)
        session.commit()
    assert _ledger(world) == captured


def test_an_error_declaration_withdraws_the_movement_and_a_rebuild_agrees(
    world: World, consignment: Consignment
) -> None:
    declared = ev.event(ev.WAREHOUSE_EVENTS, "destroying")
    declared["errorDeclaration"] = {
        "declarationTime": "2026-12-03T09:00:00.000+01:00",
        "reason": "incorrect_data",
    }
    actor = consignment.warehouse
    response = world.client.post(
        "/events", json=actor.envelope("epcis-event", declared), headers=actor.headers
    )
    assert response.status_code == 201, response.text
    item = _items(_stock(world, actor))[ev.GTIN_A, ev.LOT_A]
    assert (item["destroyed"], item["onHand"]) == ("0", "171")
    captured = _ledger(world)
    with Session(world.runtime.engine) as session:
        warehouse_ledger.rebuild(session)
        session.commit()
    assert _ledger(world) == captured


def test_an_event_at_another_warehouses_location_is_refused_and_moves_nothing(
    world: World, consignment: Consignment
) -> None:
    before = _stock(world, consignment.warehouse).json()["items"]
    forged = ev.event(ev.WAREHOUSE_EVENTS, "shipping")
    forged["eventID"] = "urn:uuid:0f3c7e52-8a4b-4c1d-9e6f-7a8b9c0d1e2f"
    actor = consignment.other_warehouse
    response = world.client.post("/events", json=forged, headers=actor.headers)
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "location_not_allowed"
    # The carrier's own receiving at the warehouse's dock is refused too (not its place).
    carrier = ev.event(ev.WAREHOUSE_EVENTS, "receiving", "returned")
    response = world.client.post("/events", json=carrier, headers=consignment.carrier.headers)
    assert response.status_code == 403, response.text
    assert _stock(world, consignment.warehouse).json()["items"] == before


def test_a_new_location_of_the_warehouse_recounts_its_events(
    world: World, consignment: Consignment
) -> None:
    # Registering another GLN leaves the counted events as they were (same ledger).
    captured = _ledger(world)
    _locations(world, WAREHOUSE, [ev.ROTTERDAM, "8712345000301"])
    assert _ledger(world) == captured


# --- receipts: what is refused before the chain is asked ----------------------------------------


def _receipt(**changes: Any) -> dict[str, Any]:
    body = {
        "receiptNo": "WR-NL-2026-0001",
        "gtin": ev.GTIN_A,
        "lot": ev.LOT_A,
        "quantity": "100",
        "value": "960.00",
        "currency": "502",
        "owner": "3607960E05",
    }
    return body | changes


def _issue(world: World, actor: Actor, body: dict[str, Any], code: str = WAREHOUSE) -> Any:
    return world.client.post(f"/warehouses/{code}/receipts", json=body, headers=actor.headers)


@pytest.mark.parametrize(
    ("changes", "status", "field", "error"),
    [
        ({"quantity": "171"}, 409, "quantity", "exceeds_unencumbered_stock"),  # on hand 170
        ({"quantity": "-5"}, 422, "quantity", None),
        ({"quantity": "0"}, 422, "quantity", None),
        ({"value": "-1.00"}, 422, "value", None),
        ({"value": "9.999"}, 422, "value", None),
        ({"gtin": "06901234123457"}, 422, "gtin", None),  # bad check digit
        ({"owner": "NOBODY"}, 422, "owner", None),
        ({"owner": samples.CARRIER[0]}, 409, "owner", "owner_not_declared"),
        ({"gtin": ev.GTIN_B, "lot": ev.LOT_B}, 409, "owner", "owner_not_declared"),
        ({"lot": "GN2611Z"}, 409, "quantity", "exceeds_unencumbered_stock"),  # no such stock
    ],
)
def test_a_receipt_beyond_the_stock_or_with_bad_fields_is_refused(
    world: World,
    consignment: Consignment,
    changes: dict[str, Any],
    status: int,
    field: str,
    error: str | None,
) -> None:
    answer = _issue(world, consignment.warehouse, _receipt(**changes))
    assert answer.status_code == status, answer.text
    assert answer.json()["field"].endswith(field)
    if error:
        assert answer.json()["error"] == error


@pytest.mark.parametrize("issuer", ["other_warehouse", "exporter", "bank"])
def test_only_the_warehouse_issues_its_receipts(
    world: World, consignment: Consignment, issuer: str
) -> None:
    answer = _issue(world, getattr(consignment, issuer), _receipt())
    assert answer.status_code == 403, answer.text


def _live_receipt(world: World, quantity: str) -> str:
    """A live receipt over lot A, as the chain would have recorded it (no chain asked)."""
    from api.db.models import utcnow
    from api.db.warehouse_models import WarehouseReceiptRecord

    receipt_id = "ab" * 32
    with Session(world.runtime.engine) as session:
        session.add(
            WarehouseReceiptRecord(
                receipt_id=receipt_id, warehouse_code=WAREHOUSE, receipt_no="WR-TEST-1",
                owner_code="3607960E05", gtin=ev.GTIN_A, lot=ev.LOT_A, quantity=quantity,
                value="960.00", currency="502", chain_value=96000, record="{}",
                record_hash="cd" * 32, issue_tx="0x" + "ef" * 32, issue_block=1,
                issued_at=utcnow(),
            )
        )  # fmt: skip
        session.commit()
    return receipt_id


def test_stock_under_a_live_receipt_is_encumbered(world: World, consignment: Consignment) -> None:
    _live_receipt(world, "100")
    item = _items(_stock(world, consignment.warehouse))[ev.GTIN_A, ev.LOT_A]
    assert (item["onHand"], item["encumbered"], item["unencumbered"]) == ("170", "100", "70")
    answer = _issue(world, consignment.warehouse, _receipt(receiptNo="WR-2", quantity="71"))
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"] == "exceeds_unencumbered_stock"
    # The owner reads its receipt's goods; so may the exporter (it is the owner here).
    assert set(_items(_stock(world, consignment.exporter))) == {(ev.GTIN_A, ev.LOT_A)}


def test_shipping_out_stock_under_a_receipt_is_flagged_with_the_receipt_and_the_events(
    world: World, consignment: Consignment
) -> None:
    receipt_id = _live_receipt(world, "170")
    out = ev.event(ev.WAREHOUSE_EVENTS, "shipping")
    out["eventID"] = "urn:uuid:7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
    out["eventTime"] = "2026-12-03T08:00:00.000+01:00"
    out["quantityList"][0]["quantity"] = 5
    actor = consignment.warehouse
    response = world.client.post(
        "/events", json=actor.envelope("epcis-event", out), headers=actor.headers
    )
    assert response.status_code == 201, response.text
    answer = world.client.get(f"/warehouses/{WAREHOUSE}/reconciliation", headers=actor.headers)
    flagged = [d for d in answer.json()["differences"] if d["kind"] == "encumbered_stock_moved"]
    assert len(flagged) == 1, answer.json()
    (difference,) = flagged
    assert (difference["expected"], difference["actual"]) == ("170", "165")
    assert [r["receiptId"] for r in difference["receipts"]] == [receipt_id]
    assert response.json()["eventHash"] in [e["eventHash"] for e in difference["events"]]


# --- receipts on chain -----------------------------------------------------------------------


def _bank_lifecycle(world: World, bank: Actor) -> Any:
    from api.db.models import PartyRecord
    from api.services.chain_accounts import party_account

    with Session(world.runtime.engine) as session:
        party = session.get(PartyRecord, bank.code)
        assert party is not None
        account = party_account(session=session, runtime=world.runtime, party=party)
    return world.runtime.ledger().lifecycle_as(account)


def _show(world: World, actor: Actor, receipt_id: str) -> Any:
    return world.client.get(f"/warehouses/{WAREHOUSE}/receipts/{receipt_id}", headers=actor.headers)


def test_a_receipt_is_issued_on_chain_pledged_and_cancelled_only_once_released(
    world: World, consignment: Consignment
) -> None:
    from api.services.warehouse import receipt_of, warehouse_id
    from traceability import content_hash

    answer = _issue(world, consignment.warehouse, _receipt())
    assert answer.status_code == 201, answer.text
    issued = answer.json()
    receipt_id = issued["receiptId"]
    assert issued["chain"]["state"] == "Issued"
    assert issued["chain"]["value"] == 96000  # 960.00 USD in cents
    assert issued["chain"]["recordHash"] == issued["recordHash"]
    assert issued["recordHash"] == content_hash(issued["record"]).hex()
    assert issued["chain"]["warehouseId"] == warehouse_id(WAREHOUSE).hex()
    again = _issue(world, consignment.warehouse, _receipt())
    assert again.status_code == 409, again.text
    assert again.json()["error"] == "receipt_exists"
    item = _items(_stock(world, consignment.warehouse))[ev.GTIN_A, ev.LOT_A]
    assert (item["encumbered"], item["unencumbered"]) == ("100", "70")
    with Session(world.runtime.engine) as session:
        receipt = receipt_of(session, receipt_id)
    assert (receipt.owner_code, receipt.quantity, receipt.chain_value) == (
        "3607960E05", Decimal(100), 96000,
    )  # fmt: skip

    # The bank pledges it (the financing helper's route does this through its account).
    assert _stock(world, consignment.bank).status_code == 403
    bank_chain = _bank_lifecycle(world, consignment.bank)
    opened = bank_chain.open_receipt_financing(bytes.fromhex(receipt_id), 50000, b"\x01" * 32)
    financing_id = bank_chain.financing_id(opened)
    assert _show(world, consignment.warehouse, receipt_id).json()["chain"]["state"] == "Pledged"
    assert set(_items(_stock(world, consignment.bank))) == {(ev.GTIN_A, ev.LOT_A)}
    assert _show(world, consignment.bank, receipt_id).status_code == 200
    assert _show(world, consignment.outsider, receipt_id).status_code == 403

    cancel = f"/warehouses/{WAREHOUSE}/receipts/{receipt_id}/cancel"
    refused = world.client.post(
        cancel, json={"reason": "goods released"}, headers=consignment.warehouse.headers
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "receipt_pledged"
    assert _items(_stock(world, consignment.warehouse))[ev.GTIN_A, ev.LOT_A]["encumbered"] == "100"

    bank_chain.close_financing(financing_id)
    other = world.client.post(
        f"/warehouses/{OTHER_WAREHOUSE}/receipts/{receipt_id}/cancel",
        json={"reason": "not mine"},
        headers=consignment.other_warehouse.headers,
    )
    assert other.status_code == 404, other.text
    done = world.client.post(
        cancel, json={"reason": "goods released"}, headers=consignment.warehouse.headers
    )
    assert done.status_code == 200, done.text
    assert done.json()["chain"]["state"] == "Cancelled"
    assert done.json()["cancelReason"] == "goods released"
    item = _items(_stock(world, consignment.warehouse))[ev.GTIN_A, ev.LOT_A]
    assert (item["encumbered"], item["unencumbered"]) == ("0", "170")


def test_another_warehouse_may_not_cancel_or_issue_on_the_warehouse(
    world: World, consignment: Consignment
) -> None:
    issued = _issue(world, consignment.warehouse, _receipt()).json()
    cancel = world.client.post(
        f"/warehouses/{WAREHOUSE}/receipts/{issued['receiptId']}/cancel",
        json={"reason": "hostile"},
        headers=consignment.other_warehouse.headers,
    )
    assert cancel.status_code == 403, cancel.text
    assert cancel.json()["error"] == "not_the_warehouse"
    assert _show(world, consignment.warehouse, issued["receiptId"]).json()["chain"]["state"] == (
        "Issued"
    )
    unknown = _show(world, consignment.warehouse, "12" * 32)
    assert unknown.status_code == 404
    assert unknown.json()["field"] == "receiptId"


def test_a_capture_rolled_back_for_a_bad_event_leaves_the_ledger_as_it_was(
    world: World, consignment: Consignment
) -> None:
    before = _ledger(world)
    sale = ev.event(ev.WAREHOUSE_EVENTS, "retail_selling")
    sale["eventID"] = "urn:uuid:1c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5"
    sale["quantityList"][0]["quantity"] = 7
    del sale["@context"]
    bad = {**sale, "eventID": "urn:uuid:2c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5", "eventTime": "soon"}
    document = ev.document([sale, bad])
    actor = consignment.warehouse
    response = world.client.post("/capture", json=document, headers=actor.headers)
    assert response.status_code == 202, response.text
    job = world.client.get(response.headers["Location"], headers=actor.headers).json()
    assert job["success"] is False
    assert job["counts"]["captured"] == 0
    assert _ledger(world) == before
    # With the bad event left out, the sale is stored and counted at once.
    response = world.client.post("/capture", json=ev.document([sale]), headers=actor.headers)
    job = world.client.get(response.headers["Location"], headers=actor.headers).json()
    assert job["success"], job
    item = _items(_stock(world, actor))[ev.GTIN_A, ev.LOT_A]
    assert (item["sold"], item["onHand"]) == ("47", "163")


def test_a_party_that_loses_the_warehouse_role_moves_no_stock_until_it_gets_it_back(
    world: World, consignment: Consignment
) -> None:
    captured = _ledger(world)
    revoked = world.client.delete(f"/parties/{WAREHOUSE}/roles/warehouse", headers=world.admin)
    assert revoked.status_code == 409, revoked.text  # its only role: kept
    granted = world.client.post(
        f"/parties/{WAREHOUSE}/roles", json={"role": "logistics"}, headers=world.admin
    )
    assert granted.status_code == 200, granted.text
    revoked = world.client.delete(f"/parties/{WAREHOUSE}/roles/warehouse", headers=world.admin)
    assert revoked.status_code == 200, revoked.text
    assert _ledger(world) == set()
    again = world.client.post(
        f"/parties/{WAREHOUSE}/roles", json={"role": "warehouse"}, headers=world.admin
    )
    assert again.status_code == 200, again.text
    assert _ledger(world) == captured
