"""Typed financing as a bank reads it: its lines, their movements and the chain's state,
and the amounts in minor units shown as decimal text."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, col, select

from api.db.financing_models import FinancingMovementRecord, TypedFinancingRecord
from api.db.models import PartyRecord
from api.errors import NotFound, PermissionDenied
from api.financing_schemas import (
    FinancingChainState,
    FinancingKindName,
    FinancingMovementPublic,
    TypedFinancingPublic,
)
from api.runtime import Runtime
from api.services.lifecycle_chain import from_minor_units
from api.services.live_financing import receipt_subject
from ledger_client import FinancingKind

__all__ = [
    "CHAIN_KIND",
    "KIND_NAMES",
    "amount_text",
    "financing_public",
    "lines_on_trade",
    "receipt_lines",
]

CHAIN_KIND: dict[FinancingKindName, FinancingKind] = {
    "order": FinancingKind.ORDER,
    "receivable": FinancingKind.RECEIVABLE,
    "warehouseReceipt": FinancingKind.WAREHOUSE_RECEIPT,
    "taxRefundPledge": FinancingKind.TAX_REFUND_PLEDGE,
}
#: The API's name of each chain kind.
KIND_NAMES: dict[FinancingKind, FinancingKindName] = {c: n for n, c in CHAIN_KIND.items()}


def amount_text(minor: int, currency: str) -> str:
    """``minor`` units of ``currency`` as a decimal string (``123.40``)."""
    return str(from_minor_units(minor, currency))


def receipt_lines(
    *, session: Session, runtime: Runtime, party: PartyRecord
) -> list[TypedFinancingPublic]:
    """The bank's own warehouse-receipt pledges, newest first (without the chain's state)."""
    return _lines(session, runtime, party, col(TypedFinancingRecord.receipt_id).is_not(None))


def lines_on_trade(
    *, session: Session, runtime: Runtime, party: PartyRecord, trade_id: str
) -> list[TypedFinancingPublic]:
    """The bank's own typed lines on a trade, newest first (without the chain's state)."""
    return _lines(session, runtime, party, TypedFinancingRecord.trade_id == trade_id)


def _lines(
    session: Session, runtime: Runtime, party: PartyRecord, which: Any
) -> list[TypedFinancingPublic]:
    ids = session.exec(
        select(TypedFinancingRecord.financing_id)
        .where(which, TypedFinancingRecord.bank_code == party.code)
        .order_by(col(TypedFinancingRecord.financing_id).desc())
        .limit(100)
    ).all()
    return [
        financing_public(
            session=session, runtime=runtime, party=party, financing_id=i, with_chain=False
        )
        for i in ids
    ]


def financing_public(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    financing_id: int,
    with_chain: bool = True,
) -> TypedFinancingPublic:
    """The line, its movements and the chain's state of it, for the bank that opened it."""
    record = session.get(TypedFinancingRecord, financing_id)
    if record is None:
        raise NotFound(f"no typed financing {financing_id}", field="financingId")
    if record.bank_code != party.code:
        raise PermissionDenied(
            f"financing {financing_id} was opened by {record.bank_code}; its terms are that bank's",
            code="not_financier",
            extra={"financedBy": record.bank_code},
        )
    movements = session.exec(
        select(FinancingMovementRecord)
        .where(FinancingMovementRecord.financing_id == financing_id)
        .order_by(col(FinancingMovementRecord.id))
    ).all()
    currency = record.currency
    return TypedFinancingPublic(
        financing_id=record.financing_id,
        kind=record.kind,
        subject=record.subject,
        trade_id=record.trade_id,
        receipt_id=record.receipt_id,
        bank=record.bank_code,
        currency=currency,
        limit=amount_text(record.limit_minor, currency),
        drawn=amount_text(record.drawn_minor, currency),
        outstanding=amount_text(record.outstanding_minor, currency),
        terms=json.loads(record.terms),
        terms_hash=record.terms_hash,
        state=record.state,
        opened_at=record.opened_at,
        closed_at=record.closed_at,
        movements=[
            FinancingMovementPublic(
                kind=m.kind,
                amount=None if m.amount_minor is None else amount_text(m.amount_minor, currency),
                reference=m.reference,
                outstanding=amount_text(m.outstanding_minor, currency),
                tx_hash=m.tx_hash,
                block_number=m.block_number,
                at=m.at,
            )
            for m in movements
        ],
        chain=_chain_state(runtime, record) if with_chain else None,
    )


def _chain_state(runtime: Runtime, record: TypedFinancingRecord) -> FinancingChainState | None:
    lifecycle = runtime.ledger().lifecycle()
    held = lifecycle.financing_of(record.financing_id)
    if held is None:  # a database restored onto another chain: nothing to show
        return None
    receipt_state = None
    if record.receipt_id is not None:
        receipt = lifecycle.warehouse_receipt_of(receipt_subject(record.receipt_id))
        receipt_state = receipt.state.name.title() if receipt is not None else None
    currency = record.currency
    return FinancingChainState(
        bank_address=str(held.bank),
        kind=KIND_NAMES[held.kind],
        subject=bytes(held.subject).hex(),
        limit=amount_text(held.limit, currency),
        drawn=amount_text(held.drawn, currency),
        outstanding=amount_text(held.outstanding, currency),
        terms_hash=bytes(held.terms_hash).hex(),
        open=held.open,
        receipt_state=receipt_state,
    )
