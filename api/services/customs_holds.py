"""Customs holds a trade (扣留待查) with a reason, and lifts the hold by releasing it.

A hold is customs' own decision, beside the automatic high-risk hold the grade makes: it is
recorded as a risk decision (``customs_hold``, with the grade and inputs of the moment), it
keeps the trade out of every automatic release not yet queued, and a release of a held
trade must say why the hold is lifted (recorded as ``hold_lifted``). The hold lives in
sandan's records, not on chain: the contract knows releases, and a trade that is never
released is never released on chain either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from api.db.models import PartyRecord, RiskDecisionRecord, TradeRecord
from api.errors import Conflict
from api.services import notifications
from api.services.risk.grading import canonical_json, grade_inputs, grade_of_inputs, record_decision

__all__ = ["HOLD", "LIFTED", "Hold", "active_hold", "hold", "lift_for_release"]

HOLD = "customs_hold"
LIFTED = "hold_lifted"


@dataclass(frozen=True, slots=True)
class Hold:
    """A trade's standing hold: who placed it, why, when."""

    trade_id: str
    party_code: str
    reason: str
    held_at: datetime


def active_hold(session: Session, trade_id: str) -> Hold | None:
    """The trade's hold if the last hold decision placed one and no release lifted it."""
    last = session.exec(
        select(RiskDecisionRecord)
        .where(
            RiskDecisionRecord.trade_id == trade_id,
            col(RiskDecisionRecord.kind).in_((HOLD, LIFTED)),
        )
        .order_by(col(RiskDecisionRecord.id).desc())
    ).first()
    if last is None or last.kind != HOLD:
        return None
    return Hold(trade_id, last.party_code or "", last.reason or "", last.created_at)


def active_holds(session: Session, trade_ids: list[str]) -> dict[str, Hold]:
    """:func:`active_hold` of many trades in one query."""
    if not trade_ids:
        return {}
    rows = session.exec(
        select(RiskDecisionRecord)
        .where(
            col(RiskDecisionRecord.trade_id).in_(trade_ids),
            col(RiskDecisionRecord.kind).in_((HOLD, LIFTED)),
        )
        .order_by(col(RiskDecisionRecord.id))
    ).all()
    last = {row.trade_id: row for row in rows}  # ascending ids: the last one wins
    return {
        trade_id: Hold(trade_id, row.party_code or "", row.reason or "", row.created_at)
        for trade_id, row in last.items()
        if row.kind == HOLD
    }


def hold(
    *, session: Session, party: PartyRecord, trade: TradeRecord, reason: str, now: datetime
) -> Hold:
    """Hold ``trade`` (409 once released, or when customs holds it already); commits."""
    if trade.released_at is not None:
        raise Conflict(f"trade {trade.trade_id} is released already", code="already_released")
    standing = active_hold(session, trade.trade_id)
    if standing is not None:
        raise Conflict(
            f"trade {trade.trade_id} is held already since {standing.held_at.isoformat()}: "
            f"{standing.reason}",
            code="already_held",
        )
    _record(session, trade, HOLD, party, reason, now)
    # Told in the commit that records the hold: the parties learn why their goods wait.
    notifications.emit(
        session,
        kind=notifications.Kind.HELD,
        parties=notifications.trade_parties(session, trade) | {party.code},
        trade_id=trade.trade_id,
        data={"heldBy": party.code, "reason": reason},
        now=now,
    )
    session.commit()
    return Hold(trade.trade_id, party.code, reason, now)


def lift_for_release(
    *,
    session: Session,
    party: PartyRecord,
    trade: TradeRecord,
    reason: str | None,
    now: datetime,
) -> None:
    """Before a release: a held trade is released only with a reason, which lifts the hold
    (recorded, not committed: the release commits with it)."""
    standing = active_hold(session, trade.trade_id)
    if standing is None:
        return
    if not reason:
        raise Conflict(
            f"trade {trade.trade_id} is held by {standing.party_code}: {standing.reason}; "
            "release it with riskOverride.reason to lift the hold",
            field="riskOverride",
            code="customs_hold",
        )
    _record(session, trade, LIFTED, party, reason, now)


def _record(
    session: Session,
    trade: TradeRecord,
    kind: str,
    party: PartyRecord,
    reason: str,
    now: datetime,
) -> None:
    """A decision with the grade and the inputs it was taken on, as every risk decision."""
    inputs_value = grade_inputs(session, trade, now)
    graded = grade_of_inputs(inputs_value)
    inputs = canonical_json(inputs_value)
    record_decision(session, trade, kind, graded, inputs, now, party=party.code, reason=reason)
