"""Reading and reviewing risk alerts: filters, paging, visibility, masking, history.

An alert is shown to a party that may see one of its trades
(:func:`api.services.trade_queries.visible_trades`, the one place deciding trade
visibility), and to the regulator, whose object of supervision the alerts are. Evidence
is masked for everyone but customs and the regulator (:mod:`.masking`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.db.models import (
    CreditFactRecord,
    PartyRecord,
    RiskAlertRecord,
    RiskAlertReviewRecord,
    RiskAlertTradeRecord,
    TradeRecord,
    table_of,
)
from api.errors import Conflict, NotFound, UnprocessableContent
from api.risk_schemas import AlertPublic, AlertReviewPublic, AlertsPublic
from api.services.parties import party_roles
from api.services.risk.masking import CLEAR_ROLES, mask_evidence
from api.services.risk_records.facts import fact_row
from api.services.risk_records.records import RULES, trade_id_of_ref
from api.services.trade_queries import REGULATOR_ROLE, normalise_trade_id, visible_trades

__all__ = ["AlertFilters", "alert_public", "alerts_of_trade", "list_alerts", "read_alert", "review"]


@dataclass(frozen=True)
class AlertFilters:
    """Filters of the alert list; the period is ``[created_from, created_to)`` of raising."""

    rule: str | None = None
    status: str | None = None
    trade_id: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    active: bool | None = True

    def checked(self) -> AlertFilters:
        """The filters, or 422 naming the field that is wrong."""
        if self.rule is not None and self.rule not in RULES:
            known = ", ".join(sorted(RULES))
            raise UnprocessableContent(
                f"rule must be one of {known}; got {self.rule!r}", field="rule"
            )
        if self.trade_id is not None:
            value = self.trade_id.lower()
            if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
                raise UnprocessableContent(
                    "trade must be a trade id, 64 hex characters", field="trade"
                )
        if self.created_from and self.created_to and self.created_to <= self.created_from:
            raise UnprocessableContent("to must be after from", field="to")
        return self


def _seen_by(stmt: Any, party: PartyRecord) -> Any:
    if REGULATOR_ROLE in party_roles(party):
        return stmt
    trades = visible_trades(select(TradeRecord.trade_id), party)
    seen = select(RiskAlertTradeRecord.alert_id).where(
        col(RiskAlertTradeRecord.trade_id).in_(trades)
    )
    return stmt.where(col(RiskAlertRecord.id).in_(seen))


def _filtered(stmt: Any, filters: AlertFilters) -> Any:
    if filters.rule is not None:
        stmt = stmt.where(RiskAlertRecord.rule == filters.rule)
    if filters.status is not None:
        stmt = stmt.where(RiskAlertRecord.status == filters.status)
    if filters.active is not None:
        stmt = stmt.where(col(RiskAlertRecord.active).is_(filters.active))
    if filters.trade_id is not None:
        links = select(RiskAlertTradeRecord.alert_id).where(
            RiskAlertTradeRecord.trade_id == filters.trade_id.lower()
        )
        stmt = stmt.where(col(RiskAlertRecord.id).in_(links))
    if filters.created_from is not None:
        stmt = stmt.where(col(RiskAlertRecord.created_at) >= filters.created_from)
    if filters.created_to is not None:
        stmt = stmt.where(col(RiskAlertRecord.created_at) < filters.created_to)
    return stmt


def alert_public(
    record: RiskAlertRecord, party: PartyRecord, reviews: list[AlertReviewPublic] | None = None
) -> AlertPublic:
    """The public view of an alert for ``party`` (masked unless customs or the regulator)."""
    clear = bool(party_roles(party) & CLEAR_ROLES)
    evidence = json.loads(record.evidence)
    trades = json.loads(record.trades)
    return AlertPublic(
        id=record.id or 0,
        rule=record.rule,
        status=record.status,
        active=record.active,
        trades=trades,
        trade_ids=[trade_id_of_ref(ref) for ref in trades],
        evidence=evidence if clear else mask_evidence(evidence),
        threshold=json.loads(record.threshold),
        masked=not clear,
        created_at=record.created_at,
        updated_at=record.updated_at,
        reviews=reviews,
    )


def list_alerts(
    *, session: Session, party: PartyRecord, filters: AlertFilters, limit: int, offset: int
) -> AlertsPublic:
    """A page of the alerts ``party`` may see, newest first."""
    stmt = _filtered(_seen_by(select(RiskAlertRecord), party), filters.checked())
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    page = stmt.order_by(col(RiskAlertRecord.id).desc()).offset(offset).limit(limit)
    data = [alert_public(r, party) for r in session.exec(page).all()]
    return AlertsPublic(data=data, count=total, limit=limit, offset=offset)


def _require(session: Session, party: PartyRecord, alert_id: int) -> RiskAlertRecord:
    stmt = _seen_by(select(RiskAlertRecord).where(RiskAlertRecord.id == alert_id), party)
    record: RiskAlertRecord | None = session.exec(stmt).first()
    if record is None:
        raise NotFound(f"no alert {alert_id}", field="alertId")
    return record


def _history(session: Session, alert_id: int) -> list[AlertReviewPublic]:
    rows = session.exec(
        select(RiskAlertReviewRecord)
        .where(RiskAlertReviewRecord.alert_id == alert_id)
        .order_by(col(RiskAlertReviewRecord.id))
    ).all()
    return [
        AlertReviewPublic(
            reviewer=r.reviewer,
            from_status=r.from_status,
            to_status=r.to_status,
            note=r.note,
            at=r.created_at,
        )
        for r in rows
    ]


def read_alert(*, session: Session, party: PartyRecord, alert_id: int) -> AlertPublic:
    """One alert with its review history; 404 if the caller may not see it."""
    record = _require(session, party, alert_id)
    return alert_public(record, party, _history(session, alert_id))


def alerts_of_trade(*, session: Session, party: PartyRecord, trade_id: str) -> list[AlertPublic]:
    """The active alerts of a trade the caller sees (the caller checked that)."""
    links = select(RiskAlertTradeRecord.alert_id).where(
        RiskAlertTradeRecord.trade_id == normalise_trade_id(trade_id)
    )
    rows = session.exec(
        select(RiskAlertRecord)
        .where(col(RiskAlertRecord.id).in_(links), col(RiskAlertRecord.active).is_(True))
        .order_by(col(RiskAlertRecord.id))
    ).all()
    return [alert_public(r, party) for r in rows]


def review(
    *, session: Session, party: PartyRecord, alert_id: int, status: str, note: str, now: datetime
) -> AlertPublic:
    """Confirm or dismiss an alert; the history keeps who, from what, to what, why, when.

    Each review also records a credit fact for the platform and e-commerce company of the
    alert's trades (a confirmed alert counts against them from then on). Commits."""
    record = _require(session, party, alert_id)
    if record.status == status:
        raise Conflict(f"alert {alert_id} is already {status}", field="status", code="unchanged")
    session.add(
        RiskAlertReviewRecord(
            alert_id=alert_id,
            reviewer=party.code,
            from_status=record.status,
            to_status=status,
            note=note,
            created_at=now,
        )
    )
    record.status, record.updated_at = status, now
    session.add(record)
    parties = _alert_parties(session, alert_id)
    facts = [
        fact_row(p, "alert", str(alert_id), {"status": status, "rule": record.rule}, now)
        for p in parties
    ]
    if facts:
        session.execute(table_of(CreditFactRecord).insert(), facts)
    session.commit()
    return read_alert(session=session, party=party, alert_id=alert_id)


def _alert_parties(session: Session, alert_id: int) -> list[str]:
    trades = select(RiskAlertTradeRecord.trade_id).where(RiskAlertTradeRecord.alert_id == alert_id)
    rows = session.exec(
        select(TradeRecord.ebp_code, TradeRecord.ebc_code).where(
            col(TradeRecord.trade_id).in_(trades)
        )
    ).all()
    return sorted({code for pair in rows for code in pair if code})
