"""risk.price_outlier and risk.new_company_spike."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.traceability.risk.factories import at, name, trade
from traceability.risk import RiskLine, scan_trades
from traceability.risk._rules_market import median


def _line(price: str, item: str = "JP004901") -> tuple[RiskLine, ...]:
    return (RiskLine(item, Decimal(price), Decimal(1)),)


def _market(prices: list[str], buyer_base: int = 0) -> list:
    return [
        trade(n, at(n * 30), p, buyer=f"buyer{buyer_base + n}", lines=_line(p))
        for n, p in enumerate(prices)
    ]


def _outliers(trades):
    return [a for a in scan_trades(trades) if a.rule == "risk.price_outlier"]


@pytest.mark.parametrize(
    ("price", "fires"),
    [("29.99", True), ("30", False), ("300", False), ("300.01", True)],
    ids=["under-30%", "exactly-30%", "exactly-300%", "over-300%"],
)
def test_price_outlier_boundaries(price: str, fires: bool) -> None:
    trades = _market(["100"] * 10 + [price])  # median 100 whatever the 11th price
    alerts = _outliers(trades)
    assert bool(alerts) is fires
    if fires:
        assert alerts[0].trades == (name(10),)
        assert alerts[0].evidence["median"] == "100"
        assert alerts[0].evidence["unitPrices"] == [price]
        assert alerts[0].evidence["linesSeen"] == 11


@pytest.mark.parametrize(("normal", "fires"), [(9, True), (8, False)], ids=["10-lines", "9-lines"])
def test_price_outlier_waits_for_ten_lines(normal: int, fires: bool) -> None:
    assert bool(_outliers(_market(["100"] * normal + ["10"]))) is fires


def test_price_outlier_leaves_prices_within_40_percent_alone() -> None:
    prices = ["60", "140", "75", "125", "100", "90", "110", "61", "139", "100", "99", "101"]
    assert _outliers(_market(prices)) == []


def test_price_outlier_compares_only_the_same_item() -> None:
    trades = _market(["100"] * 10)
    trades.append(trade(99, at(1), "5", buyer="x", lines=_line("5", item="JP009999")))
    assert _outliers(trades) == []


def test_price_outlier_keeps_unlike_goods_under_one_item_number_apart() -> None:
    # A seller numbering lines SKU0001, SKU0002… : the same itemNo, different goods.
    serum = [RiskLine("SKU0001", Decimal(569), Decimal(1), "资生堂精华露")]
    socks = [RiskLine("SKU0001", Decimal(20), Decimal(1), "棉袜")]
    trades = [
        trade(n, at(n), buyer=f"b{n}", lines=tuple(serum if n % 2 else socks)) for n in range(24)
    ]
    assert _outliers(trades) == []


def test_price_outlier_falls_back_to_the_name_without_item_number() -> None:
    lines = [(RiskLine(None, Decimal(p), Decimal(1), "棉袜"),) for p in ["20"] * 10 + ["2"]]
    trades = [trade(n, at(n), buyer=f"b{n}", lines=line) for n, line in enumerate(lines)]
    [alert] = _outliers(trades)
    assert (alert.evidence["itemNo"], alert.evidence["itemName"]) == ("", "棉袜")
    assert alert.trades == (name(10),)


@pytest.mark.parametrize(
    ("values", "middle"),
    [(["1", "3", "2"], "2"), (["4", "1", "3", "2"], "2.5"), (["7"], "7")],
)
def test_median(values: list[str], middle: str) -> None:
    assert median([Decimal(v) for v in values]) == Decimal(middle)


NEW = "4401960B99"


@pytest.mark.parametrize(
    ("first_day", "orders", "fires"),
    [(30, 50, True), (30, 49, False), (29, 60, False)],
    ids=["new-with-50", "new-with-49", "not-new"],
)
def test_new_company_spike(first_day: int, orders: int, fires: bool) -> None:
    established = [trade(n, at(0, days=n), buyer=f"old{n}") for n in range(40)]
    burst = [
        trade(100 + n, at(n, days=first_day), buyer=f"new{n}", company=NEW) for n in range(orders)
    ]  # one an hour: about two days
    alerts = [a for a in scan_trades(established + burst) if a.rule == "risk.new_company_spike"]
    assert bool(alerts) is fires
    if fires:
        assert alerts[0].evidence["ebcCode"] == NEW
        assert alerts[0].evidence["orders"] == orders
        assert len(alerts[0].trades) == orders
