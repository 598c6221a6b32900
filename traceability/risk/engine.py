"""The risk engine: trades in, alerts out, in a batch or one trade at a time.

Each rule groups trades by a key (a buyer, an address, an item…) and judges a
group on its own. :class:`RiskEngine` keeps the groups; adding a trade marks the
groups it joins, and :meth:`RiskEngine.alerts` re-judges only those. So the alerts
after feeding trades one by one are exactly :func:`scan_trades` of the same trades,
in any arrival order. A trade added again under the same key (a corrected order)
replaces the earlier one. An alert may disappear when later trades change its
group (a price median moves): the alerts are the state of the trades seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from traceability.risk._rule_type import GroupKey, RiskRule, Scope
from traceability.risk._rules_buyer import ANNUAL_LIMIT, SPLIT_ORDER, THRESHOLD_HUGGING
from traceability.risk._rules_market import NEW_COMPANY_SPIKE, PRICE_OUTLIER
from traceability.risk._rules_shared import SHARED_ADDRESS, SHARED_PAYER, SHARED_PHONE
from traceability.risk.alerts import RiskAlert
from traceability.risk.record import RiskTrade
from traceability.risk.thresholds import RiskThresholds
from traceability.trade.models import TradeKey

__all__ = ["RISK_RULES", "RiskEngine", "RiskRule", "scan_trades"]

RISK_RULES: tuple[RiskRule, ...] = (
    SPLIT_ORDER,
    SHARED_ADDRESS,
    SHARED_PHONE,
    ANNUAL_LIMIT,
    THRESHOLD_HUGGING,
    PRICE_OUTLIER,
    SHARED_PAYER,
    NEW_COMPANY_SPIKE,
)
"""Every rule, in the order of issue 16's table, then the added ones."""

_Group = tuple[str, GroupKey]


class RiskEngine:
    """Trades fed one at a time (or many); :meth:`alerts` is the scan of all of them."""

    def __init__(
        self,
        thresholds: RiskThresholds | None = None,
        rules: Sequence[RiskRule] = RISK_RULES,
    ) -> None:
        self.thresholds = thresholds or RiskThresholds()
        self._rules = {rule.id: rule for rule in rules}
        self._trades: dict[TradeKey, RiskTrade] = {}
        self._groups: dict[_Group, dict[TradeKey, RiskTrade]] = {}
        self._alerts: dict[_Group, list[RiskAlert]] = {}
        self._dirty: set[_Group] = set()
        self._scan_start: datetime | None = None

    def __len__(self) -> int:
        return len(self._trades)

    def add(self, trade: RiskTrade) -> None:
        """Take one trade into account (replacing an earlier one of the same key)."""
        old = self._trades.pop(trade.key, None)
        if old is not None:
            for group in self._groups_of(old):
                self._groups[group].pop(old.key, None)
                self._dirty.add(group)
        self._trades[trade.key] = trade
        for group in self._groups_of(trade):
            self._groups.setdefault(group, {})[trade.key] = trade
            self._dirty.add(group)
        start = min(self._trades.values(), key=_time).app_time if old else self._scan_start
        if start is None or trade.app_time < start:
            start = trade.app_time
        if start != self._scan_start:
            self._scan_start = start
            self._dirty.update(g for g in self._groups if self._rules[g[0]].uses_scan_start)

    def add_all(self, trades: Iterable[RiskTrade]) -> RiskEngine:
        """Add each of ``trades``; returns the engine, so ``RiskEngine().add_all(ts).alerts()``."""
        for trade in trades:
            self.add(trade)
        return self

    def alerts(self) -> tuple[RiskAlert, ...]:
        """Every alert on the trades seen, in a deterministic order (rule, trades, evidence)."""
        for group in sorted(self._dirty, key=repr):
            self._judge(group)
        self._dirty.clear()
        found = [alert for alerts in self._alerts.values() for alert in alerts]
        return tuple(sorted(found, key=lambda alert: alert.sort_key))

    def _groups_of(self, trade: RiskTrade) -> list[_Group]:
        return [(rule.id, key) for rule in self._rules.values() for key in rule.keys(trade)]

    def _judge(self, group: _Group) -> None:
        members = self._groups.get(group)
        if not members:
            self._groups.pop(group, None)
            self._alerts.pop(group, None)
            return
        assert self._scan_start is not None  # a group has members only after an add
        trades = sorted(members.values(), key=_order)
        scope = Scope(group[1], trades, self.thresholds, self._scan_start)
        self._alerts[group] = self._rules[group[0]].evaluate(scope)


def _time(trade: RiskTrade) -> datetime:
    return trade.app_time


def _order(trade: RiskTrade) -> tuple[datetime, str, str]:
    return trade.sort_key


def scan_trades(
    trades: Iterable[RiskTrade], thresholds: RiskThresholds | None = None
) -> tuple[RiskAlert, ...]:
    """Every alert the rules raise on ``trades`` (a batch: the service re-runs it on a window)."""
    return RiskEngine(thresholds).add_all(trades).alerts()
