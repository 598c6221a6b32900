"""Warehouse receipts (仓单): issued by the warehouse over unencumbered stock, recorded on the
LifecycleRegistry, cancelled unless pledged (see :mod:`api.services.warehouse`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from eth_utils.crypto import keccak
from sqlmodel import Session, select

from api.db.models import PartyRecord, utcnow
from api.db.warehouse_models import WarehouseReceiptRecord
from api.errors import Conflict, NotFound, PermissionDenied, UnprocessableContent
from api.money import to_fen
from api.runtime import Runtime
from api.services.lifecycle_chain import lifecycle_conflict, minor_units
from api.services.warehouse_declarations import (
    declarations,
    gtin_and_lot,
    quantity_text,
    require_warehouse,
    warehouse_id,
)
from api.services.warehouse_stock import ledger_entries, live_receipts, reader_scope, stock_rows
from api.warehouse_schemas import ReceiptCreate
from ledger_client import ContractReverted, LifecycleRegistryClient, ReceiptState
from ledger_client import WarehouseReceipt as ChainReceipt
from traceability import canonical_json, content_hash


@dataclass(frozen=True)
class WarehouseReceipt:
    """A warehouse receipt as sandan recorded it (the chain's state: :func:`show_receipt`)."""

    receipt_id: str  # bytes32 hex, the chain's receiptId
    warehouse_code: str
    receipt_no: str
    owner_code: str
    gtin: str
    lot: str
    quantity: Decimal
    value: Decimal
    currency: str
    chain_value: int  # minor units, as the chain holds it
    record_hash: str
    cancelled: bool

    @classmethod
    def of(cls, row: WarehouseReceiptRecord) -> WarehouseReceipt:
        """The receipt of a stored row."""
        return cls(
            receipt_id=row.receipt_id,
            warehouse_code=row.warehouse_code,
            receipt_no=row.receipt_no,
            owner_code=row.owner_code,
            gtin=row.gtin,
            lot=row.lot,
            quantity=Decimal(row.quantity),
            value=Decimal(row.value),
            currency=row.currency,
            chain_value=row.chain_value,
            record_hash=row.record_hash,
            cancelled=row.cancelled_at is not None,
        )


def receipt_of(session: Session, receipt_id: str) -> WarehouseReceipt:
    """The receipt ``receipt_id`` (64 hex digits, with or without 0x), or 404."""
    key = receipt_id.lower().removeprefix("0x")
    row = session.get(WarehouseReceiptRecord, key) if re.fullmatch(r"[0-9a-f]{64}", key) else None
    if row is None:
        raise NotFound(f"no warehouse receipt {receipt_id}", field="receiptId")
    return WarehouseReceipt.of(row)


def _require_own_warehouse(session: Session, party: PartyRecord, code: str) -> PartyRecord:
    warehouse = require_warehouse(session, code)
    if party.code != code:
        raise PermissionDenied(
            f"only warehouse {code} issues and cancels its receipts, not {party.code}",
            field="code",
            code="not_the_warehouse",
        )
    return warehouse


def _positive(text: str, name: str) -> Decimal:
    value = Decimal(text)
    if value <= 0:
        raise UnprocessableContent(f"{name} must be more than zero", field=name)
    return value


def receipt_record(
    receipt: ReceiptCreate, *, warehouse: str, issued_at: str, quantity: Decimal, value: Decimal
) -> dict[str, Any]:
    """The canonical receipt record whose content hash the chain holds."""
    return {
        "type": "sandan.warehouseReceipt",
        "version": 1,
        "warehouse": warehouse,
        "receiptNo": receipt.receipt_no,
        "owner": receipt.owner,
        "gtin": receipt.gtin,
        "lot": receipt.lot or "",
        "quantity": quantity_text(quantity),
        "value": to_fen(value),
        "currency": receipt.currency,
        "issuedAt": issued_at,
    }


def lifecycle(runtime: Runtime) -> LifecycleRegistryClient:
    """The LifecycleRegistry client as the anchorer: sandan relays the warehouse's record."""
    return runtime.ledger().lifecycle()


def _receipt_id(code: str, receipt_no: str) -> bytes:
    # One id per (warehouse, its receipt number): issuing the same receipt twice collides.
    return keccak(text=f"sandan:warehouse-receipt:{code}:{receipt_no}")


@dataclass(frozen=True)
class _Checked:
    """A receipt request that passed every check, in the chain's terms."""

    quantity: Decimal
    value: Decimal
    chain_value: int  # minor units of the currency
    lot: str


def _check_fields(session: Session, receipt_in: ReceiptCreate) -> _Checked:
    """422 naming the field: quantity and value above zero, the value in the currency's
    minor units, a GTIN with its check digit, an owner that is a registered party."""
    quantity = _positive(receipt_in.quantity, "quantity")
    value = _positive(receipt_in.value, "value")
    try:
        chain_value = minor_units(value, receipt_in.currency)
    except ValueError as exc:
        raise UnprocessableContent(str(exc), field="value") from exc
    if gtin_and_lot(receipt_in.gtin) is None:
        raise UnprocessableContent(
            f"{receipt_in.gtin} is not a valid GTIN (check digit)", field="gtin"
        )
    if session.get(PartyRecord, receipt_in.owner) is None:
        raise UnprocessableContent(f"no party {receipt_in.owner!r}", field="owner")
    return _Checked(quantity, value, chain_value, receipt_in.lot or "")


def _check_stock(
    session: Session, warehouse: PartyRecord, receipt_in: ReceiptCreate, checked: _Checked
) -> None:
    """409: an owner that sent no such goods, a receipt number used before, or a quantity
    beyond the lot's unencumbered stock."""
    code, gtin, lot = warehouse.code, receipt_in.gtin, checked.lot
    declared = declarations(session, warehouse)
    owners = {d.exporter for d in declared if d.gtin == gtin}
    if receipt_in.owner not in owners:
        raise Conflict(
            f"party {receipt_in.owner} declared no goods of GTIN {gtin} into warehouse {code} "
            f"(9810 exporters of it: {', '.join(sorted(owners)) or 'none'})",
            field="owner",
            code="owner_not_declared",
        )
    used = select(WarehouseReceiptRecord.receipt_id).where(
        WarehouseReceiptRecord.warehouse_code == code,
        WarehouseReceiptRecord.receipt_no == receipt_in.receipt_no,
    )
    if session.exec(used).first():
        raise Conflict(
            f"receipt {receipt_in.receipt_no} was already issued",
            field="receiptNo",
            code="receipt_exists",
        )
    row = stock_rows(declared, ledger_entries(session, code), live_receipts(session, code))[
        gtin, lot
    ]
    free = row.on_hand - row.encumbered
    if checked.quantity > free:
        raise Conflict(
            f"quantity {quantity_text(checked.quantity)} exceeds the unencumbered stock of GTIN "
            f"{gtin} lot {lot or '(none)'}: {quantity_text(max(free, Decimal(0)))} (on hand "
            f"{quantity_text(row.on_hand)}, under live receipts {quantity_text(row.encumbered)})",
            field="quantity",
            code="exceeds_unencumbered_stock",
        )


def issue_receipt(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    code: str,
    receipt_in: ReceiptCreate,
) -> dict[str, Any]:
    """``POST /warehouses/{code}/receipts``: the warehouse issues a receipt over unencumbered
    stock it holds for the owner; recorded on the LifecycleRegistry, then stored."""
    warehouse = _require_own_warehouse(session, party, code)
    checked = _check_fields(session, receipt_in)
    # Serialise the warehouse's receipts: two at once must not both use the same stock.
    session.exec(select(PartyRecord).where(PartyRecord.code == code).with_for_update()).one()
    _check_stock(session, warehouse, receipt_in, checked)
    now = utcnow()
    record = receipt_record(
        receipt_in,
        warehouse=code,
        issued_at=now.isoformat(),
        quantity=checked.quantity,
        value=checked.value,
    )
    record_hash = content_hash(record, runtime.digest)
    receipt_id = _receipt_id(code, receipt_in.receipt_no)
    try:
        result = lifecycle(runtime).issue_warehouse_receipt(
            receipt_id, warehouse_id(code), record_hash, checked.chain_value
        )
    except ContractReverted as exc:
        raise _refused(exc, field="receiptNo") from exc
    # The chain has the receipt: the row mirrors what it recorded.
    session.add(
        WarehouseReceiptRecord(
            receipt_id=receipt_id.hex(),
            warehouse_code=code,
            receipt_no=receipt_in.receipt_no,
            owner_code=receipt_in.owner,
            gtin=receipt_in.gtin,
            lot=checked.lot,
            quantity=quantity_text(checked.quantity),
            value=to_fen(checked.value),
            currency=receipt_in.currency,
            chain_value=checked.chain_value,
            record=canonical_json(record).decode(),
            record_hash=record_hash.hex(),
            issue_tx=result.tx_hash,
            issue_block=result.block_number,
            issued_at=now,
        )
    )
    session.commit()
    return show_receipt(
        session=session, runtime=runtime, party=party, code=code, receipt_id=receipt_id.hex()
    )


def cancel_receipt(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    code: str,
    receipt_id: str,
    reason: str,
) -> dict[str, Any]:
    """``POST /warehouses/{code}/receipts/{id}/cancel``: the warehouse cancels a receipt;
    the chain refuses while a bank holds it pledged (409 with the chain's reason)."""
    _require_own_warehouse(session, party, code)
    receipt = _own_receipt(session, code, receipt_id)
    row = session.get(WarehouseReceiptRecord, receipt.receipt_id)
    assert row is not None
    if row.cancelled_at is not None:
        return show_receipt(
            session=session, runtime=runtime, party=party, code=code, receipt_id=row.receipt_id
        )
    reason_hash = content_hash({"receiptId": row.receipt_id, "reason": reason}, runtime.digest)
    try:
        result = lifecycle(runtime).cancel_warehouse_receipt(
            bytes.fromhex(row.receipt_id), reason_hash
        )
    except ContractReverted as exc:
        raise _refused(exc, field="receiptId") from exc
    row.cancelled_at = utcnow()
    row.cancel_reason = reason
    row.cancel_reason_hash = reason_hash.hex()
    row.cancel_tx = result.tx_hash
    session.add(row)
    session.commit()
    return show_receipt(
        session=session, runtime=runtime, party=party, code=code, receipt_id=row.receipt_id
    )


def _refused(exc: ContractReverted, *, field: str) -> Conflict:
    """The chain's refusal as a 409 naming the field: a pledged receipt is named so."""
    pledged = (
        exc.error_name == "LifecycleRegistryReceiptState"
        and len(exc.args) > 1
        and ReceiptState(int(exc.args[1])) is ReceiptState.PLEDGED
    )
    if pledged:
        return Conflict(
            "the receipt is pledged to a bank on chain: it cannot be cancelled until the "
            "bank closes its financing",
            field=field,
            code="receipt_pledged",
            extra={"contractError": exc.error_name},
        )
    known = lifecycle_conflict(exc)
    return Conflict(
        known.message, field=field, code=known.code, extra={"contractError": exc.error_name}
    )


def _own_receipt(session: Session, code: str, receipt_id: str) -> WarehouseReceipt:
    receipt = receipt_of(session, receipt_id)
    if receipt.warehouse_code != code:
        raise NotFound(f"no receipt {receipt_id} of warehouse {code}", field="receiptId")
    return receipt


def show_receipt(
    *, session: Session, runtime: Runtime, party: PartyRecord, code: str, receipt_id: str
) -> dict[str, Any]:
    """``GET /warehouses/{code}/receipts/{id}``: the receipt record and the chain's state of it
    (Issued, Pledged, Cancelled)."""
    warehouse = require_warehouse(session, code)
    receipt = _own_receipt(session, code, receipt_id)
    if receipt.owner_code != party.code:
        scope = reader_scope(session, runtime, party, warehouse, declarations(session, warehouse))
        if not scope.shows(receipt.gtin):
            raise PermissionDenied(
                f"party {party.code} may not read receipt {receipt.receipt_id}",
                field="receiptId",
                code="not_warehouse_reader",
            )
    row = session.get(WarehouseReceiptRecord, receipt.receipt_id)
    assert row is not None
    on_chain = lifecycle(runtime).warehouse_receipt_of(bytes.fromhex(row.receipt_id))
    return {
        "receiptId": row.receipt_id,
        "receiptNo": row.receipt_no,
        "warehouse": row.warehouse_code,
        "owner": row.owner_code,
        "gtin": row.gtin,
        "lot": row.lot or None,
        "quantity": row.quantity,
        "value": row.value,
        "currency": row.currency,
        "record": json.loads(row.record),
        "recordHash": row.record_hash,
        "issueTx": row.issue_tx,
        "issuedAt": row.issued_at.isoformat(),
        "cancelledAt": row.cancelled_at.isoformat() if row.cancelled_at else None,
        "cancelReason": row.cancel_reason,
        "cancelTx": row.cancel_tx,
        "chain": _chain_state(on_chain),
    }


#: The chain's receipt states as the API names them.
STATE_NAMES: Final = {
    ReceiptState.ISSUED: "Issued",
    ReceiptState.PLEDGED: "Pledged",
    ReceiptState.CANCELLED: "Cancelled",
}


def _chain_state(on_chain: ChainReceipt | None) -> dict[str, Any]:
    """The chain's view of a receipt: its state, value, record hash, warehouse id and the
    financing it is pledged under."""
    if on_chain is None:
        return {"state": "None"}
    return {
        "state": STATE_NAMES.get(on_chain.state, on_chain.state.name.title()),
        "value": on_chain.value,
        "recordHash": bytes(on_chain.record_hash).hex(),
        "warehouseId": bytes(on_chain.warehouse_id).hex(),
        "liveFinancing": on_chain.live_financing,
    }
