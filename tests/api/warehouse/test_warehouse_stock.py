"""Overseas warehouse (9810): the stock ledger from the warehouse's EPCIS events and the
released 9810 inventories, who may read it, and the reconciliation with its evidence."""

from __future__ import annotations

import pytest
from sqlalchemy import delete
from sqlmodel import Session, col, select

from api.db.warehouse_models import WarehouseStockEntryRecord
from api.services import warehouse_ledger
from tests.api.conftest import World, stage_fixtures
from tests.api.warehouse import events as ev
from tests.api.warehouse.consignment import (
    CONSIGNMENT,
    INVT_NO,
    WAREHOUSE,
    Consignment,
)
from tests.api.warehouse.consignment import (
    items as _items,
)
from tests.api.warehouse.consignment import (
    ledger_rows as _ledger,
)
from tests.api.warehouse.consignment import (
    locations as _locations,
)
from tests.api.warehouse.consignment import (
    stock_of as _stock,
)
from tests.traceability.epcis.official_schema import schema_errors

world_stage, consignment = stage_fixtures("consignment", CONSIGNMENT)


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


def test_rebuilding_the_ledger_from_the_events_gives_the_same_ledger(
    world: World, consignment: Consignment
) -> None:
    captured = _ledger(world)
    assert len(captured) == 7  # both lots received, then 5 movements of lot A
    with Session(world.runtime.engine) as session:
        session.execute(delete(WarehouseStockEntryRecord))  # from scratch
        session.commit()
        assert _ledger(world) == set()
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


def test_more_out_than_in_is_flagged_as_negative_stock_with_the_events(
    world: World, consignment: Consignment
) -> None:
    out = ev.event(ev.WAREHOUSE_EVENTS, "shipping")
    out["eventID"] = "urn:uuid:3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7"
    out["eventTime"] = "2026-12-03T10:00:00.000+01:00"
    out["quantityList"][0]["quantity"] = 200
    actor = consignment.warehouse
    response = world.client.post(
        "/events", json=actor.envelope("epcis-event", out), headers=actor.headers
    )
    assert response.status_code == 201, response.text
    assert _items(_stock(world, actor))[ev.GTIN_A, ev.LOT_A]["onHand"] == "-30"
    answer = world.client.get(f"/warehouses/{WAREHOUSE}/reconciliation", headers=actor.headers)
    (negative,) = [d for d in answer.json()["differences"] if d["kind"] == "negative_stock"]
    assert (negative["lot"], negative["expected"], negative["actual"]) == (ev.LOT_A, "231", "261")
    hashes = [e["eventHash"] for e in negative["events"]]
    assert response.json()["eventHash"] in hashes
    assert {e["movement"] for e in negative["events"]} == {
        "received", "shipped", "sold", "returned", "destroyed",
    }  # fmt: skip
    (sales,) = answer.json()["sales"]
    assert sales["exceedsDeclared"] is True  # 40 + 220 + 1 − 3 left of 230 declared
