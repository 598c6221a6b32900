"""Overseas warehouses (9810): stock, reconciliation and warehouse receipts (仓单).

Reading a warehouse's stock and reconciliation: the warehouse, the owners of goods in it,
banks financing its receipts, customs and the regulator (see :mod:`api.services.warehouse`).
Issuing and cancelling receipts: the warehouse itself.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, status

from api.db.models import PartyRecord
from api.services import warehouse
from api.warehouse_schemas import ReceiptCancel, ReceiptCreate
from api.web.deps import PartyDep, RuntimeDep, SessionDep, WriteLimit, require_role
from api.web.errors import ErrorBodyResponses

router = APIRouter(
    prefix="/warehouses",
    tags=["warehouses"],
    responses=ErrorBodyResponses,
    dependencies=[WriteLimit],
)
WarehouseDep = Annotated[PartyRecord, Depends(require_role("warehouse"))]


@router.get("/{code}/stock")
def warehouse_stock(
    code: str, session: SessionDep, runtime: RuntimeDep, party: PartyDep
) -> dict[str, Any]:
    """Per GTIN and lot: declared in (released 9810 inventories), received, stored, shipped
    out, sold, returned, destroyed, on hand, and what live receipts encumber."""
    return warehouse.stock(session=session, runtime=runtime, party=party, code=code)


@router.get("/{code}/reconciliation")
def warehouse_reconciliation(
    code: str, session: SessionDep, runtime: RuntimeDep, party: PartyDep
) -> dict[str, Any]:
    """Declared against received, the stock balance and receipts against stock, and sales
    against the declared export value; each difference with its documents and events."""
    return warehouse.reconciliation(session=session, runtime=runtime, party=party, code=code)


@router.post("/{code}/receipts", status_code=status.HTTP_201_CREATED)
def issue_receipt(
    code: str, body: ReceiptCreate, session: SessionDep, runtime: RuntimeDep, party: WarehouseDep
) -> dict[str, Any]:
    """Issue a warehouse receipt over unencumbered stock (the warehouse only); recorded on
    the LifecycleRegistry."""
    return warehouse.issue_receipt(
        session=session, runtime=runtime, party=party, code=code, receipt_in=body
    )


@router.get("/{code}/receipts/{receipt_id}")
def show_receipt(
    code: str, receipt_id: str, session: SessionDep, runtime: RuntimeDep, party: PartyDep
) -> dict[str, Any]:
    """A receipt's record and its state on chain (Issued, Pledged, Cancelled)."""
    return warehouse.show_receipt(
        session=session, runtime=runtime, party=party, code=code, receipt_id=receipt_id
    )


@router.post("/{code}/receipts/{receipt_id}/cancel")
def cancel_receipt(
    code: str,
    receipt_id: str,
    body: ReceiptCancel,
    session: SessionDep,
    runtime: RuntimeDep,
    party: WarehouseDep,
) -> dict[str, Any]:
    """Cancel a receipt (the warehouse only); the chain refuses while it is pledged."""
    return warehouse.cancel_receipt(
        session=session,
        runtime=runtime,
        party=party,
        code=code,
        receipt_id=receipt_id,
        reason=body.reason,
    )
