"""Raising notifications: an event written to each recipient's inbox and queued for its
webhooks, in the caller's transaction (an outbox: the caller commits).

Here, below the services, so that the anchoring worker too can tell of what it confirms
(a release under customs' policy); :mod:`api.services.notifications` is the room that
says who is told and reads the inbox and webhooks back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, or_, select

from api.db.models import (
    DocumentRecord,
    NotificationRecord,
    PartyRecord,
    TradeRecord,
    WebhookDeliveryRecord,
    WebhookRecord,
    table_of,
)

__all__ = ["Event", "Kind", "emit", "emit_many", "parties_with_roles", "trade_parties"]


class Kind(StrEnum):
    """The kinds of event (:data:`api.notification_schemas.NotificationKind`)."""

    MATCHED = "verdict.matched"
    MISMATCHED = "verdict.mismatched"
    RELEASED = "trade.released"
    HELD = "trade.held"
    SETTLED = "trade.settled"
    FINANCED = "trade.financed"
    FINANCING_CLOSED = "trade.financing_closed"
    FX_SETTLED = "trade.fx_settled"
    RETURNED = "trade.returned"
    CUSTOMS_STATUS = "trade.customs_status"
    CANCELLED = "trade.cancelled"
    ALERT_OPENED = "alert.opened"


@dataclass(frozen=True)
class Event:
    """One event and the parties it is for."""

    kind: Kind
    parties: frozenset[str]
    trade_id: str | None
    data: dict[str, Any] = field(default_factory=dict)


def emit(
    session: Session,
    *,
    kind: Kind,
    parties: Iterable[str],
    trade_id: str | None,
    data: dict[str, Any],
    now: datetime,
) -> None:
    """Write the event to each party's inbox and queue it for their webhooks, in the
    caller's transaction (the caller commits). Parties not registered are skipped."""
    emit_many(session, [Event(kind, frozenset(parties), trade_id, data)], now=now)


def emit_many(session: Session, events: Sequence[Event], *, now: datetime) -> None:
    """:func:`emit` for many events in a few statements (a bulk body's verdicts)."""
    wanted = {p for e in events for p in e.parties}
    if not wanted:
        return
    known = set(session.exec(select(PartyRecord.code).where(col(PartyRecord.code).in_(wanted))))
    rows = [
        {"party_code": party, "kind": e.kind.value, "trade_id": e.trade_id,
         "payload": _payload(e), "created_at": now}
        for e in events for party in sorted(e.parties & known)
    ]  # fmt: skip
    if not rows:
        return
    table = table_of(NotificationRecord)
    ids = session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    ).scalars()
    hooks = session.exec(
        select(WebhookRecord).where(
            col(WebhookRecord.party_code).in_(known), col(WebhookRecord.deleted_at).is_(None)
        )
    ).all()
    queued = [
        {"webhook_id": hook.id, "notification_id": notification_id, "status": "pending",
         "attempts": 0, "next_attempt_at": now, "created_at": now}
        for row, notification_id in zip(rows, ids, strict=True)
        for hook in hooks
        if hook.party_code == row["party_code"] and row["kind"] in hook.kinds.split(",")
    ]  # fmt: skip
    if queued:
        session.execute(insert(table_of(WebhookDeliveryRecord)), queued)


def _payload(event: Event) -> str:
    data = {"tradeId": event.trade_id, **event.data} if event.trade_id else event.data
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def trade_parties(session: Session, trade: TradeRecord) -> set[str]:
    """The trade's own parties: the platform and e-commerce company it names, and the
    signers of the current documents it took."""
    signers = session.exec(
        select(DocumentRecord.party_code).where(
            DocumentRecord.trade_id == trade.trade_id, col(DocumentRecord.superseded_by).is_(None)
        )
    ).all()
    return {c for c in (trade.ebp_code, trade.ebc_code, *signers) if c}


def parties_with_roles(session: Session, roles: Iterable[str]) -> set[str]:
    """Every registered party holding one of ``roles`` (stored comma-separated)."""
    matches = [
        or_(PartyRecord.roles == r, col(PartyRecord.roles).like(f"{r},%"),
            col(PartyRecord.roles).like(f"%,{r}"), col(PartyRecord.roles).like(f"%,{r},%"))
        for r in roles
    ]  # fmt: skip
    return set(session.exec(select(PartyRecord.code).where(or_(*matches))).all())
