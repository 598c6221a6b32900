"""Matching return applications to the released trade: a case per rule."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from traceability.ceb.models import ExportReturnApplication, ReturnApplication
from traceability.ceb.returns import (
    RETURN_RULES,
    OriginalTrade,
    ReturnStatus,
    match_return,
)
from traceability.trade import ImportInventory, TradeKey, samples
from traceability.trade.samples import BASE_TIME

TERMS = samples.ImportTerms()
DOCS = samples.import_trade(TERMS)
INVENTORY = DOCS.inventory
assert isinstance(INVENTORY, ImportInventory)
RELEASED = BASE_TIME + timedelta(days=1)
NOW = RELEASED + timedelta(days=3)
PERIOD = timedelta(days=30)
#: The sample trade's customs value: 808 goods + 20 freight + 5 insurance.
VALUE = Decimal("833")


def application(**changes: Any) -> ReturnApplication:
    """A return of one of the two nappies (line 2) of the sample trade."""
    data: dict[str, Any] = {
        "guid": "6F9619FF-8B86-D011-B42D-00C04FC96001",
        "appType": "1",
        "appTime": "20250304100000",
        "appStatus": "2",
        "customsCode": "2991",
        "orderNo": TERMS.order_no,
        "ebpCode": samples.PLATFORM[0],
        "ebpName": samples.PLATFORM[1],
        "ebcCode": samples.SELLER[0],
        "ebcName": samples.SELLER[1],
        "logisticsNo": TERMS.logistics_no,
        "logisticsCode": samples.CARRIER[0],
        "logisticsName": samples.CARRIER[1],
        "copNo": INVENTORY.copNo,
        "invtNo": "29912025I000000001",
        "buyerIdType": "1",
        "buyerIdNumber": samples.BUYER[1],
        "buyerName": samples.BUYER[0],
        "buyerTelephone": samples.BUYER[2],
        "agentCode": samples.SELLER[0],
        "agentName": samples.SELLER[1],
        "reason": "尺码不合适",
        "InvtRefundList": [
            {"gnum": 2, "gcode": "9619001100", "gname": "花王纸尿裤", "qty": "1", "unit": "011"}
        ],
    }
    data.update(changes)
    return ReturnApplication.model_validate(data)


def original(**changes: Any) -> OriginalTrade:
    values: dict[str, Any] = {
        "key": TradeKey(samples.PLATFORM[0], TERMS.order_no),
        "inventory": INVENTORY,
        "value": VALUE,
        "released_at": RELEASED,
        "invt_no": "29912025I000000001",
    }
    values.update(changes)
    return OriginalTrade(**values)


def line(gnum: int, qty: str, gcode: str = "9619001100", unit: str = "011") -> dict[str, Any]:
    return {"gnum": gnum, "gcode": gcode, "gname": "x", "qty": qty, "unit": unit}


def test_a_partial_return_is_worth_its_lines_at_the_inventory_price() -> None:
    verdict = match_return(application(), original(), now=NOW, period=PERIOD)
    assert verdict.status is ReturnStatus.ACCEPTED, verdict.failures
    assert verdict.amount == Decimal("119.50")
    assert (verdict.whole, verdict.returned_total) == (False, Decimal("119.50"))
    assert verdict.to_json_dict()["lines"] == [
        {"gnum": 2, "qty": "1", "amount": "119.50", "declared": "2", "returnedBefore": "0"}
    ]
    assert verdict.note().startswith("退货申请已接受")


def test_the_last_return_of_every_line_takes_what_is_left_of_the_declared_value() -> None:
    everything = application(InvtRefundList=[line(1, "1", "3304990099"), line(2, "2")])
    verdict = match_return(everything, original(), now=NOW, period=PERIOD)
    assert verdict.accepted
    assert verdict.whole
    assert verdict.amount == VALUE  # goods, freight and insurance: nothing left counted
    after_partial = original(returned={2: Decimal(1)}, returned_value=Decimal("119.50"))
    rest = application(InvtRefundList=[line(1, "1", "3304990099"), line(2, "1")])
    verdict = match_return(rest, after_partial, now=NOW, period=PERIOD)
    assert verdict.whole
    assert verdict.amount == VALUE - Decimal("119.50")
    assert verdict.returned_total == VALUE


@pytest.mark.parametrize(
    ("changes", "trade", "now", "rule", "field", "expected", "actual"),
    [
        (
            {"InvtRefundList": [line(2, "3")]},
            {},
            NOW,
            "return.quantity",
            "InvtRefundList[gnum=2].qty",
            "> 0 and <= 2",
            "3",
        ),
        # Cumulative: one of the two was returned before.
        (
            {"InvtRefundList": [line(2, "2")]},
            {"returned": {2: Decimal(1)}, "returned_value": Decimal("119.50")},
            NOW,
            "return.quantity",
            "InvtRefundList[gnum=2].qty",
            "> 0 and <= 1",
            "2",
        ),
        (
            {"InvtRefundList": [line(3, "1")]},
            {},
            NOW,
            "return.item",
            "InvtRefundList[gnum=3].gnum",
            "a gnum of the inventory (1, 2)",
            "3",
        ),
        (
            {"InvtRefundList": [line(2, "1", gcode="6115940000")]},
            {},
            NOW,
            "return.item",
            "InvtRefundList[gnum=2].gcode",
            "9619001100",
            "6115940000",
        ),
        (
            {"ebcCode": "3301960X99"},
            {},
            NOW,
            "return.company",
            "ebcCode",
            samples.SELLER[0],
            "3301960X99",
        ),
        (
            {"invtNo": "29912025I000000002"},
            {},
            NOW,
            "return.inventory",
            "invtNo",
            "29912025I000000001",
            "29912025I000000002",
        ),
        (
            {"buyerIdNumber": "110101199001011111"},
            {},
            NOW,
            "return.buyer",
            "buyerIdNumber",
            samples.BUYER[1],
            "110101199001011111",
        ),
        ({}, {"released_at": None}, NOW, "return.released", "orderNo", None, "not released"),
        ({}, {"cancelled": True}, NOW, "return.released", "orderNo", None, "cancelled"),
        (
            {},
            {},
            RELEASED + PERIOD + timedelta(seconds=1),
            "return.period",
            "appTime",
            None,
            None,
        ),
    ],
)
def test_a_mismatched_return_says_which_rule_field_and_values(
    changes: dict[str, Any],
    trade: dict[str, Any],
    now: Any,
    rule: str,
    field: str,
    expected: str | None,
    actual: str | None,
) -> None:
    verdict = match_return(application(**changes), original(**trade), now=now, period=PERIOD)
    assert verdict.status is ReturnStatus.REFUSED
    assert verdict.amount == 0
    (failure,) = [f for f in verdict.failures if f.rule == rule]
    assert failure.field == field
    if expected is not None:
        assert failure.expected == expected
    if actual is not None:
        assert failure.actual == actual
    assert rule in RETURN_RULES
    assert f"[{rule}] {field}" in verdict.note()


def test_on_the_last_day_of_the_period_a_return_is_still_accepted() -> None:
    verdict = match_return(application(), original(), now=RELEASED + PERIOD, period=PERIOD)
    assert verdict.accepted


def test_without_a_customs_inventory_number_the_enterprise_number_is_compared() -> None:
    unnumbered = original(invt_no=None)
    assert match_return(application(), unnumbered, now=NOW, period=PERIOD).accepted
    other = application(copNo="OTHER0001")
    (failure,) = match_return(other, unnumbered, now=NOW, period=PERIOD).failures
    assert (failure.rule, failure.field) == ("return.inventory", "copNo")


def test_a_return_of_no_known_trade_is_refused() -> None:
    verdict = match_return(application(), None, now=NOW, period=PERIOD)
    assert verdict.failed_rules == ("return.trade",)
    assert verdict.failures[0].field == "orderNo"
    export = match_return(export_application(), None, now=NOW, period=PERIOD)
    assert export.failures[0].field == "invtNo"


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        match_return(application(), original(), now=NOW.replace(tzinfo=None), period=PERIOD)


EXPORT_DOCS = samples.export_trade()


def export_application(**changes: Any) -> ExportReturnApplication:
    inventory = EXPORT_DOCS.inventory
    assert inventory is not None
    first = inventory.items[0]
    data: dict[str, Any] = {
        "guid": "6F9619FF-8B86-D011-B42D-00C04FC96213",
        "appType": "1",
        "appTime": "20250320100000",
        "appStatus": "2",
        "customsCode": inventory.customsCode,
        "ebpCode": inventory.ebpCode,
        "ebpName": inventory.ebpName,
        "ebcCode": inventory.ebcCode,
        "ebcName": inventory.ebcName,
        "logisticsNo": inventory.logisticsNo,
        "logisticsCode": inventory.logisticsCode,
        "logisticsName": inventory.logisticsName,
        "coElNo": "RT2025032000001",
        "invtNo": "29912025E000000001",
        "agentCode": inventory.agentCode,
        "agentName": inventory.agentName,
        "billNo": inventory.logisticsNo,
        "ieFlag": "I",
        "trafMode": "5",
        "trafName": "CA1234",
        "portCode": inventory.portCode,
        "reason": "买家拒收",
        "country": inventory.country,
        "voyageNo": "20250320",
        "InvtRefundList": [
            {
                "gnum": first.gnum,
                "gcode": first.gcode,
                "gname": first.gname,
                "gmodel": first.gmodel,
                "qty": "5",
                "qty1": "5",
                "unit": first.unit,
                "unit1": first.unit1,
            }
        ],
    }
    data.update(changes)
    return ExportReturnApplication.model_validate(data)


def test_an_export_return_is_matched_against_the_export_inventory() -> None:
    inventory = EXPORT_DOCS.inventory
    assert inventory is not None
    assert EXPORT_DOCS.order is not None
    trade = OriginalTrade(
        key=TradeKey(inventory.ebpCode, inventory.orderNo),
        inventory=inventory,
        value=EXPORT_DOCS.order.goodsValue,
        released_at=RELEASED,
        invt_no="29912025E000000001",
    )
    verdict = match_return(export_application(), trade, now=NOW, period=timedelta(days=365))
    assert verdict.accepted, verdict.failures
    assert verdict.amount == Decimal("340.00")  # 5 boxes at 68
    over = export_application(
        InvtRefundList=[{**export_application().to_json_dict()["InvtRefundList"][0], "qty": "21"}]
    )
    refused = match_return(over, trade, now=NOW, period=timedelta(days=365))
    assert refused.failed_rules == ("return.quantity",)
