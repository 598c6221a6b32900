"""risk_trade: the record the rules read, from parsed CEB documents."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from traceability.risk import InvalidRiskTrade, risk_trade, scan_trades
from traceability.risk._sample_orders import BasketLine, OrderSpec, build_trade
from traceability.risk._sample_world import CATALOGUE, Person
from traceability.trade.inputs import TradeDocuments
from traceability.trade.modes import Direction, TradeMode
from traceability.trade.samples import BASE_TIME, export_trade, import_trade


def test_risk_trade_of_an_import_trade() -> None:
    record = risk_trade(import_trade())
    assert str(record.key) == "3301960A01/SD20250301000001"
    assert record.app_time.isoformat() == "2025-03-01T10:03:00+08:00"
    assert (record.goods_value, record.freight, record.insured_fee) == (808, 20, 5)
    assert record.customs_value == Decimal(833)
    assert [(line.item_no, line.unit_price, line.qty) for line in record.lines] == [
        ("SKU0001", Decimal(569), Decimal(1)),
        ("SKU0002", Decimal("119.5"), Decimal(2)),
    ]
    assert record.buyer_id == record.payer_id == "110101199003071234"
    assert record.phones == frozenset({"13800138000"})
    assert (record.ebc_code, record.logistics_code, record.pay_code) == (
        "3301960B02",
        "3301960L04",
        "3301960P03",
    )
    assert record.mode is TradeMode.RETAIL


def test_risk_trade_takes_insured_fee_from_the_waybill_without_inventory() -> None:
    documents = import_trade(inventory=False)
    assert risk_trade(documents).insured_fee == Decimal(5)
    assert risk_trade(documents).mode is None
    assert risk_trade(documents, mode=TradeMode.BONDED).mode is TradeMode.BONDED


def test_risk_trade_of_an_export_trade_names_no_buyer() -> None:
    record = risk_trade(export_trade())
    assert record.direction is Direction.EXPORT
    assert (record.buyer_id, record.consignee_address, record.payer_id) == (None, None, None)


def test_risk_trade_needs_the_order() -> None:
    documents = import_trade()
    with pytest.raises(InvalidRiskTrade) as caught:
        risk_trade(TradeDocuments(payment=documents.payment, waybill=documents.waybill))
    assert caught.value.field == "order"


def _spec(n: int, address: str, phone: str) -> OrderSpec:
    buyer = Person("张伟", f"3301061990010{n:04d}X", f"1390000{n:04d}", "unused")
    basket = [BasketLine(CATALOGUE[10], Decimal(1), Decimal(40))]
    company = ("3301960B02", "杭州优选国际贸易有限公司")
    return OrderSpec(
        f"SD{n:08d}", buyer, BASE_TIME, basket, company, address=address, consignee_phone=phone
    )


def test_full_width_addresses_and_plus_86_phones_fall_into_one_group() -> None:
    addresses = [
        "浙江省杭州市西湖区文三路90号1栋301室",
        "浙江省杭州市西湖区文三路９０号１栋３０１室",
        "浙江省 杭州市 西湖区 文三路90号 1栋 301室",
        "浙江省杭州市西湖区文三路90号，1栋301室",
        "浙江省杭州市西湖区文三路90号（1栋）301室",
    ]
    phones = [
        "+86 138 0013 8000",
        "138-0013-8000",
        "0086 13800138000",
        "13800138000",
        "+8613800138000",
    ]
    records = [
        risk_trade(build_trade(_spec(n, a, p)))
        for n, (a, p) in enumerate(zip(addresses, phones, strict=True))
    ]
    rules = {alert.rule for alert in scan_trades(records)}
    assert rules == {"risk.shared_address", "risk.shared_phone"}


def test_record_refuses_a_naive_time() -> None:
    record = risk_trade(import_trade())
    with pytest.raises(InvalidRiskTrade):
        replace(record, app_time=record.app_time.replace(tzinfo=None))
