"""risk.shared_address, risk.shared_phone, risk.shared_payer: distinct buyers in a window."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.traceability.risk.factories import at, name, trade
from traceability.risk import RiskThresholds, scan_trades

MINUTE = timedelta(minutes=1)
ADDRESS = "浙江省杭州市西湖区文三路90号1栋301室"
PHONE = "13800138000"


def _buyer(n: int) -> str:
    return f"1101011990030{n:04d}X"


def _rules(trades, rule, thresholds=None):
    return [a for a in scan_trades(trades, thresholds) if a.rule == rule]


@pytest.mark.parametrize(
    ("buyers", "last", "fires"),
    [
        (5, at(0, days=30), True),  # five ID numbers, first to last exactly 30 days
        (5, at(0, days=30) + MINUTE, False),
        (4, at(0, days=3), False),  # a household of four
    ],
    ids=["five-in-30-days", "five-in-30-days-and-a-minute", "household-of-four"],
)
def test_shared_address_boundaries(buyers: int, last: datetime, fires: bool) -> None:
    times = [at(0, days=n) for n in range(buyers - 1)] + [last]
    trades = [trade(n, when, buyer=_buyer(n), address=ADDRESS) for n, when in enumerate(times)]
    alerts = _rules(trades, "risk.shared_address")
    assert bool(alerts) is fires
    if fires:
        assert alerts[0].trades == tuple(name(n) for n in range(buyers))
        assert alerts[0].evidence["buyers"] == buyers
        assert alerts[0].evidence["consigneeAddress"] == ADDRESS
        assert alerts[0].evidence["buyerIdNumbers"] == sorted(_buyer(n) for n in range(buyers))
        assert alerts[0].threshold == {
            "shared_address_min_buyers": 5,
            "shared_address_window_days": 30,
        }


def test_shared_address_counts_distinct_buyers_not_orders() -> None:
    trades = [trade(n, at(n), buyer=_buyer(n % 2), address=ADDRESS) for n in range(10)]
    assert _rules(trades, "risk.shared_address") == []


@pytest.mark.parametrize(
    ("buyers", "last", "fires"),
    [
        (3, at(0, days=90), True),
        (3, at(0, days=90) + MINUTE, False),
        (2, at(1), False),  # a couple sharing one number
    ],
    ids=["three-in-90-days", "three-in-90-days-and-a-minute", "couple"],
)
def test_shared_phone_boundaries(buyers: int, last: datetime, fires: bool) -> None:
    times = [at(0, days=n) for n in range(buyers - 1)] + [last]
    trades = [trade(n, when, buyer=_buyer(n), phone=PHONE) for n, when in enumerate(times)]
    alerts = _rules(trades, "risk.shared_phone")
    assert bool(alerts) is fires
    if fires:
        assert alerts[0].evidence["telephone"] == PHONE
        assert alerts[0].evidence["buyers"] == buyers


def test_shared_phone_counts_buyer_and_consignee_numbers_together() -> None:
    trades = [
        trade(1, at(0), buyer=_buyer(1), phone=PHONE),
        trade(2, at(5), buyer=_buyer(2), consignee_phone=PHONE),
        trade(3, at(9), buyer=_buyer(3), consignee_phone=PHONE),
    ]
    [alert] = _rules(trades, "risk.shared_phone")
    assert alert.trades == (name(1), name(2), name(3))


@pytest.mark.parametrize(("buyers", "fires"), [(5, True), (4, False)])
def test_shared_payer_needs_five_buyers_in_30_days(buyers: int, fires: bool) -> None:
    payer = "330106198001011111"
    trades = [trade(n, at(0, days=7 * n), buyer=_buyer(n), payer=payer) for n in range(buyers)]
    alerts = _rules(trades, "risk.shared_payer")
    assert bool(alerts) is fires
    if fires:
        assert alerts[0].evidence["payerIdNumber"] == payer
        assert alerts[0].evidence["orders"] == buyers


def test_shared_phone_minimum_is_a_setting() -> None:
    trades = [trade(n, at(n), buyer=_buyer(n), phone=PHONE) for n in range(2)]
    assert _rules(trades, "risk.shared_phone") == []
    assert len(_rules(trades, "risk.shared_phone", RiskThresholds(shared_phone_min_buyers=2))) == 1


def test_shared_address_splits_distant_bursts_into_two_alerts() -> None:
    first = [trade(n, at(0, days=n), buyer=_buyer(n), address=ADDRESS) for n in range(5)]
    later = [trade(10 + n, at(0, days=100 + n), buyer=_buyer(n), address=ADDRESS) for n in range(5)]
    alerts = _rules(first + later, "risk.shared_address")
    assert [len(a.trades) for a in alerts] == [5, 5]
