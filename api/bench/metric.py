"""What a bench reports: one figure per metric, with its target and whether it was met."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Metric", "Target", "skipped"]


@dataclass(frozen=True)
class Target:
    """A goal for a metric: ``value <= limit`` (``at_most``) or ``value >= limit``."""

    limit: float
    direction: Literal["at_most", "at_least"]

    def met(self, value: float | None) -> bool | None:
        """Whether ``value`` reaches the target (None when nothing was measured)."""
        if value is None:
            return None
        return value <= self.limit if self.direction == "at_most" else value >= self.limit

    def describe(self) -> str:
        """``≤ 60`` or ``≥ 5,000``."""
        sign = "≤" if self.direction == "at_most" else "≥"
        return f"{sign} {self.limit:,g}"


def at_most(limit: float) -> Target:
    """A ceiling."""
    return Target(limit, "at_most")


def at_least(limit: float) -> Target:
    """A floor."""
    return Target(limit, "at_least")


@dataclass(frozen=True)
class Metric:
    """One measured figure (``value`` None when it could not be measured; see ``notes``)."""

    name: str
    value: float | None
    unit: str
    target: Target | None = None
    notes: str = ""
    group: str = ""

    @property
    def met(self) -> bool | None:
        """True/False against the target, None without a target or a value."""
        return self.target.met(self.value) if self.target else None

    def to_json(self) -> dict[str, Any]:
        """The JSON entry: name, value, unit, target, met, notes."""
        target = None
        if self.target is not None:
            target = {"direction": self.target.direction, "limit": self.target.limit}
        return {
            "name": self.name,
            "group": self.group,
            "value": self.value,
            "unit": self.unit,
            "target": target,
            "met": self.met,
            "notes": self.notes,
        }


def skipped(name: str, unit: str, reason: str, target: Target | None = None) -> Metric:
    """A metric that could not be measured on this machine, saying why."""
    return Metric(name, None, unit, target, notes=f"not measured: {reason}")
