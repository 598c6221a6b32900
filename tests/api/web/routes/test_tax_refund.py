"""Export tax-refund data: the records of released export inventories (JSON and CSV), the
无票免税 flag with its conditions, and the CEB701 summary declaration valid against the
official XSD."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from api.db.models import TradeRecord
from tests.api.conftest import World, stage_fixtures
from tests.api.fx_fixtures import FX_WORLD, FxWorld, submit_export
from tests.traceability.ceb.official_xsd import xsd_errors
from traceability.ceb import read_message
from traceability.trade import samples
from traceability.trade.inputs import TradeDocuments

SHANGHAI = ZoneInfo("Asia/Shanghai")
world_stage, fx = stage_fixtures("fx", FX_WORLD)


def _today() -> str:
    return datetime.now(SHANGHAI).date().isoformat()


def _period() -> dict[str, str]:
    today = datetime.now(SHANGHAI).date()
    return {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}


def _records(world: World, who: str, fx: FxWorld, **params: str) -> Any:
    answer = world.client.get(
        "/tax-refund/records", params=params or _period(), headers=fx.parties[who].headers
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _set(world: World, trade_id: str, **values: Any) -> None:
    with Session(world.runtime.engine) as session:
        trade = session.get(TradeRecord, trade_id)
        assert trade is not None
        for name, value in values.items():
            setattr(trade, name, value)
        session.add(trade)
        session.commit()


def test_records_list_each_released_export_with_its_lines_values_and_dates(
    world: World, fx: FxWorld
) -> None:
    table = _records(world, "customs", fx)
    by_trade = {r["tradeId"]: r for r in table["data"]}
    assert sorted(by_trade) == sorted([fx.trades["export"], fx.trades["export_usd"]])
    customs = fx.parties["customs"].headers
    for name, currency, mode in (("export", "142", "9610"), ("export_usd", "502", "9810")):
        record = by_trade[fx.trades[name]]
        trade = world.client.get(f"/trades/{fx.trades[name]}", headers=customs).json()
        assert record["value"] == trade["customsValue"]
        assert (record["currency"], record["tradeMode"]) == (currency, mode)
        assert record["ebcCode"] == samples.EXPORTER[0]
        assert record["fxReceived"] == "0.00"
        assert record["fxSettlements"] == []
        assert record["fxSettledOn"] is None
        assert datetime.fromisoformat(record["releasedAt"]) > datetime.now(UTC) - timedelta(hours=1)
        assert datetime.fromisoformat(record["declaredAt"]) < datetime.fromisoformat(
            record["releasedAt"]
        )
        lines = samples.EXPORT_LINES
        assert [i["gcode"] for i in record["items"]] == [line.gcode for line in lines]
        assert [i["qty"] for i in record["items"]] == [str(line.qty) for line in lines]


def test_the_retail_export_is_flagged_without_invoice_and_the_warehouse_export_is_not(
    world: World, fx: FxWorld
) -> None:
    by_trade = {r["tradeId"]: r for r in _records(world, "customs", fx)["data"]}
    retail = by_trade[fx.trades["export"]]["taxExemptWithoutInvoice"]
    assert retail["flag"] is True
    assert retail["undecided"] == ["notExcludedGoods", "withoutPurchaseInvoice"]
    met = {c["condition"]: c["met"] for c in retail["conditions"]}
    assert met == {
        "retailExport9610": True,
        "registeredFirm": True,
        "detailsRecorded": True,
        "declaredAtCustoms": True,
        "notExcludedGoods": None,
        "notWhollyReturned": True,
        "withoutPurchaseInvoice": None,
    }
    warehouse = by_trade[fx.trades["export_usd"]]["taxExemptWithoutInvoice"]
    assert warehouse["flag"] is False
    refused = [c for c in warehouse["conditions"] if c["met"] is False]
    assert [c["condition"] for c in refused] == ["retailExport9610"]
    assert "9810" in refused[0]["basis"]


def test_an_excluded_hs_code_refuses_the_flag_naming_the_line(world: World, fx: FxWorld) -> None:
    chapter = samples.EXPORT_LINES[0].gcode[:4]
    world.runtime.settings = world.runtime.settings.model_copy(
        update={"tax_refund_excluded_hs": f"9999,{chapter}"}
    )
    by_trade = {r["tradeId"]: r for r in _records(world, "customs", fx)["data"]}
    flag = by_trade[fx.trades["export"]]["taxExemptWithoutInvoice"]
    assert flag["flag"] is False
    (excluded,) = [c for c in flag["conditions"] if c["condition"] == "notExcludedGoods"]
    assert excluded["met"] is False
    assert f"line 1 ({samples.EXPORT_LINES[0].gcode})" in excluded["basis"]
    world.runtime.settings = world.runtime.settings.model_copy(
        update={"tax_refund_excluded_hs": "9999"}
    )
    by_trade = {r["tradeId"]: r for r in _records(world, "customs", fx)["data"]}
    flag = by_trade[fx.trades["export"]]["taxExemptWithoutInvoice"]
    assert flag["flag"] is True
    assert flag["undecided"] == ["withoutPurchaseInvoice"]


def test_a_wholly_returned_export_is_not_flagged(world: World, fx: FxWorld) -> None:
    before = {r["tradeId"]: r for r in _records(world, "customs", fx)["data"]}
    value = before[fx.trades["export"]]["value"]
    _set(world, fx.trades["export"], returned_value=value, return_state="whole")
    by_trade = {r["tradeId"]: r for r in _records(world, "customs", fx)["data"]}
    record = by_trade[fx.trades["export"]]
    assert record["returned"] == value
    flag = record["taxExemptWithoutInvoice"]
    assert flag["flag"] is False
    refused = [c["condition"] for c in flag["conditions"] if c["met"] is False]
    assert refused == ["notWhollyReturned"]


def test_who_reads_the_records(world: World, fx: FxWorld) -> None:
    everything = {r["tradeId"] for r in _records(world, "customs", fx)["data"]}
    assert {r["tradeId"] for r in _records(world, "regulator", fx)["data"]} == everything
    assert {r["tradeId"] for r in _records(world, "exporter", fx)["data"]} == everything
    assert _records(world, "bystander", fx)["data"] == []  # its own: none
    assert _records(world, "platform", fx)["data"] == []  # the import platform exports none
    anonymous = world.client.get("/tax-refund/records", params=_period())
    assert anonymous.status_code == 401


def test_cancelled_and_out_of_period_inventories_are_left_out(world: World, fx: FxWorld) -> None:
    _set(world, fx.trades["export_usd"], cancelled_at=datetime.now(UTC))
    assert [r["tradeId"] for r in _records(world, "customs", fx)["data"]] == [fx.trades["export"]]
    earlier = {"from": "2025-01-01", "to": "2025-12-31"}
    assert _records(world, "customs", fx, **earlier)["data"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "soon", "to": "2026-11-30"}, "from"),
        ({"from": "2026-11-30", "to": "2026-11-01"}, "to"),
        ({"from": "2026-11-01"}, "to"),
    ],
)
def test_bad_periods_are_refused_naming_the_bound(
    world: World, fx: FxWorld, params: dict[str, str], field: str
) -> None:
    answer = world.client.get(
        "/tax-refund/records", params=params, headers=fx.parties["customs"].headers
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"].endswith(field)


def test_the_csv_has_one_row_per_inventory_line_as_the_json(world: World, fx: FxWorld) -> None:
    customs = fx.parties["customs"].headers
    table = _records(world, "customs", fx)
    answer = world.client.get("/tax-refund/records.csv", params=_period(), headers=customs)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    expected = [
        (r["tradeId"], i["gcode"], i["qty"], r["value"], r["fxReceived"])
        for r in table["data"]
        for i in r["items"]
    ]
    found = [(r["tradeId"], r["gcode"], r["qty"], r["value"], r["fxReceived"]) for r in rows]
    assert found == expected
    flags = {r["tradeId"]: r["taxExemptWithoutInvoice"] for r in rows}
    assert flags == {fx.trades["export"]: "yes", fx.trades["export_usd"]: "no"}


def _summary(world: World, who: str, fx: FxWorld, period: str, **params: str) -> Any:
    return world.client.get(
        f"/customs/summary-declarations/{period}.xml",
        params={"ebcCode": samples.EXPORTER[0], **params},
        headers=fx.parties[who].headers,
    )


def test_the_summary_declaration_lists_the_period_inventories_valid_against_the_xsd(
    world: World, fx: FxWorld
) -> None:
    _set(world, fx.trades["export"], invt_no="40012026E000000101")
    _set(world, fx.trades["export_usd"], invt_no="40012026E000000102")
    month = datetime.now(SHANGHAI).strftime("%Y-%m")
    for who, period in (("customs", month), ("exporter", _today()), ("regulator", month)):
        answer = _summary(world, who, fx, period, dxpId="DXPENT0000012345")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/xml")
        assert xsd_errors(answer.content) == []
        message = read_message(answer.content)
        (summary,) = message.documents
        assert [i.invtNo for i in summary.items] == ["40012026E000000101", "40012026E000000102"]  # type: ignore[attr-defined]
        assert summary.ebcCode == samples.EXPORTER[0]  # type: ignore[attr-defined]
        assert message.base_transfer is not None
        assert message.base_transfer.dxpId == "DXPENT0000012345"


def test_the_summary_declaration_leaves_out_inventories_without_a_number_and_refuses(
    world: World, fx: FxWorld
) -> None:
    month = datetime.now(SHANGHAI).strftime("%Y-%m")
    nothing = _summary(world, "customs", fx, month)
    assert nothing.status_code == 404, nothing.text  # no invtNo yet: no customs receipt
    assert "invtNo" in nothing.json()["message"]
    _set(world, fx.trades["export"], invt_no="40012026E000000101")
    answer = _summary(world, "customs", fx, month)
    assert answer.status_code == 200, answer.text
    (summary,) = read_message(answer.content).documents
    assert [i.invtNo for i in summary.items] == ["40012026E000000101"]  # type: ignore[attr-defined]
    assert _summary(world, "customs", fx, "2025-01").status_code == 404
    other = _summary(world, "bystander", fx, month)
    assert other.status_code == 403
    assert other.json()["field"] == "ebcCode"
    for bad in ("2026-13", "soon", "2026-02-30"):
        refused = _summary(world, "customs", fx, bad)
        assert refused.status_code == 422, bad
        assert refused.json()["field"] == "period"


def test_inventories_under_two_customs_offices_are_refused_naming_the_builder_rule(
    world: World, fx: FxWorld
) -> None:
    terms = samples.ExportTerms(order_no="GZ20250301000055", logistics_no="EMS9876543255CN")
    docs = samples.export_trade(terms)
    inventory = docs.inventory
    assert inventory is not None
    elsewhere = inventory.model_copy(update={"customsCode": "5141"})
    docs = TradeDocuments(
        order=docs.order, payment=docs.payment, waybill=docs.waybill, inventory=elsewhere
    )
    trade_id = submit_export(world, fx.parties, docs)
    world.worker.drain()
    released = world.client.post(
        f"/customs/trades/{trade_id}/release", headers=fx.parties["customs"].headers
    )
    assert released.status_code == 200, released.text
    _set(world, fx.trades["export"], invt_no="40012026E000000101")
    _set(world, trade_id, invt_no="51412026E000000103")
    month = datetime.now(SHANGHAI).strftime("%Y-%m")
    answer = _summary(world, "customs", fx, month)
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"] == "invalid_summary"
    assert "customs" in answer.json()["message"]
