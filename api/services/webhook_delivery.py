"""Sending due webhook deliveries: signed, retried with backoff, every attempt logged.

Each delivery is a POST of the event as JSON, signed as the Standard Webhooks
specification says: ``webhook-id`` (the notification's id, the same on every retry),
``webhook-timestamp`` (Unix seconds of the attempt) and ``webhook-signature: v1,<base64>``,
an HMAC-SHA256 with the webhook's secret over ``"<id>.<timestamp>.<body>"``. A receiver
recomputes it, compares in constant time, and refuses a timestamp far from its clock.

A failed attempt (no answer, a timeout, a status other than 2xx) is tried again after
:data:`FIRST_RETRY` doubled at each attempt (at most :data:`LONGEST_WAIT`), until
:data:`MAX_ATTEMPTS`; the delivery is then ``failed``. Due deliveries are claimed for
:data:`LEASE` before they are sent and the result written after, so a slow receiver holds
no database lock, and two deliverers never send one delivery at once.

URLs are checked for server-side request forgery when registered and again before every
attempt (DNS may change): https only, and every address the host resolves to public,
unless ``SANDAN_WEBHOOK_ALLOW_PRIVATE`` allows a receiver on a local network for testing.
The connection goes to the address that was checked (the name is kept for TLS and the
``Host`` header), so a second DNS answer cannot move it; redirects are not followed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.db.models import (
    NotificationRecord,
    WebhookAttemptRecord,
    WebhookDeliveryRecord,
    WebhookRecord,
    utcnow,
)
from api.errors import UnprocessableContent
from api.runtime import Runtime

__all__ = [
    "FIRST_RETRY",
    "LONGEST_WAIT",
    "MAX_ATTEMPTS",
    "Deliverer",
    "DeliveryOutcome",
    "Resolver",
    "check_url",
    "deliver_due",
    "event_body",
    "sign",
]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
#: How long a claimed delivery is left to its sender before another may try it.
LEASE = timedelta(minutes=2)
#: A receiver gets this long to connect and answer: a slow one delays only its own delivery.
TIMEOUT = httpx.Timeout(5.0, connect=3.0)
BATCH = 50

#: Host name, port -> the addresses it resolves to.
Resolver = Callable[[str, int], Sequence[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for ``host``."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global excludes loopback, private, link-local, shared (CGNAT) and reserved ranges.
    return ip.is_global and not ip.is_multicast


def check_url(
    url: str, *, allow_private: bool, resolve: Resolver = system_resolver, strict: bool = True
) -> str | None:
    """The address to connect to for ``url``, or 422 naming ``url`` if it is not a safe
    receiver. A host that does not resolve is refused when ``strict`` (delivering), and
    passes otherwise (registering: its DNS may come later, every attempt checks again)."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise UnprocessableContent(f"not a URL: {exc}", field="url") from exc
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise UnprocessableContent("a webhook URL must start with https://", field="url")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise UnprocessableContent("a webhook URL names a host and no credentials", field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = list(resolve(parts.hostname, port))
    except (OSError, UnicodeError, ValueError) as exc:
        if strict:
            raise UnprocessableContent(f"{parts.hostname} does not resolve", field="url") from exc
        return None
    if not addresses and strict:
        raise UnprocessableContent(f"{parts.hostname} does not resolve", field="url")
    if not allow_private and not all(_public(a) for a in addresses):
        raise UnprocessableContent(
            f"{parts.hostname} resolves to a loopback, private or link-local address",
            field="url",
        )
    return addresses[0] if addresses else None


def sign(secret: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value of ``body``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_...`` secret."""
    return base64.b64decode(secret.removeprefix("whsec_"))


def event_body(notification: NotificationRecord) -> bytes:
    """The JSON a webhook receives: the same bytes on every attempt."""
    event = {
        "id": str(notification.id),
        "type": notification.kind,
        "timestamp": notification.created_at.isoformat().replace("+00:00", "Z"),
        "data": json.loads(notification.payload),
    }
    return json.dumps(event, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one attempt of one delivery did."""

    delivery_id: int
    attempt: int
    status: str  # the delivery's status after the attempt
    status_code: int | None
    error: str | None


def _backoff(attempts: int) -> timedelta:
    return min(FIRST_RETRY * (1 << (attempts - 1)), LONGEST_WAIT)


def _claim(engine: Engine, now: datetime, limit: int) -> list[int]:
    """Take the due deliveries for :data:`LEASE`, and commit (no lock held while sending)."""
    with Session(engine) as session:
        stmt = (
            select(WebhookDeliveryRecord)
            .where(
                WebhookDeliveryRecord.status == "pending",
                col(WebhookDeliveryRecord.next_attempt_at) <= now,
            )
            .order_by(col(WebhookDeliveryRecord.next_attempt_at), col(WebhookDeliveryRecord.id))
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list(session.exec(stmt).all())
        for row in rows:
            row.next_attempt_at = now + LEASE
            session.add(row)
        session.commit()
        return [row.id for row in rows if row.id is not None]


def _send(
    client: httpx.Client, hook: WebhookRecord, body: bytes, message_id: str, key: bytes, *,
    address: str | None, now: datetime,
) -> httpx.Response:  # fmt: skip
    timestamp = int(now.timestamp())
    url = httpx.URL(hook.url)
    headers = {
        "content-type": "application/json",
        "user-agent": "sandan-webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(key, message_id, timestamp, body),
    }
    extensions = {}
    if address is not None and address != url.host:
        # Connect to the address that was checked; TLS and Host still name the host.
        extensions["sni_hostname"] = url.host
        headers["host"] = url.netloc.decode("ascii")
        url = url.copy_with(host=address)
    request = client.build_request("POST", url, content=body, headers=headers)
    request.extensions.update(extensions)
    # The answer's body is never read: a receiver cannot make the deliverer download much.
    response = client.send(request, stream=True)
    response.close()
    return response


def _attempt(
    session: Session, runtime: Runtime, client: httpx.Client, delivery: WebhookDeliveryRecord,
    *, resolve: Resolver, now: datetime,
) -> DeliveryOutcome:  # fmt: skip
    hook = session.get(WebhookRecord, delivery.webhook_id)
    notification = session.get(NotificationRecord, delivery.notification_id)
    assert hook is not None
    assert notification is not None
    delivery.attempts += 1
    code: int | None = None
    error: str | None = None
    try:
        allow = runtime.settings.webhook_allow_private
        address = check_url(hook.url, allow_private=allow, resolve=resolve)
        key = secret_key(runtime.keystore.decrypt(hook.encrypted_secret.encode()).decode())
        response = _send(client, hook, event_body(notification), str(notification.id), key,
                         address=address, now=now)  # fmt: skip
        code = response.status_code
        if not 200 <= code < 300:
            error = f"the receiver answered {code}"
    except UnprocessableContent as exc:
        error = f"refused: {exc.message}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    if error is None:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = "failed", None
    else:
        delivery.next_attempt_at = now + _backoff(delivery.attempts)
    delivery.last_status, delivery.last_error = code, error
    session.add(delivery)
    session.add(WebhookAttemptRecord(delivery_id=delivery.id or 0, attempt=delivery.attempts,
                                     at=now, status_code=code, error=error))  # fmt: skip
    return DeliveryOutcome(delivery.id or 0, delivery.attempts, delivery.status, code, error)


def deliver_due(
    runtime: Runtime,
    *,
    now: datetime | None = None,
    transport: httpx.BaseTransport | None = None,
    resolve: Resolver = system_resolver,
    limit: int = BATCH,
) -> list[DeliveryOutcome]:
    """Send every delivery due at ``now`` (up to ``limit``) once; what each attempt did."""
    now = now or utcnow()
    claimed = _claim(runtime.engine, now, limit)
    outcomes = []
    with httpx.Client(transport=transport, timeout=TIMEOUT, follow_redirects=False) as client:
        for delivery_id in claimed:
            with Session(runtime.engine) as session:
                delivery = session.get(WebhookDeliveryRecord, delivery_id)
                if delivery is None or delivery.status != "pending":
                    continue
                outcomes.append(
                    _attempt(session, runtime, client, delivery, resolve=resolve, now=now)
                )
                session.commit()
    return outcomes


class Deliverer:
    """Delivers due webhooks in the background of ``sandan serve`` until :attr:`stop_event`."""

    def __init__(self, runtime: Runtime, *, interval: float = 2.0) -> None:
        self.runtime = runtime
        self.interval = interval
        self.stop_event = threading.Event()

    def run_forever(self) -> None:
        """Deliver what is due, then wait; an error is logged and tried again later."""
        while not self.stop_event.is_set():
            try:
                busy = len(deliver_due(self.runtime)) == BATCH
            except Exception:  # a database outage must not end the thread
                log.exception("webhook delivery failed; retrying")
                busy = False
            if not busy:
                self.stop_event.wait(self.interval)
