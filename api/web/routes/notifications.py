"""Notifications: a party's inbox, its webhooks and their delivery log.

Every party sees and changes only its own: another party's webhook or notification is
404, as one that does not exist."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api.db.models import utcnow
from api.notification_schemas import (
    DeliveriesPublic,
    NotificationPublic,
    NotificationsPublic,
    WebhookCreate,
    WebhookCreated,
    WebhooksPublic,
)
from api.services import notifications
from api.web.deps import PartyDep, RuntimeDep, SessionDep, WriteLimit
from api.web.errors import ErrorBodyResponses

router = APIRouter(tags=["notifications"], responses=ErrorBodyResponses)

_ID = Path(ge=1, le=2**62)
_LIMIT = Query(ge=1, le=500)
_OFFSET = Query(ge=0, le=10_000_000)


@router.post("/webhooks", response_model=WebhookCreated, status_code=201, dependencies=[WriteLimit])
def register_webhook(
    session: SessionDep, runtime: RuntimeDep, party: PartyDep, body: WebhookCreate
) -> WebhookCreated:
    """Register a webhook for the caller's events; the answer shows its signing secret once.

    The URL must be https on a public address (loopback, private and link-local hosts are
    refused, 422 naming `url`, unless `SANDAN_WEBHOOK_ALLOW_PRIVATE`)."""
    return notifications.register_webhook(
        session=session, runtime=runtime, party=party, body=body, now=utcnow()
    )


@router.get("/webhooks", response_model=WebhooksPublic)
def list_webhooks(session: SessionDep, party: PartyDep) -> WebhooksPublic:
    """The caller's webhooks (without their secrets)."""
    return notifications.webhooks(session=session, party=party)


@router.delete("/webhooks/{webhook_id}", status_code=204, dependencies=[WriteLimit])
def delete_webhook(
    session: SessionDep, party: PartyDep, webhook_id: Annotated[int, _ID]
) -> Response:
    """Stop one of the caller's webhooks: its pending deliveries are cancelled, its log kept."""
    notifications.delete_webhook(session=session, party=party, webhook_id=webhook_id, now=utcnow())
    return Response(status_code=204)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=DeliveriesPublic)
def list_deliveries(
    session: SessionDep,
    party: PartyDep,
    webhook_id: Annotated[int, _ID],
    limit: Annotated[int, _LIMIT] = 50,
    offset: Annotated[int, _OFFSET] = 0,
) -> DeliveriesPublic:
    """The delivery log of one of the caller's webhooks, newest first, every attempt."""
    return notifications.deliveries(
        session=session, party=party, webhook_id=webhook_id, limit=limit, offset=offset
    )


@router.get("/inbox", response_model=NotificationsPublic)
def read_inbox(
    session: SessionDep,
    party: PartyDep,
    unread: Annotated[bool, Query(description="Only the notifications not read yet.")] = False,
    limit: Annotated[int, _LIMIT] = 50,
    offset: Annotated[int, _OFFSET] = 0,
) -> NotificationsPublic:
    """The caller's notifications, newest first, with how many are unread."""
    return notifications.inbox(
        session=session, party=party, unread=unread, limit=limit, offset=offset
    )


@router.post(
    "/inbox/{notification_id}/read", response_model=NotificationPublic, dependencies=[WriteLimit]
)
def mark_read(
    session: SessionDep, party: PartyDep, notification_id: Annotated[int, _ID]
) -> NotificationPublic:
    """Mark one of the caller's notifications read (again changes nothing)."""
    return notifications.mark_read(
        session=session, party=party, notification_id=notification_id, now=utcnow()
    )
