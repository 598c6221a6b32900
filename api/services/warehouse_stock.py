"""A warehouse's stock per GTIN and lot, and who may read it (see :mod:`api.services.warehouse`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from sqlmodel import Session, col, select

from api.db.models import PartyRecord, utcnow
from api.db.trace_models import TraceEventRecord
from api.db.warehouse_models import WarehouseReceiptRecord, WarehouseStockEntryRecord
from api.errors import PermissionDenied
from api.runtime import Runtime
from api.services.parties import party_roles
from api.services.trace.custody import party_locations
from api.services.warehouse_declarations import (
    DeclaredLine,
    LotKey,
    declarations,
    quantity_text,
    require_warehouse,
)
from api.services.warehouse_ledger import IN_MOVEMENTS, OUT_MOVEMENTS

#: Who sees every GTIN of every warehouse.
OVERSIGHT: Final = frozenset({"customs", "regulator"})


def live_receipts(session: Session, code: str) -> list[WarehouseReceiptRecord]:
    return list(
        session.exec(
            select(WarehouseReceiptRecord)
            .where(
                WarehouseReceiptRecord.warehouse_code == code,
                col(WarehouseReceiptRecord.cancelled_at).is_(None),
            )
            .order_by(col(WarehouseReceiptRecord.issued_at))
        ).all()
    )


# --- who may look ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReaderScope:
    """The GTINs a reader sees (None: all of them)."""

    gtins: frozenset[str] | None

    def shows(self, gtin: str | None) -> bool:
        return self.gtins is None or (gtin is not None and gtin in self.gtins)


def _financed_gtins(runtime: Runtime, bank: PartyRecord, receipts: Iterable[Any]) -> set[str]:
    """GTINs of the receipts on which ``bank`` has a live financing, as the chain says."""
    receipts = list(receipts)
    if not bank.chain_address or not receipts:
        return set()
    lifecycle = runtime.ledger().lifecycle()
    found = set()
    for receipt in receipts:
        financing_id = lifecycle.live_financing_of(bytes.fromhex(receipt.receipt_id))
        if not financing_id:
            continue
        financing = lifecycle.financing_of(financing_id)
        if financing is not None and financing.bank.lower() == bank.chain_address.lower():
            found.add(receipt.gtin)
    return found


def reader_scope(
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    warehouse: PartyRecord,
    declared: list[DeclaredLine],
) -> ReaderScope:
    """What ``party`` may see of ``warehouse``'s stock; 403 when nothing."""
    if party.code == warehouse.code or party_roles(party) & OVERSIGHT:
        return ReaderScope(None)
    receipts = live_receipts(session, warehouse.code)
    gtins = {d.gtin for d in declared if d.exporter == party.code and d.gtin}
    gtins |= {r.gtin for r in receipts if r.owner_code == party.code}
    if "bank" in party_roles(party):
        gtins |= _financed_gtins(runtime, party, receipts)
    if not gtins:
        raise PermissionDenied(
            f"party {party.code} may not read warehouse {warehouse.code}'s stock: only the "
            "warehouse, the owners of goods in it, banks financing its receipts, customs "
            "and the regulator may",
            field="code",
            code="not_warehouse_reader",
        )
    return ReaderScope(frozenset(gtins))


# --- stock ----------------------------------------------------------------------------------


@dataclass
class StockRow:
    declared: Decimal = Decimal(0)
    moved: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    encumbered: Decimal = Decimal(0)

    @property
    def on_hand(self) -> Decimal:
        inward = sum((self.moved[m] for m in IN_MOVEMENTS), Decimal(0))
        outward = sum((self.moved[m] for m in OUT_MOVEMENTS), Decimal(0))
        return inward - outward


def ledger_entries(session: Session, code: str) -> list[tuple[WarehouseStockEntryRecord, str]]:
    """The warehouse's ledger rows with their events' eventIDs, in capture order."""
    rows = session.exec(
        select(WarehouseStockEntryRecord, TraceEventRecord.event_id)
        .join(
            TraceEventRecord, col(TraceEventRecord.id) == WarehouseStockEntryRecord.trace_event_id
        )
        .where(WarehouseStockEntryRecord.warehouse_code == code)
        .order_by(col(WarehouseStockEntryRecord.id))
    ).all()
    return [(entry, event_id) for entry, event_id in rows]


def stock_rows(
    declared: list[DeclaredLine],
    entries: list[tuple[WarehouseStockEntryRecord, str]],
    receipts: list[WarehouseReceiptRecord],
) -> dict[LotKey, StockRow]:
    rows: dict[LotKey, StockRow] = defaultdict(StockRow)
    for line in declared:
        if line.gtin is not None:
            rows[line.gtin, line.lot].declared += line.quantity
    for entry, _ in entries:
        rows[entry.gtin, entry.lot].moved[entry.movement] += Decimal(entry.quantity)
    for receipt in receipts:
        rows[receipt.gtin, receipt.lot].encumbered += Decimal(receipt.quantity)
    return rows


def _row_json(gtin: str, lot: str, row: StockRow) -> dict[str, Any]:
    unencumbered = max(row.on_hand - row.encumbered, Decimal(0))
    return {
        "gtin": gtin,
        "lot": lot or None,
        "declaredIn": quantity_text(row.declared),
        "received": quantity_text(row.moved["received"]),
        "stored": quantity_text(row.moved["stored"]),
        "shippedOut": quantity_text(row.moved["shipped"]),
        "sold": quantity_text(row.moved["sold"]),
        "returned": quantity_text(row.moved["returned"]),
        "destroyed": quantity_text(row.moved["destroyed"]),
        "onHand": quantity_text(row.on_hand),
        "encumbered": quantity_text(row.encumbered),
        "unencumbered": quantity_text(unencumbered),
    }


def stock(*, session: Session, runtime: Runtime, party: PartyRecord, code: str) -> dict[str, Any]:
    """``GET /warehouses/{code}/stock``: per GTIN and lot, what the 9810 inventories declared
    in, what the warehouse's events received, shipped out, sold, took back and destroyed,
    and what is on hand (and under live receipts)."""
    warehouse = require_warehouse(session, code)
    declared = declarations(session, warehouse)
    scope = reader_scope(session, runtime, party, warehouse, declared)
    rows = stock_rows(declared, ledger_entries(session, code), live_receipts(session, code))
    return {
        "warehouse": code,
        "name": warehouse.name,
        "locations": sorted(party_locations(session, code)),
        "items": [
            _row_json(gtin, lot, row)
            for (gtin, lot), row in sorted(rows.items())
            if scope.shows(gtin)
        ],
        "asOf": utcnow().isoformat(),
    }


# --- reconciliation --------------------------------------------------------------------------
