"""A party's notifications (its inbox), and its webhooks with their recent deliveries.

Reads and writes through :mod:`api.services.notifications`, as ``GET /inbox``,
``POST /inbox/{id}/read``, ``GET /webhooks`` and ``POST /webhooks`` do, with the same
answers: another party's notification is 404 here as there."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.db.models import PartyRecord, utcnow
from api.errors import ApiError, PermissionDenied, UnprocessableContent
from api.notification_schemas import NotificationPublic, WebhookCreate, WebhookCreated
from api.services import notifications
from api.services import portal_sessions as sessions
from api.web.deps import RuntimeDep, SessionDep
from api.web.pages.portal import kit

router = APIRouter(include_in_schema=False)

#: How many of each webhook's latest deliveries the page shows.
RECENT_DELIVERIES = 5

kit.add_text(
    en={
        "inbox_count": "{} notifications, {} unread, newest first.",
        "inbox_empty": "No notification yet.",
        "event_kind": "Event",
        "when": "When",
        "details": "Details",
        "read": "Read",
        "mark_read": "Mark read",
        "kind_verdict.matched": "Three documents match",
        "kind_verdict.mismatched": "Three documents do not match",
        "kind_trade.released": "Released by customs",
        "kind_trade.held": "Held by customs",
        "kind_trade.settled": "Settlement confirmed",
        "kind_trade.financed": "Financing opened on the trade",
        "kind_trade.financing_closed": "Financing of the trade closed",
        "kind_trade.fx_settled": "Foreign exchange settled",
        "kind_trade.returned": "Goods returned",
        "kind_alert.opened": "Risk alert opened",
        "webhooks": "Webhooks",
        "webhooks_intro": "Each event is also POSTed, signed with HMAC-SHA256, to these URLs.",
        "webhook_url": "Receiver URL (https)",
        "add_webhook": "Add webhook",
        "webhook_secret": "Signing secret, shown only now: keep it to verify each delivery.",
        "deliveries": "Recent deliveries",
        "attempts": "Attempts",
        "no_delivery": "No delivery yet.",
    },
    zh={
        "inbox_count": "共 {} 条通知，{} 条未读，最新在前。",
        "inbox_empty": "暂无通知。",
        "event_kind": "事件",
        "when": "时间",
        "details": "详情",
        "read": "已读",
        "mark_read": "标为已读",
        "kind_verdict.matched": "三单相符",
        "kind_verdict.mismatched": "三单不符",
        "kind_trade.released": "海关已放行",
        "kind_trade.held": "海关已暂扣",
        "kind_trade.settled": "结汇已确认",
        "kind_trade.financed": "交易已开立融资",
        "kind_trade.financing_closed": "交易融资已结清",
        "kind_trade.fx_settled": "银行已收结汇",
        "kind_trade.returned": "退货已接受",
        "kind_alert.opened": "新风险预警",
        "webhooks": "Webhook 推送",
        "webhooks_intro": "每个事件也以 HMAC-SHA256 签名后 POST 到以下地址。",
        "webhook_url": "接收地址（https）",
        "add_webhook": "添加 Webhook",
        "webhook_secret": "签名密钥仅此一次显示，请妥善保存以核验每次推送。",
        "deliveries": "最近推送",
        "attempts": "尝试次数",
        "no_delivery": "暂无推送。",
    },
)


def _when(value: Any, runtime: RuntimeDep) -> str:
    zone = ZoneInfo(runtime.settings.zone_timezone)
    return str(value.astimezone(zone).strftime("%Y-%m-%d %H:%M")) if value else ""


def _row(item: NotificationPublic, runtime: RuntimeDep) -> dict[str, Any]:
    data = item.data
    subject = f"{data.get('ebpCode', '')} / {data.get('orderNo', '')}" if item.trade_id else ""
    if item.kind == "alert.opened":
        subject = f"#{data.get('alertId')} {data.get('rule', '')}"
    return {**item.model_dump(), "subject": subject, "when": _when(item.created_at, runtime)}


def _hooks(session: SessionDep, runtime: RuntimeDep, party: PartyRecord) -> list[dict[str, Any]]:
    hooks = []
    for hook in notifications.webhooks(session=session, party=party).data:
        log = notifications.deliveries(
            session=session, party=party, webhook_id=hook.id, limit=RECENT_DELIVERIES, offset=0
        )
        recent = [{**d.model_dump(), "when": _when(d.created_at, runtime)} for d in log.data]
        hooks.append({**hook.model_dump(), "deliveries": recent})
    return hooks


def _render(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    signed_in: sessions.SignedIn,
    created: WebhookCreated | None = None,
) -> Response:
    text = kit.TEXT[kit.language(request)]
    try:
        party = kit.party_of(signed_in)
        page = notifications.inbox(session=session, party=party, unread=False, limit=100, offset=0)
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    return kit.page(request, "portal/inbox.html", signed_in=signed_in, current="inbox",
                    title=text["inbox"], page=page, items=[_row(i, runtime) for i in page.data],
                    hooks=_hooks(session, runtime, party), created=created)  # fmt: skip


@router.get("/portal/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """The signed-in party's notifications and webhooks: what ``GET /inbox`` and
    ``GET /webhooks`` give it."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    return _render(request, session, runtime, signed_in)


async def _checked_form(
    request: Request, signed_in: sessions.SignedIn
) -> dict[str, str] | HTMLResponse:
    form = await kit.form(request)
    if not sessions.csrf_matches(signed_in, form.get("csrf")):
        bad = PermissionDenied(kit.TEXT[kit.language(request)]["bad_form"])
        return kit.error(request, signed_in, bad)
    return form


@router.post("/portal/inbox/{notification_id}/read")
async def mark_read_page(
    notification_id: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Mark one notification read, as ``POST /inbox/{id}/read`` does."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()  # the body of a caller without a session is never read
    form = await _checked_form(request, signed_in)
    if isinstance(form, HTMLResponse):
        return form
    try:
        party = kit.party_of(signed_in)
        if not notification_id.isdigit() or len(notification_id) > 18:
            raise UnprocessableContent("a notification id is a number", field="notificationId")
        await run_in_threadpool(notifications.mark_read, session=session, party=party,
                                notification_id=int(notification_id), now=utcnow())  # fmt: skip
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    return RedirectResponse("/portal/inbox", status_code=303)


@router.post("/portal/webhooks")
async def register_webhook_page(
    request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Register a webhook for every kind of event, as ``POST /webhooks`` does; the page then
    shows its signing secret, this once."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    form = await _checked_form(request, signed_in)
    if isinstance(form, HTMLResponse):
        return form
    try:
        party = kit.party_of(signed_in)
        try:
            body = WebhookCreate(url=form.get("url", "").strip())
        except ValidationError as exc:
            raise UnprocessableContent(exc.errors()[0]["msg"], field="url") from exc
        created = await run_in_threadpool(notifications.register_webhook, session=session,
                                          runtime=runtime, party=party, body=body,
                                          now=utcnow())  # fmt: skip
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    return _render(request, session, runtime, signed_in, created)
