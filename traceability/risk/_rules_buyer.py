"""Rules over one buyer's own orders: split orders, the annual limit, threshold hugging.

Only trades that name a buyer ID number (import orders) are grouped; values are
customs values (goodsValue + freight + insuredFee, CNY).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from traceability.risk._rule_type import GroupKey, RiskRule, Scope
from traceability.risk._windows import (
    OrderCounter,
    ValueCounter,
    clusters,
    flagged_windows,
    window_evidence,
)
from traceability.risk.alerts import Evidence, RiskAlert, make_alert, moment, money
from traceability.risk.record import RiskTrade
from traceability.trade.fields import CHINA_TZ

__all__ = ["ANNUAL_LIMIT", "SPLIT_ORDER", "THRESHOLD_HUGGING"]

_ZERO = Decimal(0)


def _by_buyer(trade: RiskTrade) -> Iterable[GroupKey]:
    return (trade.buyer_id,) if trade.buyer_id else ()


def _by_buyer_year(trade: RiskTrade) -> Iterable[GroupKey]:
    if not trade.buyer_id:
        return ()
    return ((trade.buyer_id, trade.app_time.astimezone(CHINA_TZ).year),)


def _split_orders(scope: Scope) -> list[RiskAlert]:
    t = scope.thresholds
    counter = ValueCounter(t.split_order_min_orders, t.single_limit)
    windows = flagged_windows(scope.trades, t.split_order_window, counter)
    threshold: dict[str, Evidence] = {
        "single_limit": money(t.single_limit),
        "split_order_window_hours": t.split_order_window_hours,
        "split_order_min_orders": t.split_order_min_orders,
    }
    alerts = []
    for cluster in clusters(windows):
        trades = scope.trades[cluster.start : cluster.end]
        evidence: dict[str, Evidence] = {
            "buyerIdNumber": str(scope.key),
            "orders": len(trades),
            "customsValue": money(sum((trade.customs_value for trade in trades), _ZERO)),
            "windows": [window_evidence(scope.trades, w) for w in cluster.windows],
        }
        alerts.append(make_alert(SPLIT_ORDER.id, trades, evidence, threshold))
    return alerts


def _annual_limit(scope: Scope) -> list[RiskAlert]:
    t = scope.thresholds
    if isinstance(scope.key, str):
        raise TypeError("annual groups are keyed by (buyerIdNumber, year)")
    buyer, year = scope.key
    total = _ZERO
    for index, trade in enumerate(scope.trades):
        # Goods returned give the quota back: a trade counts net of its returns.
        before, total = total, total + trade.annual_value
        if total > t.annual_limit:
            flagged = scope.trades[index:]
            year_total = sum((x.annual_value for x in scope.trades), _ZERO)
            evidence: dict[str, Evidence] = {
                "buyerIdNumber": str(buyer),
                "year": int(year),
                "passedBy": trade.trade,
                "passedAt": moment(trade.app_time),
                "totalBefore": money(before),
                "totalAfter": money(total),
                "yearTotal": money(year_total),
                "orders": len(flagged),
            }
            threshold: dict[str, Evidence] = {"annual_limit": money(t.annual_limit)}
            return [make_alert(ANNUAL_LIMIT.id, flagged, evidence, threshold)]
    return []


def _threshold_hugging(scope: Scope) -> list[RiskAlert]:
    t = scope.thresholds
    floor, ceiling = t.hugging_floor, t.single_limit
    hugging = [trade for trade in scope.trades if floor <= trade.customs_value <= ceiling]
    span = timedelta(days=t.hugging_window_days)
    windows = flagged_windows(hugging, span, OrderCounter(t.hugging_min_orders))
    threshold: dict[str, Evidence] = {
        "single_limit": money(ceiling),
        "hugging_low_ratio": money(t.hugging_low_ratio),
        "hugging_min_orders": t.hugging_min_orders,
        "hugging_window_days": t.hugging_window_days,
    }
    alerts = []
    for cluster in clusters(windows):
        trades = hugging[cluster.start : cluster.end]
        evidence: dict[str, Evidence] = {
            "buyerIdNumber": str(scope.key),
            "band": [money(floor), money(ceiling)],
            "orders": len(trades),
            "customsValues": [money(trade.customs_value) for trade in trades],
            "windows": [window_evidence(hugging, w) for w in cluster.windows],
        }
        alerts.append(make_alert(THRESHOLD_HUGGING.id, trades, evidence, threshold))
    return alerts


SPLIT_ORDER = RiskRule(
    "risk.split_order",
    "one buyer's orders within 24 h sum over the single-transaction limit",
    _by_buyer,
    _split_orders,
)
ANNUAL_LIMIT = RiskRule(
    "risk.annual_limit",
    "one buyer's calendar-year customs value passes the annual limit",
    _by_buyer_year,
    _annual_limit,
)
THRESHOLD_HUGGING = RiskRule(
    "risk.threshold_hugging",
    "one buyer's orders keep landing just under the single-transaction limit",
    _by_buyer,
    _threshold_hugging,
)
