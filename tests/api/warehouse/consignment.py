"""A 9810 consignment in an overseas warehouse, built once per backend for the warehouse tests:
the parties, a released 9810 trade booked with the Rotterdam warehouse, and the EPCIS events
of the exporter, the carrier and the warehouse (:mod:`tests.api.warehouse.events`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from api.db.warehouse_models import WarehouseStockEntryRecord
from tests.api.conftest import World, WorldStage
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


def stock_of(world: World, actor: Actor, code: str = WAREHOUSE) -> Any:
    """``GET /warehouses/{code}/stock`` as ``actor``."""
    return world.client.get(f"/warehouses/{code}/stock", headers=actor.headers)


def items(answer: Any) -> dict[tuple[str, str | None], dict[str, Any]]:
    """The stock rows of a 200 answer, by (GTIN, lot)."""
    assert answer.status_code == 200, answer.text
    return {(i["gtin"], i["lot"]): i for i in answer.json()["items"]}


def ledger_rows(world: World) -> set[tuple[str, str, str, str, str, str]]:
    """Every ledger row as (warehouse, event hash, movement, GTIN, lot, quantity)."""
    with Session(world.runtime.engine) as session:
        return {
            (r.warehouse_code, r.event_hash, r.movement, r.gtin, r.lot, r.quantity)
            for r in session.exec(select(WarehouseStockEntryRecord)).all()
        }


def locations(world: World, code: str, glns: list[str]) -> None:
    """Register ``glns`` as ``code``'s locations (administrator)."""
    _locations(world, code, glns)
