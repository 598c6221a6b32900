"""Rules that compare a trade with the market seen so far: price outliers, new companies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from decimal import Decimal

from traceability.risk._rule_type import GroupKey, RiskRule, Scope
from traceability.risk._windows import OrderCounter, clusters, flagged_windows, window_evidence
from traceability.risk.alerts import Evidence, RiskAlert, make_alert, moment, money
from traceability.risk.record import RiskLine, RiskTrade

__all__ = ["NEW_COMPANY_SPIKE", "PRICE_OUTLIER", "median"]

_RATIO = Decimal("0.0001")


def median(values: Sequence[Decimal]) -> Decimal:
    """The median of ``values`` (the mean of the middle two for an even count)."""
    if not values:
        raise ValueError("median of no values")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _by_item(trade: RiskTrade) -> Iterable[GroupKey]:
    # One market per direction and currency: an export price in USD says nothing of an import.
    way = trade.direction.value
    return sorted({(way, trade.currency, *line.item) for line in trade.lines if line.item})


def _item_key(key: GroupKey) -> tuple[str, str, tuple[str, str]]:
    if isinstance(key, str):
        raise TypeError("price groups are keyed by (direction, currency, itemNo, itemName)")
    return str(key[0]), str(key[1]), (str(key[2]), str(key[3]))


def _lines_of(trade: RiskTrade, item: tuple[str, str]) -> list[RiskLine]:
    return [line for line in trade.lines if line.item == item]


def _price_outliers(scope: Scope) -> list[RiskAlert]:
    t = scope.thresholds
    direction, currency, item = _item_key(scope.key)
    prices = [line.unit_price for trade in scope.trades for line in _lines_of(trade, item)]
    if len(prices) < t.price_min_lines:
        return []
    middle = median(prices)
    if not middle:
        return []  # free samples: no price to compare with
    low, high = middle * t.price_low_ratio, middle * t.price_high_ratio
    threshold: dict[str, Evidence] = {
        "price_low_ratio": money(t.price_low_ratio),
        "price_high_ratio": money(t.price_high_ratio),
        "price_min_lines": t.price_min_lines,
    }
    alerts = []
    for trade in scope.trades:
        unit_prices = [line.unit_price for line in _lines_of(trade, item)]
        odd = [price for price in unit_prices if not low <= price <= high]
        if not odd:
            continue
        evidence: dict[str, Evidence] = {
            "itemNo": item[0],
            "itemName": item[1],
            "direction": direction,
            "currency": currency,
            "unitPrices": [money(price) for price in odd],
            "ratios": [money((price / middle).quantize(_RATIO)) for price in odd],
            "median": money(middle),
            "linesSeen": len(prices),
        }
        alerts.append(make_alert(PRICE_OUTLIER.id, (trade,), evidence, threshold))
    return alerts


def _by_company(trade: RiskTrade) -> Iterable[GroupKey]:
    return (trade.ebc_code,) if trade.ebc_code else ()


def _new_company_spike(scope: Scope) -> list[RiskAlert]:
    t = scope.thresholds
    first = scope.trades[0].app_time
    if first - scope.scan_start < timedelta(days=t.new_company_watch_days):
        return []  # seen from (nearly) the start of the scan: not known to be new
    young_until = first + timedelta(days=t.new_company_first_days)
    young = [trade for trade in scope.trades if trade.app_time <= young_until]
    span = timedelta(days=t.new_company_window_days)
    windows = flagged_windows(young, span, OrderCounter(t.new_company_min_orders))
    threshold: dict[str, Evidence] = {
        "new_company_watch_days": t.new_company_watch_days,
        "new_company_first_days": t.new_company_first_days,
        "new_company_window_days": t.new_company_window_days,
        "new_company_min_orders": t.new_company_min_orders,
    }
    alerts = []
    for cluster in clusters(windows):
        flagged = young[cluster.start : cluster.end]
        evidence: dict[str, Evidence] = {
            "ebcCode": str(scope.key),
            "firstSeen": moment(first),
            "scanStart": moment(scope.scan_start),
            "orders": len(flagged),
            "windows": [window_evidence(young, w) for w in cluster.windows],
        }
        alerts.append(make_alert(NEW_COMPANY_SPIKE.id, flagged, evidence, threshold))
    return alerts


PRICE_OUTLIER = RiskRule(
    "risk.price_outlier",
    "a line's unit price is far from the median of the same itemNo",
    _by_item,
    _price_outliers,
)
NEW_COMPANY_SPIKE = RiskRule(
    "risk.new_company_spike",
    "an e-commerce company new to the scan sells a burst of orders in its first weeks",
    _by_company,
    _new_company_spike,
    uses_scan_start=True,
)
