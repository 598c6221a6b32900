"""The trades a party may see, and one trade with its documents and verdict."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.errors import ApiError
from api.schemas import TradeFilters
from api.services import trade_queries as queries
from api.services.trades import trades_public
from api.web.deps import RuntimeDep, SessionDep
from api.web.pages.portal import kit

router = APIRouter(include_in_schema=False)


@router.get("/portal/trades", response_class=HTMLResponse)
def trades_page(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """The trades the signed-in party may see: what ``GET /trades`` lists for it."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    text = kit.TEXT[kit.language(request)]
    try:
        party = kit.party_of(signed_in)
        page = queries.list_trades(
            session=session, party=party, filters=TradeFilters(), limit=100, offset=0
        )
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    rows = kit.rows(page.data, runtime)
    return kit.page(request, "portal/trades.html", signed_in=signed_in, current="trades",
                 title=text["trades"], trades=rows, count=page.count)  # fmt: skip


@router.get("/portal/trades/{trade_id}", response_class=HTMLResponse)
def trade_page(
    trade_id: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """One trade with its documents and each failed rule: what ``GET /trades/{id}`` and its
    verdict give the signed-in party, with the same 404 when it may not see the trade."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    try:
        party = kit.party_of(signed_in)
        record = queries.require_visible(session=session, party=party, trade_id=trade_id)
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    (trade,) = trades_public(session=session, trades=[record])
    verdict = json.loads(record.verdict) if record.verdict else {}
    return kit.page(request, "portal/trade.html", signed_in=signed_in, current="trades",
                 title=f"{trade.ebp_code} / {trade.order_no}", trade=trade,
                 failures=verdict.get("failures", []))  # fmt: skip
