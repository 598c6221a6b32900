"""The credit database (信用体系): a party's record at any date, a transparent score, A–D.

Everything is computed from timestamped history, never from current state, so the
record at a past date is the same whatever happened since:

* ``credit_fact`` rows (appended as trades are matched, alerts reviewed, trades held;
  :mod:`api.services.risk_records.facts`): the last fact on each subject up to the date counts;
* ``document`` rows (received at, and which version they supersede; never rewritten);
* ``lot_recall`` rows of lots whose GTIN carries one of the party's company prefixes.

The score is 100 minus the points of each factor; each factor lists its count, what the
count is a share of (for rates), its weight and its cap (:data:`FACTORS`).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.db.models import CreditFactRecord, DocumentRecord, PartyRecord, TradeRecord
from api.db.trace_models import LotRecallRecord, PartyCompanyPrefixRecord
from api.errors import NotFound
from api.risk_schemas import CreditFactorPublic, CreditPublic

__all__ = ["FACTORS", "GRADES", "credit_grade", "credit_record"]


@dataclass(frozen=True)
class Factor:
    """A score factor: ``weight`` points per occurrence (or, for a rate, for a rate of 1)."""

    name: str
    weight: int
    cap: int
    rate: bool
    summary: str


FACTORS: tuple[Factor, ...] = (
    Factor("mismatched_trades", 40, 40, True, "share of judged trades whose verdict is mismatch"),
    Factor("confirmed_alerts", 10, 30, False, "risk alerts on its trades confirmed by review"),
    Factor("superseded_documents", 20, 20, True, "share of its documents that replace a version"),
    Factor("late_documents", 5, 15, False, "documents that arrived after customs released"),
    Factor("customs_holds", 5, 20, False, "its trades held by customs as high risk"),
    Factor("recalls", 10, 20, False, "its lots under recall"),
)
"""Every factor of the score, in the order listed."""

#: The lowest score of each grade.
GRADES: dict[str, int] = {"A": 90, "B": 75, "C": 60, "D": 0}


def _latest_facts(session: Session, party: str, kind: str, at: datetime) -> dict[str, Any]:
    rows = session.exec(
        select(CreditFactRecord.subject, CreditFactRecord.detail)
        .where(
            CreditFactRecord.party_code == party,
            CreditFactRecord.kind == kind,
            col(CreditFactRecord.occurred_at) <= at,
        )
        .order_by(col(CreditFactRecord.occurred_at), col(CreditFactRecord.id))
    ).all()
    return {subject: json.loads(detail) for subject, detail in rows}


def _documents(session: Session, party: str, at: datetime) -> tuple[int, int, int]:
    """(signed, superseding, late) documents of ``party`` received up to ``at``."""
    base = (DocumentRecord.party_code == party, col(DocumentRecord.received_at) <= at)
    signed = session.exec(select(func.count()).where(*base)).one()
    superseding = session.exec(
        select(func.count()).where(*base, col(DocumentRecord.supersedes_hash).is_not(None))
    ).one()
    late = session.exec(
        select(func.count(func.distinct(DocumentRecord.id)))
        .join(TradeRecord, col(TradeRecord.order_no) == DocumentRecord.link_order_no)
        .where(
            *base,
            col(DocumentRecord.trade_id).is_(None),
            col(TradeRecord.released_at).is_not(None),
            col(TradeRecord.released_at) < DocumentRecord.received_at,
        )
    ).one()
    return signed, superseding, late


def _recalls(session: Session, party: str, at: datetime) -> int:
    """Lots under recall at ``at`` whose GTIN carries a company prefix ``party`` then held."""
    prefixes = session.exec(
        select(PartyCompanyPrefixRecord.prefix).where(
            PartyCompanyPrefixRecord.party_code == party,
            col(PartyCompanyPrefixRecord.created_at) <= at,
        )
    ).all()
    if not prefixes:
        return 0
    rows = session.exec(
        select(LotRecallRecord.lot_id, LotRecallRecord.gtin, LotRecallRecord.action)
        .where(col(LotRecallRecord.created_at) <= at)
        .order_by(col(LotRecallRecord.created_at), col(LotRecallRecord.id))
    ).all()
    last = {lot_id: (gtin, action) for lot_id, gtin, action in rows}
    return sum(
        1
        for gtin, action in last.values()
        if action == "recall" and any(gtin[1:].startswith(p) for p in prefixes)
    )


def _points(factor: Factor, count: int, basis: int) -> int:
    if factor.rate:
        return min(factor.cap, round(factor.weight * count / basis)) if basis else 0
    return min(factor.cap, factor.weight * count)


def credit_record(*, session: Session, party: str, at: datetime) -> CreditPublic:
    """The party's credit at ``at``: each factor with its count, weight and points; 404 for
    an unknown party."""
    if session.get(PartyRecord, party) is None:
        raise NotFound(f"no party {party}", field="party")
    verdicts = _latest_facts(session, party, "verdict", at)
    judged = [v for v in verdicts.values() if v["status"] in ("match", "mismatch")]
    mismatched = [v for v in judged if v["status"] == "mismatch"]
    by_rule = Counter(rule for v in mismatched for rule in v["rules"])
    alerts = _latest_facts(session, party, "alert", at)
    confirmed = Counter(a["rule"] for a in alerts.values() if a["status"] == "confirmed")
    holds = _latest_facts(session, party, "hold", at)
    signed, superseding, late = _documents(session, party, at)
    counts = {
        "mismatched_trades": (len(mismatched), len(judged), dict(by_rule)),
        "confirmed_alerts": (sum(confirmed.values()), 0, dict(confirmed)),
        "superseded_documents": (superseding, signed, {}),
        "late_documents": (late, 0, {}),
        "customs_holds": (len(holds), 0, {}),
        "recalls": (_recalls(session, party, at), 0, {}),
    }
    factors = []
    for factor in FACTORS:
        count, basis, detail = counts[factor.name]
        factors.append(
            CreditFactorPublic(
                factor=factor.name,
                count=count,
                basis=basis,
                weight=factor.weight,
                cap=factor.cap,
                points=_points(factor, count, basis),
                detail=detail,
            )
        )
    score = max(0, 100 - sum(f.points for f in factors))
    return CreditPublic(
        party=party, at=at, score=score, grade=grade_of(score), factors=factors, grades=GRADES
    )


def grade_of(score: int) -> str:
    """The grade a score falls in."""
    return next(grade for grade, floor in GRADES.items() if score >= floor)


def credit_grade(*, session: Session, party: str, at: datetime) -> str:
    """Only the grade (the public lookup)."""
    return credit_record(session=session, party=party, at=at).grade
