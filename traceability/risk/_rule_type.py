"""The shape of a risk rule: how it groups trades and what it reports for one group."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from traceability.risk.alerts import RiskAlert
from traceability.risk.record import RiskTrade
from traceability.risk.thresholds import RiskThresholds

__all__ = ["GroupKey", "RiskRule", "Scope"]

GroupKey: TypeAlias = "str | tuple[str | int, ...]"
"""What a rule groups trades by: a buyer, an address, (buyer, year), (currency, itemNo)…"""


@dataclass(frozen=True, slots=True)
class Scope:
    """One group handed to a rule: its key, its trades sorted by appTime, the settings."""

    key: GroupKey
    trades: Sequence[RiskTrade]
    thresholds: RiskThresholds
    scan_start: datetime
    """The earliest appTime of every trade scanned (rules about "new" parties need it)."""


@dataclass(frozen=True, slots=True)
class RiskRule:
    """A rule: ``keys`` puts a trade in its groups, ``evaluate`` judges one group.

    Alerts depend only on a group's trades (and, when ``uses_scan_start``, on the
    scan's earliest appTime), so the engine re-judges only the groups a new trade
    joins and a batch scan equals feeding the same trades one at a time.
    """

    id: str
    summary: str
    keys: Callable[[RiskTrade], Iterable[GroupKey]]
    evaluate: Callable[[Scope], list[RiskAlert]]
    uses_scan_start: bool = False
