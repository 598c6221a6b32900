"""Typed financing by banks: order, receivable, warehouse-receipt pledge and tax-refund
pledge lines, opened, drawn, repaid and closed on the LifecycleRegistry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from api.financing_schemas import (
    FinancingMovementCreate,
    TypedFinancingCreate,
    TypedFinancingPublic,
)
from api.services import financing_reads, typed_financing
from api.web.deps import BankDep, RuntimeDep, SessionDep, WriteLimit
from api.web.errors import ErrorBodyResponses

#: The contract's financing ids are uint32, from 1.
FinancingId = Annotated[int, Path(ge=1, le=2**32 - 1, description="The contract's financing id.")]

router = APIRouter(
    prefix="/banks/financings",
    tags=["banks"],
    responses=ErrorBodyResponses,
    dependencies=[WriteLimit],
)


@router.post("", response_model=TypedFinancingPublic, status_code=status.HTTP_201_CREATED)
def open_financing(
    body: TypedFinancingCreate, session: SessionDep, runtime: RuntimeDep, party: BankDep
) -> TypedFinancingPublic:
    """Open a typed financing line on a trade or a warehouse receipt (one live per subject)."""
    return typed_financing.open_financing(
        session=session,
        runtime=runtime,
        party=party,
        kind=body.kind,
        subject=body.subject,
        limit=body.limit,
        currency=body.currency,
        terms=body.terms,
        verdict_hash=body.verdict_hash,
    )


@router.get("/{financing_id}", response_model=TypedFinancingPublic)
def read_financing(
    financing_id: FinancingId, session: SessionDep, runtime: RuntimeDep, party: BankDep
) -> TypedFinancingPublic:
    """Your financing line: its movements and the chain's state of it."""
    return financing_reads.financing_public(
        session=session, runtime=runtime, party=party, financing_id=financing_id
    )


@router.post("/{financing_id}/drawdowns", response_model=TypedFinancingPublic)
def draw(
    financing_id: FinancingId,
    body: FinancingMovementCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    party: BankDep,
) -> TypedFinancingPublic:
    """Draw part of your line; the drawn total stays within its limit."""
    return typed_financing.draw(
        session=session,
        runtime=runtime,
        party=party,
        financing_id=financing_id,
        amount=body.amount,
        reference=body.reference,
    )


@router.post("/{financing_id}/repayments", response_model=TypedFinancingPublic)
def repay(
    financing_id: FinancingId,
    body: FinancingMovementCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    party: BankDep,
) -> TypedFinancingPublic:
    """Repay part of what is outstanding on your line."""
    return typed_financing.repay(
        session=session,
        runtime=runtime,
        party=party,
        financing_id=financing_id,
        amount=body.amount,
        reference=body.reference,
    )


@router.post("/{financing_id}/close", response_model=TypedFinancingPublic)
def close(
    financing_id: FinancingId, session: SessionDep, runtime: RuntimeDep, party: BankDep
) -> TypedFinancingPublic:
    """Close your line once nothing is outstanding: the trade or receipt is free again."""
    return typed_financing.close(
        session=session, runtime=runtime, party=party, financing_id=financing_id
    )
