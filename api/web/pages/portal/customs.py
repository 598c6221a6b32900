"""Customs: the release queue, release and hold."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.errors import ApiError, PermissionDenied
from api.services import chain_actions
from api.services import portal_sessions as sessions
from api.services import trade_queries as queries
from api.services.customs_release import release_checked
from api.web.deps import RuntimeDep, SessionDep
from api.web.pages.portal import kit

router = APIRouter(include_in_schema=False)


@router.get("/portal/customs", response_class=HTMLResponse)
def customs_page(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """Customs' release queue: what ``GET /customs/releasable`` gives, each with a release
    form (a high-risk trade is held unless a reason overrides, as through the API)."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    text = kit.TEXT[kit.language(request)]
    try:
        party = kit.customs_of(signed_in)
        page = chain_actions.releasable(session=session, party=party, limit=100, offset=0)
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    released = request.query_params.get("released", "")
    notice = text["released_notice"].format(released) if released.isalnum() else ""
    rows = kit.rows(page.data, runtime)
    return kit.page(request, "portal/customs.html", signed_in=signed_in, current="release_queue",
                 title=text["release_queue"], trades=rows, count=page.count,
                 notice=notice)  # fmt: skip


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
        return kit.error(
            request, signed_in, PermissionDenied(kit.TEXT[kit.language(request)]["bad_form"])
        )
    reason = form.get("overrideReason", "").strip()[:500] or None
    try:
        party = kit.customs_of(signed_in)
        trade = queries.get_trade_or_404(session=session, trade_id=trade_id)
        await run_in_threadpool(
            release_checked,
            session=session,
            runtime=runtime,
            party=party,
            trade=trade,
            verdict_hash=None,
            override_reason=reason,
        )
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    return RedirectResponse(f"/portal/customs?released={trade.trade_id[:12]}", status_code=303)
