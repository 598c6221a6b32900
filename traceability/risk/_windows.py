"""Sliding time windows over one group's trades, sorted by appTime.

Every window rule asks the same question: is there a span of at most ``span``
(first to last appTime, both ends included, so exactly 24 h is "within 24 h")
whose trades trip a condition? A window that trips is widest when it starts at
one of its trades, so the scan tries each trade as a start with a second pointer
for the end: O(n) per group. Windows that trip and share a trade are merged into
one cluster, which becomes one alert (no flood of overlapping alerts).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Protocol

from traceability.risk.alerts import Evidence, moment, money
from traceability.risk.record import RiskTrade

__all__ = [
    "BuyerCounter",
    "Cluster",
    "OrderCounter",
    "ValueCounter",
    "Window",
    "clusters",
    "flagged_windows",
    "window_evidence",
]


class Accumulator(Protocol):
    """The running state of the window: trades enter at its end and leave at its start."""

    def add(self, trade: RiskTrade) -> None:
        """A trade enters the window."""

    def remove(self, trade: RiskTrade) -> None:
        """A trade leaves the window."""

    def tripped(self) -> bool:
        """Whether the window's trades meet the rule's condition."""

    def measure(self) -> dict[str, Evidence]:
        """What the window holds, for the evidence (sums, counts)."""


@dataclass(frozen=True, slots=True)
class Window:
    """A window that tripped: trades ``[start, end)`` of the group and what it measured."""

    start: int
    end: int
    measure: dict[str, Evidence]


@dataclass(slots=True)
class Cluster:
    """Overlapping windows that tripped, merged: one alert."""

    start: int
    end: int
    windows: list[Window] = field(default_factory=list)


def flagged_windows(
    trades: Sequence[RiskTrade], span: timedelta, accumulator: Accumulator
) -> list[Window]:
    """Every maximal window of ``trades`` (sorted by appTime) whose content trips."""
    windows: list[Window] = []
    end = 0
    for start, first in enumerate(trades):
        limit = first.app_time + span
        while end < len(trades) and trades[end].app_time <= limit:
            accumulator.add(trades[end])
            end += 1
        # Ends never move back, so a window ending where the previous one did lies inside it.
        if accumulator.tripped() and (not windows or windows[-1].end < end):
            windows.append(Window(start, end, accumulator.measure()))
        accumulator.remove(first)
    return windows


def clusters(windows: Sequence[Window]) -> list[Cluster]:
    """Merge windows that share a trade (sorted input gives sorted output)."""
    merged: list[Cluster] = []
    for window in windows:
        if merged and window.start < merged[-1].end:
            merged[-1].end = max(merged[-1].end, window.end)
            merged[-1].windows.append(window)
        else:
            merged.append(Cluster(window.start, window.end, [window]))
    return merged


def window_evidence(trades: Sequence[RiskTrade], window: Window) -> dict[str, Evidence]:
    """A window as evidence: its first and last appTime and what it measured."""
    return {
        "from": moment(trades[window.start].app_time),
        "to": moment(trades[window.end - 1].app_time),
        **window.measure,
    }


class OrderCounter:
    """Trips at ``min_orders`` trades in the window."""

    def __init__(self, min_orders: int) -> None:
        self.min_orders = min_orders
        self.count = 0

    def add(self, trade: RiskTrade) -> None:
        """Count one more."""
        self.count += 1

    def remove(self, trade: RiskTrade) -> None:
        """Count one fewer."""
        self.count -= 1

    def tripped(self) -> bool:
        """At least ``min_orders`` in the window."""
        return self.count >= self.min_orders

    def measure(self) -> dict[str, Evidence]:
        """``{"orders": n}``."""
        return {"orders": self.count}


class ValueCounter(OrderCounter):
    """Trips at ``min_orders`` trades whose summed customs value exceeds ``limit``."""

    def __init__(self, min_orders: int, limit: Decimal) -> None:
        super().__init__(min_orders)
        self.limit = limit
        self.total = Decimal(0)

    def add(self, trade: RiskTrade) -> None:
        """Add the trade's customs value."""
        super().add(trade)
        self.total += trade.customs_value

    def remove(self, trade: RiskTrade) -> None:
        """Subtract the trade's customs value."""
        super().remove(trade)
        self.total -= trade.customs_value

    def tripped(self) -> bool:
        """Enough orders and a sum strictly over the limit."""
        return super().tripped() and self.total > self.limit

    def measure(self) -> dict[str, Evidence]:
        """``{"orders": n, "customsValue": "5200.5"}``."""
        return {**super().measure(), "customsValue": money(self.total)}


class BuyerCounter:
    """Trips at ``min_buyers`` distinct buyer ID numbers in the window."""

    def __init__(self, min_buyers: int, buyer_of: Callable[[RiskTrade], str | None]) -> None:
        self.min_buyers = min_buyers
        self.buyer_of = buyer_of
        self.buyers: Counter[str] = Counter()

    def add(self, trade: RiskTrade) -> None:
        """Count the trade's buyer."""
        buyer = self.buyer_of(trade)
        if buyer is not None:
            self.buyers[buyer] += 1

    def remove(self, trade: RiskTrade) -> None:
        """Forget the trade's buyer once none of its trades is left in the window."""
        buyer = self.buyer_of(trade)
        if buyer is None:
            return
        self.buyers[buyer] -= 1
        if not self.buyers[buyer]:
            del self.buyers[buyer]

    def tripped(self) -> bool:
        """At least ``min_buyers`` distinct buyers."""
        return len(self.buyers) >= self.min_buyers

    def measure(self) -> dict[str, Evidence]:
        """``{"buyers": n, "orders": m}``."""
        return {"buyers": len(self.buyers), "orders": sum(self.buyers.values())}
