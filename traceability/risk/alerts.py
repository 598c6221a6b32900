"""What a risk rule reports: the rule, the trades, the evidence and the threshold used."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeAlias

from traceability.risk.record import RiskTrade
from traceability.trade.fields import CHINA_TZ, canonical_decimal

__all__ = ["Evidence", "RiskAlert", "make_alert", "moment", "money"]

Evidence: TypeAlias = "str | int | bool | list[Evidence] | dict[str, Evidence] | None"
"""A JSON value: decimals are written as canonical strings, times as ISO 8601 (+08:00)."""


@dataclass(frozen=True)
class RiskAlert:
    """One alert: its rule, its trades (``"<ebpCode>/<orderNo>"``, sorted), evidence, threshold."""

    rule: str
    trades: tuple[str, ...]
    evidence: Mapping[str, Evidence]
    threshold: Mapping[str, Evidence]

    def to_json_dict(self) -> dict[str, Any]:
        """``{"rule", "trades", "evidence", "threshold"}`` as ``sandan risk scan --json`` prints."""
        return {
            "rule": self.rule,
            "trades": list(self.trades),
            "evidence": dict(self.evidence),
            "threshold": dict(self.threshold),
        }

    @property
    def sort_key(self) -> tuple[str, tuple[str, ...], str]:
        """Deterministic order of alerts: rule, trades, then the evidence's JSON."""
        return (self.rule, self.trades, json.dumps(self.evidence, sort_keys=True))


def make_alert(
    rule: str,
    trades: Iterable[RiskTrade],
    evidence: Mapping[str, Evidence],
    threshold: Mapping[str, Evidence],
) -> RiskAlert:
    """An alert naming each trade once, sorted."""
    names = tuple(sorted({trade.trade for trade in trades}))
    return RiskAlert(rule, names, evidence, threshold)


def money(value: Decimal) -> str:
    """A decimal as evidence: canonical plain form (``"5000.01"``)."""
    return canonical_decimal(value)


def moment(value: datetime) -> str:
    """A time as evidence: ISO 8601 in China time (``"2025-03-01T10:03:00+08:00"``)."""
    return value.astimezone(CHINA_TZ).isoformat()
