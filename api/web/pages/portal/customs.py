"""Customs: the release queue with each trade's risk grade, alerts and hold; release one or
many, hold with a reason; and the summary declaration of a period."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from api.db.models import PartyRecord, TradeRecord, utcnow
from api.errors import ApiError, PermissionDenied, UnprocessableContent
from api.services import chain_actions, customs_holds, summary
from api.services import portal_sessions as sessions
from api.services import trade_queries as queries
from api.services.customs_release import release_checked
from api.services.risk import alerts, grading
from api.services.risk.views import refresh
from api.web.deps import RuntimeDep, SessionDep
from api.web.pages.portal import kit

router = APIRouter(include_in_schema=False)

kit.add_text(
    en={
        "grade": "Risk",
        "grade_low": "low",
        "grade_medium": "medium",
        "grade_high": "high",
        "alerts": "Alerts",
        "hold": "Hold",
        "hold_reason": "Reason for the hold",
        "held": "held",
        "held_notice": "Held {}.",
        "select": "Select",
        "release_selected": "Release the selected trades",
        "release_reason_many": "Reason (lifts holds, overrides high risk; optional)",
        "outcomes": "Outcomes",
        "release_ok": "released",
        "release_refused": "refused",
        "nothing_selected": "Select at least one trade.",
        "summary_title": "Summary declaration (汇总申报)",
        "summary_intro": "Released 9610, 9710 and 9810 trades of a period, one line per "
        "company, direction, mode and currency, to the fen.",
        "period_start": "From (date)",
        "period_end": "To (date, inclusive)",
        "company": "Company (ebcCode, optional)",
        "show": "Show",
        "lines": "Lines",
        "trades_n": "Trades",
        "total": "Total",
        "download_json": "Download JSON",
        "ceb701_note": "The CEB701 summary application XML is written from customs' CEB604 "
        "release receipts, which the receipts loop of the life-cycle issue ingests.",
    },
    zh={
        "grade": "风险",
        "grade_low": "低",
        "grade_medium": "中",
        "grade_high": "高",
        "alerts": "预警",
        "hold": "扣留",
        "hold_reason": "扣留原因",
        "held": "已扣留",
        "held_notice": "已扣留 {}。",
        "select": "选择",
        "release_selected": "放行所选交易",
        "release_reason_many": "理由（解除扣留、高风险放行时填写；可选）",
        "outcomes": "处理结果",
        "release_ok": "已放行",
        "release_refused": "未放行",
        "nothing_selected": "请至少选择一笔交易。",
        "summary_title": "汇总申报",
        "summary_intro": "某期间已放行的 9610、9710、9810 交易，"
        "按企业、进出口、监管方式和币制汇总，精确到分。",
        "period_start": "起始日期",
        "period_end": "截止日期（含当日）",
        "company": "电商企业代码（可选）",
        "show": "查询",
        "lines": "汇总行",
        "trades_n": "笔数",
        "total": "合计",
        "download_json": "下载 JSON",
        "ceb701_note": "CEB701 汇总申请单 XML 依据海关 CEB604 放行回执生成，"
        "回执由生命周期议题的回执闭环接入。",
    },
)

#: A release-many form lists at most the queue's page of trades, plus its two fields.
_QUEUE_PAGE = 100


@router.get("/portal/customs", response_class=HTMLResponse)
def customs_page(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """Customs' release queue: what ``GET /customs/releasable`` gives, with each trade's
    grade, active alerts and hold, a release and a hold form per trade, and release-many."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    try:
        party = kit.customs_of(signed_in)
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    text = kit.TEXT[kit.language(request)]
    notice = ""
    for key, template in (("released", "released_notice"), ("held", "held_notice")):
        value = request.query_params.get(key, "")
        if value.isalnum():
            notice = text[template].format(value)
    return _queue(request, session, runtime, signed_in, party, notice=notice)


def _queue(
    request: Request,
    session: Session,
    runtime: RuntimeDep,
    signed_in: sessions.SignedIn,
    party: PartyRecord,
    *,
    notice: str = "",
    outcomes: list[dict[str, str]] | None = None,
    status: int = 200,
) -> HTMLResponse:
    text = kit.TEXT[kit.language(request)]
    refresh(session, runtime)  # the grades read the alerts: judge the marked groups first
    page = chain_actions.releasable(session=session, party=party, limit=_QUEUE_PAGE, offset=0)
    listed = [t.trade_id for t in page.data]
    holds = customs_holds.active_holds(session, listed)
    # The queue's trades as stored, in one query: the grades are computed from them.
    records = {
        r.trade_id: r
        for r in session.exec(select(TradeRecord).where(col(TradeRecord.trade_id).in_(listed)))
    }
    now = utcnow()
    rows = kit.rows(page.data, runtime)
    zone = ZoneInfo(runtime.settings.zone_timezone)
    for row in rows:
        record = records[row["trade_id"]]
        graded = grading.grade_trade(session=session, trade=record, now=now)
        row["grade"] = graded.grade if graded else None
        row["alerts"] = len(
            alerts.alerts_of_trade(session=session, party=party, trade_id=record.trade_id)
        )
        held = holds.get(record.trade_id)
        row["hold"] = None if held is None else {
            "reason": held.reason, "by": held.party_code,
            "at": held.held_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        }  # fmt: skip
    session.commit()  # the grades recorded, as GET /trades/{id} records them
    return kit.page(request, "portal/customs.html", status=status, signed_in=signed_in,
                    current="release_queue", title=text["release_queue"], trades=rows,
                    count=page.count, notice=notice, outcomes=outcomes)  # fmt: skip


@router.post("/portal/customs/trades/{trade_id}/release")
async def release_page(
    trade_id: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Release one trade from the queue: the checks and the contract call of
    ``POST /customs/trades/{id}/release``, by customs' own chain account."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()  # the body of a caller without a session is never read
    form = await kit.form(request)
    if not sessions.csrf_matches(signed_in, form.get("csrf")):
        return _bad_form(request, signed_in)
    reason = form.get("overrideReason", "").strip()[:500] or None
    try:
        party = kit.customs_of(signed_in)
        trade = queries.get_trade_or_404(session=session, trade_id=trade_id)
        await run_in_threadpool(_release, session, runtime, party, trade.trade_id, reason)
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    return RedirectResponse(f"/portal/customs?released={trade.trade_id[:12]}", status_code=303)


@router.post("/portal/customs/release", response_class=HTMLResponse)
async def release_many_page(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """Release each selected trade as one release would; one refusal stops no other."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    form = await kit.form_lists(request, max_fields=_QUEUE_PAGE + 2)
    if not sessions.csrf_matches(signed_in, (form.get("csrf") or [""])[0]):
        return _bad_form(request, signed_in)
    text = kit.TEXT[kit.language(request)]
    reason = (form.get("overrideReason") or [""])[0].strip()[:500] or None
    chosen = list(dict.fromkeys(form.get("trade", [])))[:_QUEUE_PAGE]
    try:
        party = kit.customs_of(signed_in)
        if not chosen:
            raise UnprocessableContent(text["nothing_selected"], field="trade")
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    outcomes = []
    for trade_id in chosen:
        try:
            await run_in_threadpool(_release, session, runtime, party, trade_id, reason)
            outcomes.append({"trade": trade_id, "ok": "1", "detail": text["release_ok"]})
        except ApiError as exc:
            session.rollback()
            outcomes.append(
                {"trade": trade_id, "ok": "", "detail": f"{exc.status_code} {exc.message}"}
            )
    released = sum(1 for o in outcomes if o["ok"])
    return _queue(request, session, runtime, signed_in, party, outcomes=outcomes,
                  status=200 if released else 409)  # fmt: skip


@router.post("/portal/customs/trades/{trade_id}/hold")
async def hold_page(
    trade_id: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Hold one trade with a reason: ``POST /customs/trades/{id}/hold``."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    form = await kit.form(request)
    if not sessions.csrf_matches(signed_in, form.get("csrf")):
        return _bad_form(request, signed_in)
    reason = form.get("reason", "").strip()
    try:
        party = kit.customs_of(signed_in)
        if not reason or len(reason) > 500:
            raise UnprocessableContent("reason: 1 to 500 characters", field="reason")
        trade = queries.get_trade_or_404(session=session, trade_id=trade_id)
        customs_holds.hold(session=session, party=party, trade=trade, reason=reason, now=utcnow())
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    return RedirectResponse(f"/portal/customs?held={trade.trade_id[:12]}", status_code=303)


@router.get("/portal/customs/summary", response_class=HTMLResponse)
def summary_page(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """The summary declaration of a period: what ``GET /customs/summary`` gives."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    text = kit.TEXT[kit.language(request)]
    chosen = _period_query(request)
    declaration = None
    try:
        kit.customs_of(signed_in)
        if chosen["periodStart"] or chosen["periodEnd"]:
            declaration = _declaration(session, runtime, chosen)
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    return kit.page(request, "portal/summary.html", signed_in=signed_in, current="summary",
                    title=text["summary_title"], chosen=chosen,
                    declaration=declaration)  # fmt: skip


@router.get("/portal/customs/summary.json")
def summary_download(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """The summary declaration as the API's JSON, to keep or hand on."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    try:
        kit.customs_of(signed_in)
        declaration = _declaration(session, runtime, _period_query(request))
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    return kit.download(
        declaration.model_dump_json(by_alias=True, indent=2), filename="summary.json"
    )


def _period_query(request: Request) -> dict[str, str]:
    """The summary's query parameters as ``GET /customs/summary`` names them."""
    return {
        k: request.query_params.get(k, "").strip()[:64]
        for k in ("periodStart", "periodEnd", "ebcCode")
    }


def _declaration(session: Session, runtime: RuntimeDep, chosen: dict[str, str]) -> Any:
    """The summary declaration of the chosen period, as ``GET /customs/summary`` gives it."""
    zone = runtime.settings.zone
    return summary.summary_declaration(
        session=session,
        period_start=summary.period_bound(
            chosen["periodStart"], field="periodStart", zone=zone, end=False
        ),
        period_end=summary.period_bound(
            chosen["periodEnd"], field="periodEnd", zone=zone, end=True
        ),
        ebc_code=chosen["ebcCode"] or None,
    )


def _release(
    session: Session, runtime: RuntimeDep, party: PartyRecord, trade_id: str, reason: str | None
) -> Any:
    trade = queries.get_trade_or_404(session=session, trade_id=trade_id)
    return release_checked(session=session, runtime=runtime, party=party, trade=trade,
                           verdict_hash=None, override_reason=reason)  # fmt: skip


def _bad_form(request: Request, signed_in: sessions.SignedIn) -> HTMLResponse:
    return kit.error(
        request, signed_in, PermissionDenied(kit.TEXT[kit.language(request)]["bad_form"])
    )
