"""Banks: authenticity bundle, settlement confirmation, financing registration."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from api.schemas import (
    ChainReceipt,
    FinancingCreate,
    FinancingPublic,
    SettlementCreate,
    SignedAuthorization,
    SignedFinancing,
    SignedSettlement,
)
from api.services import bundle, chain_actions, self_custody
from api.web.deps import BankDep, RuntimeDep, SessionDep, TradeDep, WriteLimit
from api.web.errors import ErrorBodyResponses

router = APIRouter(
    prefix="/banks", tags=["banks"], responses=ErrorBodyResponses, dependencies=[WriteLimit]
)


@router.get("/trades/{trade_id}/bundle")
def authenticity_bundle(
    session: SessionDep, runtime: RuntimeDep, _party: BankDep, trade: TradeDep
) -> dict[str, Any]:
    """Everything needed to prove the trade against the chain alone (`sandan verify`)."""
    return bundle.build_bundle(session=session, runtime=runtime, trade=trade)


@router.post("/trades/{trade_id}/settlement", response_model=ChainReceipt)
def confirm_settlement(
    body: SettlementCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    party: BankDep,
    trade: TradeDep,
) -> ChainReceipt:
    """Confirm settlement (收结汇) of a released trade; recorded on chain by the bank."""
    return chain_actions.settle(
        session=session,
        runtime=runtime,
        party=party,
        trade=trade,
        reference=body.settlement_ref,
        verdict_hash=body.verdict_hash,
    )


@router.post(
    "/trades/{trade_id}/financing",
    response_model=FinancingPublic,
    status_code=status.HTTP_201_CREATED,
)
def register_financing(
    body: FinancingCreate, session: SessionDep, runtime: RuntimeDep, party: BankDep, trade: TradeDep
) -> FinancingPublic:
    """Register financing of a matched trade (one live financing per trade, typed or not)."""
    return chain_actions.finance(
        session=session,
        runtime=runtime,
        party=party,
        trade=trade,
        terms=body.terms,
        verdict_hash=body.verdict_hash,
    )


@router.post("/trades/{trade_id}/financing/discharge", response_model=ChainReceipt)
def discharge_financing(
    session: SessionDep, runtime: RuntimeDep, party: BankDep, trade: TradeDep
) -> ChainReceipt:
    """Discharge your financing of a trade, so it may be financed again."""
    return chain_actions.discharge(session=session, runtime=runtime, party=party, trade=trade)


@router.post("/trades/{trade_id}/settlement/signed", response_model=ChainReceipt)
def confirm_settlement_signed(
    body: SignedSettlement,
    session: SessionDep,
    runtime: RuntimeDep,
    party: BankDep,
    trade: TradeDep,
) -> ChainReceipt:
    """Relay a settlement confirmation the bank signed with its own key."""
    return self_custody.settle(
        session=session, runtime=runtime, party=party, trade=trade, body=body
    )


@router.post("/trades/{trade_id}/financing/signed", response_model=ChainReceipt)
def register_financing_signed(
    body: SignedFinancing, session: SessionDep, runtime: RuntimeDep, party: BankDep, trade: TradeDep
) -> ChainReceipt:
    """Relay a financing registration the bank signed with its own key."""
    return self_custody.finance(
        session=session, runtime=runtime, party=party, trade=trade, body=body
    )


@router.post("/trades/{trade_id}/financing/discharge/signed", response_model=ChainReceipt)
def discharge_financing_signed(
    body: SignedAuthorization,
    session: SessionDep,
    runtime: RuntimeDep,
    party: BankDep,
    trade: TradeDep,
) -> ChainReceipt:
    """Relay a discharge the bank signed with its own key."""
    return self_custody.discharge(
        session=session, runtime=runtime, party=party, trade=trade, body=body
    )
