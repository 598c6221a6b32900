"""API shapes of risk alerts, trade grades and party credit (issue 16)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from api.schemas import ApiModel, TradePublic

__all__ = [
    "AlertPublic",
    "AlertReviewCreate",
    "AlertReviewPublic",
    "AlertStatus",
    "AlertsPublic",
    "CreditFactorPublic",
    "CreditGradePublic",
    "CreditPublic",
    "GradeFactorPublic",
    "RiskGradePublic",
    "TradeRiskPublic",
]

AlertStatus = Literal["open", "confirmed", "dismissed"]
Grade = Literal["low", "medium", "high"]
CreditGrade = Literal["A", "B", "C", "D"]


class AlertReviewPublic(ApiModel):
    """One review of an alert."""

    reviewer: str
    from_status: AlertStatus
    to_status: AlertStatus
    note: str
    at: datetime


class AlertPublic(ApiModel):
    """An alert: its rule, its trades, the evidence that tripped it and the threshold used."""

    id: int
    rule: str
    status: AlertStatus
    active: bool = Field(description="False once the rule no longer fires on these trades.")
    trades: list[str] = Field(description='Its trades as "<ebpCode>/<orderNo>", sorted.')
    trade_ids: list[str]
    evidence: dict[str, Any]
    threshold: dict[str, Any]
    masked: bool = Field(description="Personal fields of the evidence are masked for the caller.")
    created_at: datetime
    updated_at: datetime
    reviews: list[AlertReviewPublic] | None = Field(
        default=None, description="The review history, oldest first (GET /risk/alerts/{id})."
    )


class AlertsPublic(ApiModel):
    """A page of alerts."""

    data: list[AlertPublic]
    count: int
    limit: int
    offset: int


class AlertReviewCreate(ApiModel):
    """Customs or the regulator confirms or dismisses an alert, saying why."""

    status: Literal["confirmed", "dismissed"]
    note: str = Field(min_length=1, max_length=2000)


class GradeFactorPublic(ApiModel):
    """One factor of a trade's risk grade and the points it adds."""

    factor: str
    detail: str
    points: int


class RiskGradePublic(ApiModel):
    """A trade's risk grade, its factors and the hash of the inputs it was computed from."""

    grade: Grade
    points: int
    factors: list[GradeFactorPublic]
    inputs_hash: str
    held: bool = Field(description="A high-risk trade is held: customs release needs an override.")


class TradeRiskPublic(TradePublic):
    """A trade with its risk alerts and its grade (null until it has a verdict)."""

    alerts: list[AlertPublic] = Field(default_factory=list)
    risk: RiskGradePublic | None = None


class CreditFactorPublic(ApiModel):
    """One factor of a credit score: what was counted, its weight, the points it costs."""

    factor: str
    count: int
    basis: int = Field(description="What the count is a share of (0 when it is not a rate).")
    weight: int
    cap: int
    points: int
    detail: dict[str, int] = Field(default_factory=dict)


class CreditPublic(ApiModel):
    """A party's credit record at a date: score (100 minus the factors' points) and grade."""

    party: str
    at: datetime
    score: int
    grade: CreditGrade
    factors: list[CreditFactorPublic]
    grades: dict[str, int] = Field(description="The score each grade starts at.")


class CreditGradePublic(ApiModel):
    """A party's credit grade, for anyone."""

    party: str
    grade: CreditGrade
