"""A trade's risk grade (low, medium, high), the hold of high-risk trades, and the record of
every grading decision with its inputs.

Points, each listed as a factor: a mismatched verdict 4; each open alert on the trade 2,
each confirmed one 4 (a dismissed alert counts nothing); each party of the trade with
credit grade C 1, D 2. ``high`` from 4 points, ``medium`` from 2, else ``low``. So one
open alert makes a trade medium, a confirmed alert (or two open ones) high.

A decision's inputs (verdict hash and status, the alerts and their statuses, the parties'
credit grades) are stored as canonical JSON with their sha-256, so anyone can re-derive
the grade from them; a grade is recorded again only when its inputs change.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from api.db.models import (
    CreditFactRecord,
    DocumentRecord,
    PartyRecord,
    RiskAlertRecord,
    RiskAlertTradeRecord,
    RiskDecisionRecord,
    TradeRecord,
    table_of,
)
from api.errors import Conflict
from api.risk_schemas import GradeFactorPublic, RiskGradePublic
from api.services.risk.credit import credit_grade
from api.services.risk_records.facts import fact_row

__all__ = ["GRADING_VERSION", "canonical_json", "grade_trade", "hold_or_override"]

#: Names the point scheme above; part of every decision's inputs.
GRADING_VERSION = "grade-1"
_ALERT_POINTS = {"open": 2, "confirmed": 4}
_CREDIT_POINTS = {"C": 1, "D": 2}


def _parties(session: Session, trade: TradeRecord) -> list[str]:
    signers = session.exec(
        select(DocumentRecord.party_code).where(
            DocumentRecord.trade_id == trade.trade_id, col(DocumentRecord.superseded_by).is_(None)
        )
    ).all()
    named = {trade.ebp_code, trade.ebc_code, *signers} - {None}
    registered = session.exec(
        select(PartyRecord.code).where(col(PartyRecord.code).in_(named))
    ).all()
    return sorted(registered)


def grade_inputs(session: Session, trade: TradeRecord, now: datetime) -> dict[str, Any]:
    """What the grade of ``trade`` is computed from, as JSON-ready data."""
    links = select(RiskAlertTradeRecord.alert_id).where(
        RiskAlertTradeRecord.trade_id == trade.trade_id
    )
    alerts = session.exec(
        select(RiskAlertRecord.id, RiskAlertRecord.rule, RiskAlertRecord.status)
        .where(col(RiskAlertRecord.id).in_(links), col(RiskAlertRecord.active).is_(True))
        .order_by(col(RiskAlertRecord.id))
    ).all()
    return {
        "version": GRADING_VERSION,
        "tradeId": trade.trade_id,
        "verdictHash": trade.verdict_hash,
        "status": trade.status,
        "alerts": [{"id": i, "rule": r, "status": s} for i, r, s in alerts],
        "credit": {
            p: credit_grade(session=session, party=p, at=now) for p in _parties(session, trade)
        },
    }


def grade_of_inputs(inputs: dict[str, Any]) -> tuple[str, int, list[GradeFactorPublic]]:
    """The grade, its points and its factors, from :func:`grade_inputs` alone."""
    factors = []
    if inputs["status"] == "mismatch":
        factors.append(GradeFactorPublic(factor="verdict", detail="mismatch", points=4))
    for alert in inputs["alerts"]:
        points = _ALERT_POINTS.get(alert["status"], 0)
        if points:
            detail = f"alert {alert['id']} {alert['rule']} {alert['status']}"
            factors.append(GradeFactorPublic(factor="alert", detail=detail, points=points))
    for party, grade in sorted(inputs["credit"].items()):
        if grade in _CREDIT_POINTS:
            detail = f"party {party} credit grade {grade}"
            factors.append(
                GradeFactorPublic(factor="credit", detail=detail, points=_CREDIT_POINTS[grade])
            )
    points = sum(f.points for f in factors)
    grade = "high" if points >= 4 else "medium" if points >= 2 else "low"
    return grade, points, factors


def canonical_json(value: Any) -> str:
    """The canonical JSON text of a decision's inputs: sorted keys, no spaces, UTF-8 as is;
    its sha-256 is the decision's inputs hash."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def record_decision(
    session: Session,
    trade: TradeRecord,
    kind: str,
    graded: tuple[str, int, list[GradeFactorPublic]],
    inputs: str,
    now: datetime,
    *,
    party: str | None = None,
    reason: str | None = None,
) -> None:
    session.add(
        RiskDecisionRecord(
            trade_id=trade.trade_id,
            kind=kind,
            grade=graded[0],
            factors=canonical_json([f.model_dump(by_alias=True) for f in graded[2]]),
            inputs=inputs,
            inputs_hash=hashlib.sha256(inputs.encode("utf-8")).hexdigest(),
            party_code=party,
            reason=reason,
            created_at=now,
        )
    )


def grade_trade(*, session: Session, trade: TradeRecord, now: datetime) -> RiskGradePublic | None:
    """The trade's grade (None while it has no verdict), recorded when its inputs changed.

    The caller commits."""
    if trade.status not in ("match", "mismatch"):
        return None
    inputs = canonical_json(grade_inputs(session, trade, now))
    digest = hashlib.sha256(inputs.encode("utf-8")).hexdigest()
    graded = grade_of_inputs(json.loads(inputs))
    last = session.exec(
        select(RiskDecisionRecord.inputs_hash)
        .where(RiskDecisionRecord.trade_id == trade.trade_id, RiskDecisionRecord.kind == "grade")
        .order_by(col(RiskDecisionRecord.id).desc())
    ).first()
    if last != digest:
        record_decision(session, trade, "grade", graded, inputs, now)
    grade, points, factors = graded
    return RiskGradePublic(
        grade=grade,
        points=points,
        factors=factors,
        inputs_hash=digest,
        held=grade == "high",
    )


def hold_or_override(
    *,
    session: Session,
    trade: TradeRecord,
    party: PartyRecord,
    override_reason: str | None,
    now: datetime,
) -> None:
    """Let customs release ``trade`` unless it is high risk: then 409 naming the factors,
    unless customs gave an override reason. The hold or the override is recorded (with
    the inputs), a hold also as a credit fact of the trade's parties; commits."""
    inputs_value = grade_inputs(session, trade, now)
    graded = grade_of_inputs(inputs_value)
    if graded[0] != "high":
        return
    inputs = canonical_json(inputs_value)
    if override_reason:
        record_decision(
            session,
            trade,
            "override",
            graded,
            inputs,
            now,
            party=party.code,
            reason=override_reason,
        )
        session.commit()
        return
    record_decision(session, trade, "hold", graded, inputs, now, party=party.code)
    facts = [
        fact_row(p, "hold", trade.trade_id, {"grade": "high"}, now)
        for p in sorted(inputs_value["credit"])
    ]
    if facts:
        session.execute(table_of(CreditFactRecord).insert(), facts)
    session.commit()
    reasons = "; ".join(f.detail for f in graded[2])
    raise Conflict(
        f"trade {trade.trade_id} is held as high risk ({reasons}); release it with "
        "riskOverride.reason to override",
        field="riskOverride",
        code="high_risk_hold",
        extra={"grade": "high", "factors": [f.model_dump(by_alias=True) for f in graded[2]]},
    )
