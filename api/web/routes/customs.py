"""Customs: releasable trades, release on chain, and the 9610 summary declaration."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.schemas import (
    ChainReceipt,
    ReleaseCreate,
    SignedRelease,
    SummaryDeclaration,
    TradesPublic,
)
from api.services import chain_actions, self_custody, summary
from api.web.deps import CustomsDep, RuntimeDep, SessionDep, TradeDep, WriteLimit
from api.web.errors import ErrorBodyResponses

router = APIRouter(
    prefix="/customs", tags=["customs"], responses=ErrorBodyResponses, dependencies=[WriteLimit]
)


@router.get("/releasable", response_model=TradesPublic)
def list_releasable(
    session: SessionDep,
    party: CustomsDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> TradesPublic:
    """Matched trades whose verdict is anchored and that are not yet released."""
    return chain_actions.releasable(session=session, party=party, limit=limit, offset=offset)


@router.post("/trades/{trade_id}/release", response_model=ChainReceipt)
def release_trade(
    session: SessionDep,
    runtime: RuntimeDep,
    party: CustomsDep,
    trade: TradeDep,
    body: ReleaseCreate | None = None,
) -> ChainReceipt:
    """Release a matched trade (放行) on its current verdict, which names its documents: a
    contract call by customs' own chain account. With `verdictHash`, the release is refused
    (409) unless that is still the trade's verdict."""
    return chain_actions.release(
        session=session,
        runtime=runtime,
        party=party,
        trade=trade,
        verdict_hash=None if body is None else body.verdict_hash,
    )


@router.post("/releases/signed", response_model=list[ChainReceipt])
def release_signed(
    body: SignedRelease, session: SessionDep, runtime: RuntimeDep, party: CustomsDep
) -> list[ChainReceipt]:
    """Relay a release that customs signed with its own key (EIP-712, `sandan authorize
    release`): one signature for a whole batch; sandan never holds the key."""
    return self_custody.release(session=session, runtime=runtime, party=party, body=body)


@router.get("/summary", response_model=SummaryDeclaration)
def summary_declaration(
    session: SessionDep,
    _party: CustomsDep,
    period_start: Annotated[datetime, Query(alias="periodStart")],
    period_end: Annotated[datetime, Query(alias="periodEnd")],
    ebc_code: Annotated[str | None, Query(alias="ebcCode", max_length=64)] = None,
) -> SummaryDeclaration:
    """Released 9610 trades of a period aggregated per company and currency (汇总申报)."""
    return summary.summary_declaration(
        session=session, period_start=period_start, period_end=period_end, ebc_code=ebc_code
    )
