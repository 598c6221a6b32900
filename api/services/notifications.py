"""Notifications: events written to each recipient's inbox and queued for its webhooks.

:func:`emit` is the one way to raise an event. It writes in the caller's session and
commits nothing (an outbox): the event exists if and only if the fact it reports was
committed with it, and a receiver that is down or slow never delays the fact.
:mod:`api.services.webhook_delivery` sends the queued deliveries later.

**Who is told.** A trade's events go to the trade's own parties (:func:`trade_parties`:
the platform and e-commerce company it names, and the signers of the documents it took),
each only if registered; a settlement also to the bank that settled, a release to the
customs office that released. A risk alert goes to customs and the regulator, who act on
alerts, and not to the parties of its trades: a push cannot be taken back, and telling
the subject of an alert that it is watched is for customs to decide (issue 19 decides
what they may read of alerts, in one place).
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from api.db.models import (
    NotificationRecord,
    PartyRecord,
    WebhookAttemptRecord,
    WebhookDeliveryRecord,
    WebhookRecord,
    table_of,
)
from api.db.notifications import (
    Event,
    Kind,
    emit,
    emit_many,
    parties_with_roles,
    trade_parties,
)
from api.errors import NotFound
from api.notification_schemas import (
    DeliveriesPublic,
    DeliveryAttemptPublic,
    DeliveryPublic,
    NotificationPublic,
    NotificationsPublic,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhooksPublic,
)
from api.runtime import Runtime
from api.services.webhook_delivery import Resolver, check_url, system_resolver

__all__ = [
    "Event",
    "Kind",
    "delete_webhook",
    "deliveries",
    "emit",
    "emit_many",
    "inbox",
    "mark_read",
    "parties_with_roles",
    "register_webhook",
    "trade_parties",
    "webhooks",
]


# --- the inbox --------------------------------------------------------------------------


def _notification_public(record: NotificationRecord) -> NotificationPublic:
    data = json.loads(record.payload)
    return NotificationPublic.from_record(record, id=record.id or 0, data=data)


def inbox(
    *, session: Session, party: PartyRecord, unread: bool, limit: int, offset: int
) -> NotificationsPublic:
    """A page of the party's notifications, newest first (only unread ones if ``unread``)."""
    mine = select(NotificationRecord).where(NotificationRecord.party_code == party.code)
    unread_stmt = mine.where(col(NotificationRecord.read_at).is_(None))
    stmt = unread_stmt if unread else mine
    count = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    unread_count = session.exec(select(func.count()).select_from(unread_stmt.subquery())).one()
    page = stmt.order_by(col(NotificationRecord.id).desc()).offset(offset).limit(limit)
    data = [_notification_public(r) for r in session.exec(page).all()]
    return NotificationsPublic(
        data=data, count=count, unread=unread_count, limit=limit, offset=offset
    )


def mark_read(
    *, session: Session, party: PartyRecord, notification_id: int, now: datetime
) -> NotificationPublic:
    """Mark one of the party's notifications read (again is a no-op); 404 if not its own."""
    record = session.get(NotificationRecord, notification_id)
    if record is None or record.party_code != party.code:
        raise NotFound(f"no notification {notification_id}", field="notificationId")
    if record.read_at is None:
        record.read_at = now
        session.add(record)
        session.commit()
    return _notification_public(record)


# --- webhooks ---------------------------------------------------------------------------


def _webhook_public(record: WebhookRecord) -> WebhookPublic:
    return WebhookPublic.from_record(record, id=record.id or 0, kinds=record.kinds.split(","))


def register_webhook(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    body: WebhookCreate,
    now: datetime,
    resolve: Resolver = system_resolver,
) -> WebhookCreated:
    """Register a webhook (422 naming ``url`` if it is not a safe receiver); the answer
    carries the signing secret, which is never shown again."""
    check_url(body.url, allow_private=runtime.settings.webhook_allow_private, resolve=resolve,
              strict=False)  # fmt: skip
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    record = WebhookRecord(
        party_code=party.code,
        url=body.url,
        kinds=",".join(sorted(set(body.kinds or [k.value for k in Kind]))),
        encrypted_secret=runtime.keystore.encrypt(secret.encode()).decode(),
        created_at=now,
    )
    session.add(record)
    session.commit()
    public = _webhook_public(record)
    return WebhookCreated(**public.model_dump(), secret=secret)


def webhooks(*, session: Session, party: PartyRecord) -> WebhooksPublic:
    """The party's webhooks, oldest first."""
    rows = session.exec(
        select(WebhookRecord)
        .where(WebhookRecord.party_code == party.code, col(WebhookRecord.deleted_at).is_(None))
        .order_by(col(WebhookRecord.id))
    ).all()
    return WebhooksPublic(data=[_webhook_public(r) for r in rows], count=len(rows))


def _own_webhook(session: Session, party: PartyRecord, webhook_id: int) -> WebhookRecord:
    record = session.get(WebhookRecord, webhook_id)
    if record is None or record.party_code != party.code or record.deleted_at is not None:
        raise NotFound(f"no webhook {webhook_id}", field="webhookId")
    return record


def delete_webhook(*, session: Session, party: PartyRecord, webhook_id: int, now: datetime) -> None:
    """Stop a webhook: nothing more is sent to it (its log is kept); 404 if not its own."""
    record = _own_webhook(session, party, webhook_id)
    record.deleted_at = now
    session.add(record)
    session.execute(
        update(table_of(WebhookDeliveryRecord))
        .where(table_of(WebhookDeliveryRecord).c.webhook_id == webhook_id)
        .where(table_of(WebhookDeliveryRecord).c.status == "pending")
        .values(status="cancelled", next_attempt_at=None)
    )
    session.commit()


def deliveries(
    *, session: Session, party: PartyRecord, webhook_id: int, limit: int, offset: int
) -> DeliveriesPublic:
    """A page of a webhook's delivery log, newest first, each with its attempts."""
    _own_webhook(session, party, webhook_id)
    stmt = select(WebhookDeliveryRecord).where(WebhookDeliveryRecord.webhook_id == webhook_id)
    count = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    page = stmt.order_by(col(WebhookDeliveryRecord.id).desc()).offset(offset).limit(limit)
    rows = list(session.exec(page).all())
    ids = [r.id for r in rows]
    kinds = dict(
        session.exec(
            select(NotificationRecord.id, NotificationRecord.kind).where(
                col(NotificationRecord.id).in_([r.notification_id for r in rows])
            )
        ).all()
    )
    attempts: dict[int, list[DeliveryAttemptPublic]] = {i: [] for i in ids if i is not None}
    for a in session.exec(
        select(WebhookAttemptRecord)
        .where(col(WebhookAttemptRecord.delivery_id).in_(ids))
        .order_by(col(WebhookAttemptRecord.delivery_id), col(WebhookAttemptRecord.attempt))
    ).all():
        attempts[a.delivery_id].append(DeliveryAttemptPublic.from_record(a))
    data = [
        DeliveryPublic.from_record(
            r, id=r.id or 0, kind=kinds[r.notification_id], log=attempts[r.id or 0]
        )
        for r in rows
    ]
    return DeliveriesPublic(data=data, count=count, limit=limit, offset=offset)
