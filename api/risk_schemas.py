"""API shapes of risk alerts, trade grades and party credit (issue 16)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from api.schemas import ADDRESS, ApiModel, TradePublic

__all__ = [
    "AlertPublic",
    "AlertReviewCreate",
    "AlertReviewPublic",
    "AlertStatus",
    "AlertsPublic",
    "AutoReleasePublic",
    "AutoReleasesPublic",
    "CreditFactorPublic",
    "CreditGradePublic",
    "CreditPublic",
    "GradeFactorPublic",
    "ReleasePolicyCreate",
    "ReleasePolicyPublic",
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


PolicyGrade = Literal["low", "medium"]
CustomsMode = Literal["9610", "9710", "9810", "1210"]
_UINT64 = 2**64


class ReleasePolicyCreate(ApiModel):
    """Customs' standing release policy, signed with its own key as EIP-712 ``ReleasePolicy``
    (``sandan authorize policy`` prints this body). sandan relays it to the chain."""

    grades: list[PolicyGrade] = Field(
        min_length=1, max_length=2, description="Risk grades released automatically."
    )
    modes: list[CustomsMode] = Field(min_length=1, max_length=4)
    max_value: str = Field(
        pattern=r"^\d{1,12}(\.\d{1,2})?$",
        description="Largest customs value per trade, in yuan to the fen.",
        examples=["5000.00"],
    )
    valid_from: int = Field(ge=0, lt=_UINT64, description="Unix seconds.")
    valid_until: int = Field(ge=0, lt=_UINT64, description="Unix seconds, exclusive.")
    salt: str = Field(pattern=r"^[0-9a-f]{64}$", description="Any 32 bytes, hex.")
    signer: str = Field(pattern=ADDRESS, description="Customs' registered chain account.")
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$", description="65 bytes r‖s‖v.")

    @field_validator("grades", "modes")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each value once")
        return value

    @model_validator(mode="after")
    def _period(self) -> ReleasePolicyCreate:
        if self.valid_until <= self.valid_from:
            raise ValueError("validUntil must be after validFrom")
        return self

    @property
    def max_value_fen(self) -> int:
        return int(Decimal(self.max_value) * 100)


class ReleasePolicyPublic(ApiModel):
    """A policy adopted on chain, and whether it is in force now."""

    policy_id: str
    customs_code: str
    signer: str
    grades: list[str]
    modes: list[str]
    max_value: str
    valid_from: datetime
    valid_until: datetime
    salt: str
    signature: str
    adopted_tx: str
    adopted_block: int
    revoked_at: datetime | None
    revoked_tx: str | None
    in_force: bool


class AutoReleasePublic(ApiModel):
    """One automatic decision: the grade with the inputs it was computed from (their sha-256
    is ``inputsHash``), and, once released, the decisions root the contract committed, this
    decision's proof to it (the leaf is ``decisionLeaf(verdictBatch, verdictPosition, grade,
    mode, valueFen, inputsHash)``) and the facts the contract checked."""

    id: int
    trade_id: str
    verdict_hash: str
    policy_id: str
    outcome: Literal["queued", "released", "refused", "skipped"]
    reason: str | None
    grade: Grade
    mode: str | None
    value_fen: int | None
    inputs: dict[str, Any] | None
    inputs_hash: str
    verdict_batch: int | None
    verdict_position: int | None
    release_tx: str | None
    decisions_root: str | None
    proof: list[str] | None
    release_facts: str | None = Field(
        description="The facts of the whole release (8 bytes a trade, hex): their keccak-256 "
        "is the event's factsHash, and this decision's are at factIndex."
    )
    fact_index: int | None
    created_at: datetime


class AutoReleasesPublic(ApiModel):
    """A page of automatic decisions."""

    data: list[AutoReleasePublic]
    count: int
    limit: int
    offset: int
