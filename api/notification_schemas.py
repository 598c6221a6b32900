"""API shapes of notifications: the inbox, webhooks and their delivery log (issue 17)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import Field

from api.schemas import ApiModel

__all__ = [
    "DeliveriesPublic",
    "DeliveryAttemptPublic",
    "DeliveryPublic",
    "NotificationKind",
    "NotificationPublic",
    "NotificationsPublic",
    "WebhookCreate",
    "WebhookCreated",
    "WebhookPublic",
    "WebhooksPublic",
]

#: What a party is told of: a verdict (matched or mismatched), a release or a hold by
#: customs, a settlement by a bank, foreign exchange a bank settled on it (收结汇), a typed
#: financing opened or closed on the trade, a risk alert opened, goods returned (wholly or
#: partly), a customs receipt's new status, an inventory cancellation confirmed on chain.
NotificationKind = Literal[
    "verdict.matched",
    "verdict.mismatched",
    "trade.released",
    "trade.held",
    "trade.settled",
    "trade.financed",
    "trade.financing_closed",
    "trade.fx_settled",
    "trade.customs_status",
    "trade.cancelled",
    "alert.opened",
    "trade.returned",
]


class WebhookCreate(ApiModel):
    """A webhook to register: where to send, and which kinds (all when omitted)."""

    url: str = Field(
        min_length=1,
        max_length=2048,
        description="An https URL on a public address; the service refuses loopback, private "
        "and link-local hosts.",
        examples=["https://erp.example.com/sandan/events"],
    )
    kinds: list[NotificationKind] | None = Field(
        default=None,
        min_length=1,
        max_length=len(get_args(NotificationKind)),  # each kind once at most
        description="The kinds to send; all if omitted.",
    )


class WebhookPublic(ApiModel):
    """A registered webhook (its secret is shown once, when it is registered)."""

    id: int
    url: str
    kinds: list[NotificationKind]
    created_at: datetime


class WebhookCreated(WebhookPublic):
    """The webhook just registered, with its signing secret: shown this once."""

    secret: str = Field(
        description="`whsec_` then base64 of the HMAC-SHA256 key: verify each delivery's "
        "`webhook-signature` with it (README, Notifications)."
    )


class WebhooksPublic(ApiModel):
    """The caller's webhooks."""

    data: list[WebhookPublic]
    count: int


class DeliveryAttemptPublic(ApiModel):
    """One attempt to deliver: when, and the receiver's status or the error."""

    attempt: int
    at: datetime
    status_code: int | None
    error: str | None


class DeliveryPublic(ApiModel):
    """One notification's delivery to one webhook, with every attempt."""

    id: int
    notification_id: int
    kind: NotificationKind
    status: Literal["pending", "delivered", "failed", "cancelled"]
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    log: list[DeliveryAttemptPublic]


class DeliveriesPublic(ApiModel):
    """A page of a webhook's delivery log, newest first."""

    data: list[DeliveryPublic]
    count: int
    limit: int
    offset: int


class NotificationPublic(ApiModel):
    """One event in the caller's inbox."""

    id: int
    kind: NotificationKind
    trade_id: str | None
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class NotificationsPublic(ApiModel):
    """A page of the caller's inbox, newest first, and how many are unread."""

    data: list[NotificationPublic]
    count: int
    unread: int
    limit: int
    offset: int
