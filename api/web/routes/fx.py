"""Foreign-exchange settlement (收结汇): banks record settlements on verified trades, one
trade or many at once (netting); the individuals' annual facilitation quota view."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from api.fx_schemas import (
    FxQuotaLookup,
    FxQuotaPublic,
    FxQuotasPublic,
    FxSettlementCreate,
    FxSettlementPublic,
    FxSettlementsPublic,
)
from api.services import fx_settlement
from api.web.deps import BankDep, PartyDep, RuntimeDep, SessionDep, SettingsDep, WriteLimit
from api.web.errors import ErrorBodyResponses

router = APIRouter(tags=["fx"], responses=ErrorBodyResponses, dependencies=[WriteLimit])

YearQuery = Annotated[
    int | None,
    Query(
        ge=2000, le=2999, description="The calendar year of the value dates; this year if unset."
    ),
]


@router.post(
    "/banks/fx-settlements", response_model=FxSettlementPublic, status_code=status.HTTP_201_CREATED
)
def record_settlement(
    body: FxSettlementCreate, session: SessionDep, runtime: RuntimeDep, party: BankDep
) -> FxSettlementPublic:
    """Record foreign exchange the bank settled on released, matched trades.

    `rate` is units of each trade's currency per one unit of `currency`; each trade's
    share converts as `amount x rate`, rounded half up to the cent. Each trade's settled
    total stays within the lesser of its declared value and its payment, less accepted
    returns (409 `fx_over_trade` naming the trade and the numbers). Many trades in one
    settlement (轧差结算) are all settled or none. Committed on chain (LifecycleRegistry
    `recordFxSettlement`) by the bank's own account; the account is kept only as a keyed
    hash."""
    return fx_settlement.settle(
        session=session,
        runtime=runtime,
        party=party,
        amount=body.amount,
        currency=body.currency,
        rate=body.rate,
        account=body.account,
        value_date=body.value_date,
        trades=[(t.trade_id, t.amount) for t in body.trades],
        reference=body.reference,
    )


@router.get("/banks/fx-settlements", response_model=FxSettlementsPublic)
def list_settlements(
    session: SessionDep,
    party: PartyDep,
    trade_id: Annotated[str | None, Query(alias="tradeId", pattern=r"^[0-9a-fA-F]{64}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> FxSettlementsPublic:
    """Settlements, newest first: a bank's own, those on the caller's own trades, or (the
    regulator) all."""
    return fx_settlement.list_settlements(
        session=session, party=party, trade_id=trade_id, limit=limit, offset=offset
    )


@router.get("/banks/fx-settlements/{settlement_id}", response_model=FxSettlementPublic)
def read_settlement(
    session: SessionDep,
    party: PartyDep,
    settlement_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> FxSettlementPublic:
    """One settlement: for the bank that made it, the parties of its trades and the
    regulator (404 for anyone else)."""
    return fx_settlement.get_settlement(session=session, party=party, settlement_id=settlement_id)


@router.get("/banks/fx-quota", response_model=FxQuotasPublic)
def bank_customers_quota(
    session: SessionDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    party: BankDep,
    year: YearQuery = None,
) -> FxQuotasPublic:
    """The annual quota view of each individual the bank settled for in the year."""
    return fx_settlement.quota_of_bank_customers(
        session=session,
        runtime=runtime,
        party=party,
        year=year or datetime.now(settings.zone).year,
    )


@router.get("/fx/quota/{individual}", response_model=FxQuotaPublic)
def individual_quota(
    session: SessionDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    party: PartyDep,
    individual: Annotated[
        str,
        Path(
            pattern=r"^[0-9a-fA-F]{64}$",
            description="The individual's keyed hash, as settlements show it (`individual`).",
        ),
    ],
    year: YearQuery = None,
) -> FxQuotaPublic:
    """An individual's year against the annual FX facilitation quota
    (`SANDAN_FX_INDIVIDUAL_QUOTA_USD`): settlements on verified e-commerce trades are shown
    apart, not counted. Banks and the regulator; a bank sees other banks' entries without
    their name."""
    return fx_settlement.quota_of_individual(
        session=session,
        runtime=runtime,
        party=party,
        individual=individual,
        year=year or datetime.now(settings.zone).year,
    )


@router.post("/fx/quota/lookup", response_model=FxQuotaPublic)
def individual_quota_by_id_number(
    body: FxQuotaLookup,
    session: SessionDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    party: PartyDep,
) -> FxQuotaPublic:
    """`GET /fx/quota/{individual}` of the individual with this ID number (sent in the body,
    not the URL; only its keyed hash is looked up): what a bank asks of a new customer."""
    return fx_settlement.quota_of_id_number(
        session=session,
        runtime=runtime,
        party=party,
        id_number=body.id_number,
        year=body.year or datetime.now(settings.zone).year,
    )
