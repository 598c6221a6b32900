"""Rules over what many buyers share: a consignee address, a telephone number, a payer.

A household or a couple shares an address or a phone with two to four ID numbers;
the defaults start above that. Only trades naming a buyer ID number are grouped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from traceability.risk._rule_type import GroupKey, RiskRule, Scope
from traceability.risk._windows import BuyerCounter, clusters, flagged_windows, window_evidence
from traceability.risk.alerts import Evidence, RiskAlert, make_alert
from traceability.risk.record import RiskTrade

__all__ = ["SHARED_ADDRESS", "SHARED_PAYER", "SHARED_PHONE"]


def _buyer(trade: RiskTrade) -> str | None:
    return trade.buyer_id


def _shared(
    scope: Scope, rule_id: str, field: str, min_buyers: int, days: int, names: tuple[str, str]
) -> list[RiskAlert]:
    """Clusters of windows of ``days`` in which ``min_buyers`` distinct buyers share the key."""
    trades = scope.trades
    windows = flagged_windows(trades, timedelta(days=days), BuyerCounter(min_buyers, _buyer))
    threshold: dict[str, Evidence] = {names[0]: min_buyers, names[1]: days}
    alerts = []
    for cluster in clusters(windows):
        flagged = trades[cluster.start : cluster.end]
        buyers = sorted({trade.buyer_id for trade in flagged if trade.buyer_id})
        evidence: dict[str, Evidence] = {
            field: str(scope.key),
            "buyers": len(buyers),
            "buyerIdNumbers": list(buyers),
            "orders": len(flagged),
            "windows": [window_evidence(trades, w) for w in cluster.windows],
        }
        alerts.append(make_alert(rule_id, flagged, evidence, threshold))
    return alerts


def _keyed(
    attribute: Callable[[RiskTrade], Iterable[str]],
) -> Callable[[RiskTrade], Iterable[GroupKey]]:
    def keys(trade: RiskTrade) -> Iterable[GroupKey]:
        return tuple(sorted(attribute(trade))) if trade.buyer_id else ()

    return keys


def _address(scope: Scope) -> list[RiskAlert]:
    t = scope.thresholds
    names = ("shared_address_min_buyers", "shared_address_window_days")
    return _shared(
        scope, SHARED_ADDRESS.id, "consigneeAddress",
        t.shared_address_min_buyers, t.shared_address_window_days, names,
    )  # fmt: skip


def _phone(scope: Scope) -> list[RiskAlert]:
    t = scope.thresholds
    names = ("shared_phone_min_buyers", "shared_phone_window_days")
    return _shared(
        scope, SHARED_PHONE.id, "telephone",
        t.shared_phone_min_buyers, t.shared_phone_window_days, names,
    )  # fmt: skip


def _payer(scope: Scope) -> list[RiskAlert]:
    t = scope.thresholds
    names = ("shared_payer_min_buyers", "shared_payer_window_days")
    return _shared(
        scope, SHARED_PAYER.id, "payerIdNumber",
        t.shared_payer_min_buyers, t.shared_payer_window_days, names,
    )  # fmt: skip


SHARED_ADDRESS = RiskRule(
    "risk.shared_address",
    "one consignee address receives for many distinct buyer ID numbers",
    _keyed(lambda trade: (trade.consignee_address,) if trade.consignee_address else ()),
    _address,
)
SHARED_PHONE = RiskRule(
    "risk.shared_phone",
    "one telephone number is given by many distinct buyer ID numbers",
    _keyed(lambda trade: trade.phones),
    _phone,
)
SHARED_PAYER = RiskRule(
    "risk.shared_payer",
    "one payer ID number pays for many distinct buyers",
    _keyed(lambda trade: (trade.payer_id,) if trade.payer_id else ()),
    _payer,
)
