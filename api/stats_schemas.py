"""API shapes of the statistics and monitoring figures (``GET /stats``, issue 17)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from api.schemas import ApiModel

__all__ = [
    "GROUP_BY",
    "AnchoringStats",
    "CurrencyTotal",
    "DurationStats",
    "GroupBy",
    "LaneDepth",
    "MismatchReason",
    "StatsGroup",
    "StatsPublic",
]

GroupBy = Literal["mode", "direction", "country", "hsChapter", "party", "day", "week", "month"]
#: The groupings, in the order the dashboard offers them.
GROUP_BY: tuple[GroupBy, ...] = (
    "mode",
    "direction",
    "country",
    "hsChapter",
    "party",
    "day",
    "week",
    "month",
)


class CurrencyTotal(ApiModel):
    """The customs value of a group's trades in one currency (currencies are never added)."""

    currency: str = Field(description="The CEB currency code (142 CNY, 502 USD...).")
    trades: int
    total: str = Field(description="To the fen.", examples=["1616.00"])


class StatsGroup(ApiModel):
    """The trades of one group: how many, their verdicts, their value per currency."""

    key: str | None = Field(
        description="The group's mode, direction, country code, HS chapter, party or period "
        "(2026-11-03, 2026-W45, 2026-11); null when the documents do not record it.",
        examples=["9610"],
    )
    trades: int
    match: int
    mismatch: int
    pending: int
    match_rate: str | None = Field(
        description="match / (match + mismatch), 4 decimals; null with neither.",
        examples=["0.7500"],
    )
    values: list[CurrencyTotal]


class MismatchReason(ApiModel):
    """A failed rule and how many mismatched trades it failed."""

    rule: str = Field(examples=["amount.payment_equals_paid"])
    trades: int


class DurationStats(ApiModel):
    """Durations in whole seconds: how many, the median (lower middle), p90 (nearest rank),
    the longest; null when there is none."""

    count: int
    median_seconds: int | None
    p90_seconds: int | None
    max_seconds: int | None


class LaneDepth(ApiModel):
    """Outbox rows of one lane not yet anchored (every ``lot:<id>`` lane counts as ``lot``)."""

    lane: str
    waiting: int = Field(description="Rows waiting for a batch.")
    in_flight: int = Field(description="Rows in a batch built or sent, not yet confirmed.")


class AnchoringStats(ApiModel):
    """Zone-wide anchoring figures (the operator, customs and the regulator only)."""

    lag: DurationStats = Field(
        description="From a document stored (in the period) to its batch confirmed on chain."
    )
    outbox_depth: int = Field(description="Outbox rows not yet anchored, now.")
    lanes: list[LaneDepth]


class StatsPublic(ApiModel):
    """Trade statistics over the trades the caller may see, with the filters applied."""

    scope: Literal["zone", "own"] = Field(
        description="zone: every trade of the zone; own: the caller's own trades."
    )
    group_by: str
    time_zone: str = Field(examples=["Asia/Shanghai"])
    period_start: datetime | None
    period_end: datetime | None
    total: StatsGroup = Field(description="Every trade selected, once (key null).")
    groups: list[StatsGroup] = Field(
        description="By hsChapter a trade counts, with its whole value, in each chapter of its "
        "lines: the groups then add up to more than the total."
    )
    mismatch_reasons: list[MismatchReason] = Field(
        description="The most failed rules of the mismatched trades, at most 10."
    )
    order_to_release: DurationStats = Field(description="From the order's appTime to release.")
    order_to_settlement: DurationStats = Field(
        description="From the order's appTime to settlement."
    )
    anchoring: AnchoringStats | None = Field(
        description="null for a firm: these are zone-wide operational figures."
    )
