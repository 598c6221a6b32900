"""Trades: status, verdict with reasons, list with filters and paging."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.risk_schemas import TradeRiskPublic
from api.schemas import TradeFilters, TradesPublic, VerdictPublic
from api.services import trade_queries as queries
from api.services import trades as service
from api.services.risk.views import trade_with_risk
from api.web.deps import PartyDep, RuntimeDep, SessionDep
from api.web.errors import ErrorBodyResponses

router = APIRouter(prefix="/trades", tags=["trades"], responses=ErrorBodyResponses)


@router.get("", response_model=TradesPublic)
def list_trades(
    session: SessionDep,
    party: PartyDep,
    filters: Annotated[TradeFilters, Query()],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> TradesPublic:
    """Trades visible to the caller, newest first, filtered and paged."""
    return queries.list_trades(
        session=session, party=party, filters=filters, limit=limit, offset=offset
    )


@router.get("/{trade_id}", response_model=TradeRiskPublic)
def read_trade(
    trade_id: str, session: SessionDep, runtime: RuntimeDep, party: PartyDep
) -> TradeRiskPublic:
    """One trade: its documents, verdict status, release, settlement, financing, conflicts,
    its risk alerts and its risk grade with the factors (null until it has a verdict)."""
    return trade_with_risk(session=session, runtime=runtime, party=party, trade_id=trade_id)


@router.get("/{trade_id}/verdict", response_model=VerdictPublic)
def read_verdict(trade_id: str, session: SessionDep, party: PartyDep) -> VerdictPublic:
    """The three-document verdict with every failed rule (rule, field, expected, actual)."""
    trade = queries.require_visible(session=session, party=party, trade_id=trade_id)
    return service.verdict_public(session=session, trade=trade)
