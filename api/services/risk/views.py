"""What the routes call: each read first judges the groups marked since the last one."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from api.db.models import PartyRecord, TradeRecord, utcnow
from api.risk_schemas import AlertPublic, AlertsPublic, CreditPublic, TradeRiskPublic
from api.runtime import CacheSlot, Runtime
from api.services import trade_queries
from api.services.risk import alerts, credit, grading
from api.services.risk.refresh import refresh_alerts
from api.services.trace.cache import TtlCache
from api.services.trace.custody import owners_of

__all__ = [
    "CREDIT_READERS",
    "REVIEWERS",
    "RISK_READERS",
    "alert",
    "alert_list",
    "credit_of",
    "grade_of_party",
    "producer_grade",
    "refresh",
    "release_check",
    "review_alert",
    "trade_with_risk",
]

#: Who reads alerts, reviews them and reads credit records.
RISK_READERS = ("customs", "bank", "regulator")
REVIEWERS = ("customs", "regulator")
CREDIT_READERS = ("customs", "regulator", "bank")


def refresh(session: Session, runtime: Runtime) -> None:
    """Judge the groups the documents stored since the last read marked (commits)."""
    refresh_alerts(session, runtime.settings.risk.thresholds(), utcnow())


def alert_list(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    filters: alerts.AlertFilters,
    limit: int,
    offset: int,
) -> AlertsPublic:
    """A page of alerts the caller may see."""
    filters.checked()
    refresh(session, runtime)
    return alerts.list_alerts(
        session=session, party=party, filters=filters, limit=limit, offset=offset
    )


def alert(*, session: Session, runtime: Runtime, party: PartyRecord, alert_id: int) -> AlertPublic:
    """One alert with its review history."""
    refresh(session, runtime)
    return alerts.read_alert(session=session, party=party, alert_id=alert_id)


def review_alert(
    *, session: Session, runtime: Runtime, party: PartyRecord, alert_id: int, status: str, note: str
) -> AlertPublic:
    """Confirm or dismiss an alert."""
    refresh(session, runtime)
    return alerts.review(
        session=session, party=party, alert_id=alert_id, status=status, note=note, now=utcnow()
    )


def trade_with_risk(
    *, session: Session, runtime: Runtime, party: PartyRecord, trade_id: str
) -> TradeRiskPublic:
    """A trade the caller sees, with its alerts and its grade (recorded if it changed)."""
    refresh(session, runtime)
    trade = trade_queries.require_visible(session=session, party=party, trade_id=trade_id)
    public = trade_queries.read_trade(session=session, party=party, trade_id=trade_id)
    grade = grading.grade_trade(session=session, trade=trade, now=utcnow())
    session.commit()
    found = alerts.alerts_of_trade(session=session, party=party, trade_id=trade.trade_id)
    return TradeRiskPublic(**public.model_dump(), alerts=found, risk=grade)


def release_check(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    trade: TradeRecord,
    override_reason: str | None,
) -> None:
    """409 for a high-risk trade unless customs overrides with a reason (both recorded)."""
    refresh(session, runtime)
    grading.hold_or_override(
        session=session, trade=trade, party=party, override_reason=override_reason, now=utcnow()
    )


def credit_of(
    *, session: Session, runtime: Runtime, party: str, at: datetime | None
) -> CreditPublic:
    """A party's credit record at ``at`` (default now)."""
    refresh(session, runtime)
    return credit.credit_record(session=session, party=party, at=at or utcnow())


#: Producers' grades by GTIN, reused for a minute: the consumer page is read far more often
#: than a grade changes, and computing one costs a dozen queries.
PRODUCER_GRADES: CacheSlot[TtlCache[str, tuple[str, str] | None]] = CacheSlot(
    "risk.producer_grades", lambda: TtlCache(60.0)
)


def producer_grade(session: Session, runtime: Runtime, gtin: str) -> tuple[str, str] | None:
    """(name, credit grade) of the GTIN's brand owner (the holder of its company prefix),
    the producer the consumer page names; None when no registered party holds it."""
    cache = runtime.caches.slot(PRODUCER_GRADES)
    return cache.get(gtin, lambda: _producer_grade(session, gtin))


def _producer_grade(session: Session, gtin: str) -> tuple[str, str] | None:
    for code in sorted(owners_of(session, gtin)):
        party = session.get(PartyRecord, code)
        if party is not None:
            return party.name, credit.credit_grade(session=session, party=code, at=utcnow())
    return None


def grade_of_party(*, session: Session, party: str) -> str:
    """A party's credit grade now (public)."""
    return credit.credit_grade(session=session, party=party, at=utcnow())
