"""risk.split_order, risk.annual_limit, risk.threshold_hugging: boundaries, windows, evidence."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.traceability.risk.factories import at, name, trade
from traceability.risk import RiskThresholds, scan_trades

MINUTE = timedelta(minutes=1)


def _rules(trades, rule, thresholds=None):
    return [a for a in scan_trades(trades, thresholds) if a.rule == rule]


# --- split orders ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("second_at", "values", "fires"),
    [
        (at(24), ("2500", "2500.01"), True),  # exactly 24 h apart is within 24 h
        (at(24) + MINUTE, ("2500", "2500.01"), False),
        (at(3), ("2500", "2500"), False),  # exactly 5,000 does not exceed it
        (at(3), ("2500", "2500.01"), True),
        (at(23), ("4999", "1.01"), True),
    ],
    ids=["exactly-24h", "24h-and-a-minute", "exactly-5000", "just-over", "one-large"],
)
def test_split_order_boundaries(second_at: datetime, values: tuple[str, str], fires: bool) -> None:
    trades = [trade(1, at(0), values[0]), trade(2, second_at, values[1])]
    alerts = _rules(trades, "risk.split_order")
    assert bool(alerts) is fires
    if fires:
        assert alerts[0].trades == (name(1), name(2))


def test_split_order_counts_freight_and_insurance() -> None:
    trades = [
        trade(1, at(0), "2490", freight="10"),
        trade(2, at(5), "2490", freight="9.99", insured="0.02"),
    ]
    [alert] = _rules(trades, "risk.split_order")
    assert alert.evidence["customsValue"] == "5000.01"


def test_split_order_needs_two_orders() -> None:
    assert _rules([trade(1, at(0), "9000")], "risk.split_order") == []


def test_split_order_merges_overlapping_windows_into_one_alert() -> None:
    trades = [trade(1, at(0), "3000"), trade(2, at(20), "2500"), trade(3, at(40), "2600")]
    [alert] = _rules(trades, "risk.split_order")
    assert alert.trades == (name(1), name(2), name(3))
    assert alert.evidence["orders"] == 3
    assert alert.evidence["customsValue"] == "8100"
    assert alert.evidence["windows"] == [
        {"from": "2025-03-01T10:00:00+08:00", "to": "2025-03-02T06:00:00+08:00",
         "orders": 2, "customsValue": "5500"},
        {"from": "2025-03-02T06:00:00+08:00", "to": "2025-03-03T02:00:00+08:00",
         "orders": 2, "customsValue": "5100"},
    ]  # fmt: skip
    assert alert.threshold == {
        "single_limit": "5000",
        "split_order_window_hours": 24,
        "split_order_min_orders": 2,
    }


def test_split_order_keeps_distant_orders_and_other_buyers_out() -> None:
    trades = [
        trade(1, at(0), "3000"),
        trade(2, at(10), "3000"),
        trade(3, at(35), "100"),  # more than 24 h after the first, and the 2nd + 3rd stay small
        trade(4, at(1), "4000", buyer="320101199001011234"),
        trade(5, at(0, days=10), "2600"),
        trade(6, at(2, days=10), "2600"),
    ]
    alerts = _rules(trades, "risk.split_order")
    assert [a.trades for a in alerts] == [(name(1), name(2)), (name(5), name(6))]
    assert {a.evidence["buyerIdNumber"] for a in alerts} == {"110101199003071234"}


def test_split_order_limit_is_a_setting() -> None:
    trades = [trade(1, at(0), "2000"), trade(2, at(1), "2000")]
    assert _rules(trades, "risk.split_order") == []
    lower = RiskThresholds(single_limit=3000)
    [alert] = _rules(trades, "risk.split_order", lower)
    assert alert.threshold["single_limit"] == "3000"


# --- annual limit --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last", "flagged"),
    [("2000", ()), ("2000.01", (6,))],
    ids=["exactly-26000", "just-over"],
)
def test_annual_limit_boundary(last: str, flagged: tuple[int, ...]) -> None:
    trades = [trade(n, at(0, days=20 * n), "4800") for n in range(1, 6)]  # 24,000
    trades.append(trade(6, at(0, days=130), last))
    alerts = _rules(trades, "risk.annual_limit")
    assert [a.trades for a in alerts] == ([tuple(name(n) for n in flagged)] if flagged else [])


def test_annual_limit_flags_the_passing_trade_and_every_later_one() -> None:
    trades = [trade(n, at(0, days=15 * n), "4900") for n in range(1, 9)]
    [alert] = _rules(trades, "risk.annual_limit")
    assert alert.trades == tuple(name(n) for n in (6, 7, 8))
    assert alert.evidence == {
        "buyerIdNumber": "110101199003071234",
        "year": 2025,
        "passedBy": name(6),
        "passedAt": "2025-05-30T10:00:00+08:00",
        "totalBefore": "24500",
        "totalAfter": "29400",
        "yearTotal": "39200",
        "orders": 3,
    }


def test_annual_limit_counts_a_trade_net_of_the_goods_returned_from_it() -> None:
    trades = [trade(n, at(0, days=20 * n), "4800") for n in range(1, 6)]  # 24,000
    trades.append(trade(6, at(0, days=130), "2000.01"))
    assert _rules(trades, "risk.annual_limit") != []
    # 100 CNY of the first trade's goods came back: 25,900.01 is under the limit again.
    trades[0] = replace(trades[0], returned_value=Decimal("100"))
    assert trades[0].annual_value == Decimal("4700")
    assert _rules(trades, "risk.annual_limit") == []


def test_annual_limit_resets_with_the_china_calendar_year() -> None:
    # 16:30 UTC on 31 December is already 1 January in China.
    new_year = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)
    late = [trade(n, new_year - timedelta(days=10 * n), "4900") for n in range(1, 6)]  # 24,500
    trades = [*late, trade(9, new_year, "4900")]
    assert _rules(trades, "risk.annual_limit") == []
    trades.append(trade(10, new_year - timedelta(hours=1), "4900"))  # 23:30 China time, 2025
    [alert] = _rules(trades, "risk.annual_limit")
    assert alert.trades == (name(10),)
    assert alert.evidence["year"] == 2025


# --- threshold hugging ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "fires"),
    [
        (("4750", "4750", "5000"), True),  # 95 % and 100 % exactly are in the band
        (("4749.99", "4800", "4900"), False),
        (("5000.01", "4800", "4900"), False),
    ],
    ids=["band-edges", "just-under-95", "just-over-100"],
)
def test_threshold_hugging_band(values: tuple[str, ...], fires: bool) -> None:
    trades = [trade(n, at(0, days=30 * n), v) for n, v in enumerate(values)]
    assert bool(_rules(trades, "risk.threshold_hugging")) is fires


@pytest.mark.parametrize(
    ("third", "fires"),
    [(at(0, days=90), True), (at(0, days=90) + MINUTE, False)],
    ids=["exactly-90-days", "90-days-and-a-minute"],
)
def test_threshold_hugging_window(third: datetime, fires: bool) -> None:
    trades = [trade(1, at(0), "4800"), trade(2, at(0, days=45), "4800"), trade(3, third, "4800")]
    alerts = _rules(trades, "risk.threshold_hugging")
    assert bool(alerts) is fires
    if fires:
        assert alerts[0].evidence["customsValues"] == ["4800", "4800", "4800"]
        assert alerts[0].evidence["band"] == ["4750", "5000"]


def test_threshold_hugging_ignores_orders_outside_the_band() -> None:
    trades = [trade(1, at(0), "4800"), trade(2, at(0, days=10), "1200")]
    trades += [trade(3, at(0, days=20), "4990"), trade(4, at(0, days=30), "4760")]
    [alert] = _rules(trades, "risk.threshold_hugging")
    assert alert.trades == (name(1), name(3), name(4))
