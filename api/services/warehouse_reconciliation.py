"""A warehouse's reconciliation: declared against received, the stock balance, receipts
against stock, and sales against the declared export value (see :mod:`api.services.warehouse`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlmodel import Session

from api.db.models import PartyRecord, utcnow
from api.db.warehouse_models import WarehouseReceiptRecord, WarehouseStockEntryRecord
from api.money import FEN, to_fen
from api.runtime import Runtime
from api.services.warehouse_declarations import (
    DeclaredLine,
    LotKey,
    declarations,
    quantity_text,
    require_warehouse,
)
from api.services.warehouse_ledger import MOVEMENTS, OUT_MOVEMENTS
from api.services.warehouse_stock import (
    ReaderScope,
    StockRow,
    ledger_entries,
    live_receipts,
    reader_scope,
    stock_rows,
)


def _document_json(line: DeclaredLine) -> dict[str, Any]:
    return {
        "contentHash": line.content_hash,
        "orderHash": line.order_hash,
        "invtNo": line.invt_no,
        "orderNo": line.order_no,
        "tradeId": line.trade_id,
        "gnum": line.gnum,
        "barCode": line.bar_code,
        "quantity": quantity_text(line.quantity),
        "value": to_fen(line.value),
        "currency": line.currency,
    }


def _event_json(entry: WarehouseStockEntryRecord, event_id: str) -> dict[str, Any]:
    return {
        "eventHash": entry.event_hash,
        "eventID": event_id,
        "movement": entry.movement,
        "gtin": entry.gtin,
        "lot": entry.lot or None,
        "quantity": quantity_text(Decimal(entry.quantity)),
        "eventTime": entry.event_time.isoformat(),
    }


def _receipt_ref(receipt: WarehouseReceiptRecord) -> dict[str, Any]:
    return {
        "receiptId": receipt.receipt_id,
        "receiptNo": receipt.receipt_no,
        "recordHash": receipt.record_hash,
        "quantity": quantity_text(Decimal(receipt.quantity)),
    }


def _difference(
    kind: str,
    gtin: str,
    lot: str | None,
    *,
    expected: Decimal,
    actual: Decimal,
    documents: Iterable[DeclaredLine] = (),
    events: Iterable[tuple[WarehouseStockEntryRecord, str]] = (),
    receipts: Iterable[WarehouseReceiptRecord] = (),
    note: str,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "gtin": gtin,
        "lot": lot or None,
        "expected": quantity_text(expected),
        "actual": quantity_text(actual),
        "difference": quantity_text(actual - expected),
        "note": note,
        "documents": [_document_json(d) for d in documents],
        "events": [_event_json(e, i) for e, i in events],
        "receipts": [_receipt_ref(r) for r in receipts],
    }


def _declared_vs_received(
    declared: list[DeclaredLine], entries: list[tuple[WarehouseStockEntryRecord, str]]
) -> list[dict[str, Any]]:
    """Per GTIN (a declaration need not name the lot): declared quantity against received."""
    out = []
    by_gtin: dict[str, list[DeclaredLine]] = defaultdict(list)
    for line in declared:
        if line.gtin is not None:
            by_gtin[line.gtin].append(line)
    receipts: dict[str, list[tuple[WarehouseStockEntryRecord, str]]] = defaultdict(list)
    for entry, event_id in entries:
        if entry.movement == "received":
            receipts[entry.gtin].append((entry, event_id))
    for gtin in sorted(set(by_gtin) | set(receipts)):
        sent = sum((d.quantity for d in by_gtin[gtin]), Decimal(0))
        got = sum((Decimal(e.quantity) for e, _ in receipts[gtin]), Decimal(0))
        if sent == got:
            continue
        kind = "shortfall" if got < sent else "undeclared_receipt"
        note = (
            "the 9810 inventories declared more than the warehouse recorded receiving"
            if got < sent
            else "the warehouse recorded receiving more than any released 9810 inventory "
            "declared to it"
        )
        out.append(
            _difference(
                kind,
                gtin,
                None,
                expected=sent,
                actual=got,
                documents=by_gtin[gtin],
                events=receipts[gtin],
                note=note,
            )
        )
    return out


def _balance(
    rows: dict[LotKey, StockRow],
    entries: list[tuple[WarehouseStockEntryRecord, str]],
    receipts: list[WarehouseReceiptRecord],
) -> list[dict[str, Any]]:
    """Per lot: more out than in, and stock that left while a live receipt covered it."""
    out = []
    for (gtin, lot), row in sorted(rows.items()):
        events = [(e, i) for e, i in entries if (e.gtin, e.lot) == (gtin, lot)]
        moving = [(e, i) for e, i in events if e.movement != "stored"]
        inward = row.moved["received"] + row.moved["returned"]
        outward = sum((row.moved[m] for m in OUT_MOVEMENTS), Decimal(0))
        if outward > inward:
            out.append(
                _difference(
                    "negative_stock",
                    gtin,
                    lot,
                    expected=inward,
                    actual=outward,
                    events=moving,
                    note="shipped out, sold and destroyed exceed received and returned",
                )
            )
        covered = [r for r in receipts if (r.gtin, r.lot) == (gtin, lot)]
        if row.encumbered > max(row.on_hand, Decimal(0)):
            out.append(
                _difference(
                    "encumbered_stock_moved",
                    gtin,
                    lot,
                    expected=row.encumbered,
                    actual=row.on_hand,
                    events=[(e, i) for e, i in moving if e.movement in OUT_MOVEMENTS],
                    receipts=covered,
                    note="stock under live warehouse receipts left the warehouse: on hand is "
                    "below what the receipts cover",
                )
            )
    return out


def _sales(
    declared: list[DeclaredLine], rows: dict[LotKey, StockRow], scope: ReaderScope
) -> list[dict[str, Any]]:
    """Per GTIN and currency: what left the warehouse, valued at the declared export price."""
    sent: dict[tuple[str, str], list[DeclaredLine]] = defaultdict(list)
    for line in declared:
        if line.gtin is not None and scope.shows(line.gtin):
            sent[line.gtin, line.currency].append(line)
    moved: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for (gtin, _lot), row in rows.items():
        for movement in MOVEMENTS:
            moved[gtin][movement] += row.moved[movement]
    out = []
    for (gtin, currency), lines in sorted(sent.items()):
        quantity = sum((d.quantity for d in lines), Decimal(0))
        value = sum((d.value for d in lines), Decimal(0))
        unit = value / quantity if quantity else Decimal(0)
        sold, shipped = moved[gtin]["sold"], moved[gtin]["shipped"]
        left = sold + shipped + moved[gtin]["destroyed"] - moved[gtin]["returned"]
        out.append(
            {
                "gtin": gtin,
                "currency": currency,
                "declaredQuantity": quantity_text(quantity),
                "declaredValue": to_fen(value),
                "soldQuantity": quantity_text(sold),
                "soldValue": to_fen((sold * unit).quantize(FEN, rounding=ROUND_HALF_UP)),
                "shippedOutQuantity": quantity_text(shipped),
                "shippedOutValue": to_fen((shipped * unit).quantize(FEN, rounding=ROUND_HALF_UP)),
                "remainingValue": to_fen(
                    ((quantity - left) * unit).quantize(FEN, rounding=ROUND_HALF_UP)
                ),
                "exceedsDeclared": left > quantity,
                "documents": sorted({d.content_hash for d in lines}),
            }
        )
    return out


def reconciliation(
    *, session: Session, runtime: Runtime, party: PartyRecord, code: str
) -> dict[str, Any]:
    """``GET /warehouses/{code}/reconciliation``: the differences between what the 9810
    declarations sent and what the warehouse's events say, each with the documents
    (content hashes, inventory numbers) and events (event hashes) behind it, and the
    sales out of the warehouse against the declared export value."""
    warehouse = require_warehouse(session, code)
    declared = declarations(session, warehouse)
    scope = reader_scope(session, runtime, party, warehouse, declared)
    entries = ledger_entries(session, code)
    receipts = live_receipts(session, code)
    rows = stock_rows(declared, entries, receipts)
    differences = _declared_vs_received(declared, entries) + _balance(rows, entries, receipts)
    differences += [
        {
            "kind": "unreadable_barcode",
            "gtin": None,
            "lot": None,
            "note": "the inventory line's barCode names no valid GTIN: its goods cannot be "
            "matched to the warehouse's events",
            "documents": [_document_json(d)],
            "events": [],
            "receipts": [],
        }
        for d in declared
        if d.gtin is None and scope.gtins is None
    ]
    shown = [d for d in differences if d["gtin"] is None or scope.shows(d["gtin"])]
    return {
        "warehouse": code,
        "balanced": not shown,
        "differences": shown,
        "sales": _sales(declared, rows, scope),
        "asOf": utcnow().isoformat(),
    }


# --- issuing and cancelling receipts ------------------------------------------------------------
