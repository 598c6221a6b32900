"""Overseas warehouses (9810 出口海外仓): stock, reconciliation and warehouse receipts (仓单).

A warehouse is a party with the ``warehouse`` role; its code names it in the routes and
its registered locations (GLNs, ``PUT /parties/{code}/locations``) are where its EPCIS
events happen. Its stock per GTIN and lot comes from two sources:

* **declared in**: the released, not cancelled 9810 export inventories (CEB603,
  ``tradeMode`` 9810) whose booking order (CEB303, ``orderType`` W, 海外仓订仓单) was made
  with the warehouse. Neither message has a field for the overseas warehouse; the booking
  is made with it, so its operator fills the order's and inventory's platform slot
  (``ebpCode``: the warehouse's party code or its customs registration code) [I]. Each
  inventory line's ``barCode`` gives the GTIN (8 to 14 digits), and the lot too when it is
  a GS1 element string ``(01)…(10)…`` or a Digital Link; its ``qty`` and ``totalPrice``
  the quantity and value. Read from the stored documents when asked, never copied.
* **the movements**: the warehouse's own EPCIS events (:mod:`api.services.warehouse_ledger`).

on hand = received + returned − shipped − sold − destroyed. A live receipt (issued, not
cancelled) encumbers the quantity it covers: a receipt is refused beyond the unencumbered
stock, and the reconciliation flags stock that left while a receipt covered it.

Who reads a warehouse's stock and reconciliation: the warehouse itself, customs, the
regulator (all of it); the exporter that owns goods there (the GTINs it declared or owns
receipts of); a bank whose financing is live on one of its receipts (those receipts'
GTINs), as the chain says. Anyone else: 403; a code that is no warehouse: 404.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from eth_utils.crypto import keccak
from sqlmodel import Session, col, select

from api.db.models import DocumentRecord, PartyRecord, TradeRecord, utcnow
from api.db.trace_models import TraceEventRecord
from api.db.warehouse_models import WarehouseReceiptRecord, WarehouseStockEntryRecord
from api.errors import Conflict, NotFound, PermissionDenied, UnprocessableContent
from api.money import FEN, to_fen
from api.runtime import Runtime
from api.services.lifecycle_chain import lifecycle_conflict, minor_units
from api.services.parties import party_roles
from api.services.trace.custody import party_locations
from api.services.warehouse_ledger import IN_MOVEMENTS, MOVEMENTS, OUT_MOVEMENTS, WAREHOUSE_ROLE
from api.warehouse_schemas import ReceiptCreate
from ledger_client import ContractReverted, LifecycleRegistryClient, ReceiptState, party_id
from ledger_client import WarehouseReceipt as ChainReceipt
from traceability import canonical_json, content_hash
from traceability.epcis import parse_link

__all__ = [
    "DeclaredLine",
    "WarehouseReceipt",
    "cancel_receipt",
    "declarations",
    "issue_receipt",
    "receipt_of",
    "reconciliation",
    "require_warehouse",
    "show_receipt",
    "stock",
    "warehouse_id",
]

OVERSEAS_WAREHOUSE_MODE: Final = "9810"
#: Who sees every GTIN of every warehouse.
OVERSIGHT: Final = frozenset({"customs", "regulator"})
_ELEMENT_STRING = re.compile(r"^\(01\)(\d{14})(?:\(10\)([!-~]{1,20}))?$")
_BARE_ELEMENTS = re.compile(r"^01(\d{14})(?:10([!-~]{1,20}))?$")

LotKey = tuple[str, str]


def _qty(value: Decimal) -> str:
    """A quantity as text without exponent or trailing zeros: ``"230"``, ``"2.5"``."""
    text = format(value.normalize(), "f")
    return text


# --- the warehouse -------------------------------------------------------------------------


def require_warehouse(session: Session, code: str) -> PartyRecord:
    """The warehouse party ``code``, or 404 (also for a party that is no warehouse)."""
    party = session.get(PartyRecord, code)
    if party is None or WAREHOUSE_ROLE not in party_roles(party):
        raise NotFound(f"no warehouse {code!r}", field="code")
    return party


def warehouse_id(code: str) -> bytes:
    """The warehouse's id on chain: keccak-256 of its party code, as PartyRegistry ids are."""
    return bytes(party_id(code))


# --- what the 9810 declarations sent ------------------------------------------------------


@dataclass(frozen=True)
class DeclaredLine:
    """One line of a released 9810 inventory consigned to a warehouse."""

    trade_id: str
    content_hash: str  # the inventory document's
    order_hash: str | None
    invt_no: str | None
    order_no: str
    exporter: str  # the inventory's ebcCode: the goods' owner
    gnum: int
    bar_code: str
    gtin: str | None  # None: the barCode names no GTIN
    lot: str
    quantity: Decimal
    value: Decimal
    currency: str


def gtin_and_lot(bar_code: str) -> tuple[str, str] | None:
    """The (GTIN-14, lot or "") a CEB ``barCode`` names, or None when it names no valid GTIN."""
    text = bar_code.strip()
    lot = ""
    if text.startswith(("http://", "https://")):
        link = parse_link(text)
        if link is None or link.gtin is None:
            return None
        return link.gtin, link.lot or ""
    match = _ELEMENT_STRING.match(text) or _BARE_ELEMENTS.match(text)
    if match:
        text, lot = match.group(1), match.group(2) or ""
    if not text.isdigit() or len(text) not in (8, 12, 13, 14):
        return None
    gtin = text.zfill(14)
    path = f"https://id.gs1.org/01/{gtin}" + (f"/10/{lot}" if lot else "")
    return (gtin, lot) if parse_link(path) is not None else None  # the check digit


def _warehouse_names(warehouse: PartyRecord) -> list[str]:
    return [n for n in (warehouse.code, warehouse.customs_code) if n]


def declarations(session: Session, warehouse: PartyRecord) -> list[DeclaredLine]:
    """The lines of the released, not cancelled 9810 inventories booked with ``warehouse``."""
    trades = session.exec(
        select(TradeRecord)
        .where(
            TradeRecord.mode == OVERSEAS_WAREHOUSE_MODE,
            TradeRecord.direction == "export",
            col(TradeRecord.ebp_code).in_(_warehouse_names(warehouse)),
            col(TradeRecord.released_at).is_not(None),
            col(TradeRecord.cancelled_at).is_(None),
            col(TradeRecord.inventory_hash).is_not(None),
        )
        .order_by(col(TradeRecord.trade_id))
    ).all()
    hashes = [h for t in trades for h in (t.inventory_hash, t.order_hash) if h]
    documents = {
        content_hash: json.loads(envelope)["payload"]["document"]
        for content_hash, envelope in session.exec(
            select(DocumentRecord.content_hash, DocumentRecord.envelope).where(
                col(DocumentRecord.content_hash).in_(hashes)
            )
        ).all()
    }
    lines: list[DeclaredLine] = []
    for trade in trades:
        inventory = documents.get(trade.inventory_hash or "")
        order = documents.get(trade.order_hash or "") if trade.order_hash else None
        if inventory is None or (order is not None and order.get("orderType") != "W"):
            continue
        for item in inventory.get("InventoryList") or []:
            found = gtin_and_lot(str(item.get("barCode", "")))
            lines.append(
                DeclaredLine(
                    trade_id=trade.trade_id,
                    content_hash=trade.inventory_hash or "",
                    order_hash=trade.order_hash,
                    invt_no=trade.invt_no or inventory.get("invtNo"),
                    order_no=trade.order_no,
                    exporter=str(inventory.get("ebcCode", trade.ebc_code or "")),
                    gnum=int(item.get("gnum", 0)),
                    bar_code=str(item.get("barCode", "")),
                    gtin=found[0] if found else None,
                    lot=found[1] if found else "",
                    quantity=Decimal(str(item["qty"])),
                    value=Decimal(str(item["totalPrice"])),
                    currency=str(item.get("currency", trade.currency or "")),
                )
            )
    return lines


# --- receipts ------------------------------------------------------------------------------


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


def _live_receipts(session: Session, code: str) -> list[WarehouseReceiptRecord]:
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
class _Scope:
    """The GTINs a reader sees (None: all of them)."""

    gtins: frozenset[str] | None

    def shows(self, gtin: str | None) -> bool:
        return self.gtins is None or (gtin is not None and gtin in self.gtins)


def _financed_gtins(runtime: Runtime, bank: PartyRecord, receipts: Iterable[Any]) -> set[str]:
    """GTINs of the receipts on which ``bank`` has a live financing, as the chain says."""
    receipts = list(receipts)
    if not bank.chain_address or not receipts:
        return set()
    lifecycle = _lifecycle(runtime)
    found = set()
    for receipt in receipts:
        financing_id = lifecycle.live_financing_of(bytes.fromhex(receipt.receipt_id))
        if not financing_id:
            continue
        financing = lifecycle.financing_of(financing_id)
        if financing is not None and financing.bank.lower() == bank.chain_address.lower():
            found.add(receipt.gtin)
    return found


def _scope(
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    warehouse: PartyRecord,
    declared: list[DeclaredLine],
) -> _Scope:
    """What ``party`` may see of ``warehouse``'s stock; 403 when nothing."""
    if party.code == warehouse.code or party_roles(party) & OVERSIGHT:
        return _Scope(None)
    receipts = _live_receipts(session, warehouse.code)
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
    return _Scope(frozenset(gtins))


# --- stock ----------------------------------------------------------------------------------


@dataclass
class _Row:
    declared: Decimal = Decimal(0)
    moved: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    encumbered: Decimal = Decimal(0)

    @property
    def on_hand(self) -> Decimal:
        inward = sum((self.moved[m] for m in IN_MOVEMENTS), Decimal(0))
        outward = sum((self.moved[m] for m in OUT_MOVEMENTS), Decimal(0))
        return inward - outward


def _entries(session: Session, code: str) -> list[tuple[WarehouseStockEntryRecord, str]]:
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


def _rows(
    declared: list[DeclaredLine],
    entries: list[tuple[WarehouseStockEntryRecord, str]],
    receipts: list[WarehouseReceiptRecord],
) -> dict[LotKey, _Row]:
    rows: dict[LotKey, _Row] = defaultdict(_Row)
    for line in declared:
        if line.gtin is not None:
            rows[line.gtin, line.lot].declared += line.quantity
    for entry, _ in entries:
        rows[entry.gtin, entry.lot].moved[entry.movement] += Decimal(entry.quantity)
    for receipt in receipts:
        rows[receipt.gtin, receipt.lot].encumbered += Decimal(receipt.quantity)
    return rows


def _row_json(gtin: str, lot: str, row: _Row) -> dict[str, Any]:
    unencumbered = max(row.on_hand - row.encumbered, Decimal(0))
    return {
        "gtin": gtin,
        "lot": lot or None,
        "declaredIn": _qty(row.declared),
        "received": _qty(row.moved["received"]),
        "stored": _qty(row.moved["stored"]),
        "shippedOut": _qty(row.moved["shipped"]),
        "sold": _qty(row.moved["sold"]),
        "returned": _qty(row.moved["returned"]),
        "destroyed": _qty(row.moved["destroyed"]),
        "onHand": _qty(row.on_hand),
        "encumbered": _qty(row.encumbered),
        "unencumbered": _qty(unencumbered),
    }


def stock(*, session: Session, runtime: Runtime, party: PartyRecord, code: str) -> dict[str, Any]:
    """``GET /warehouses/{code}/stock``: per GTIN and lot, what the 9810 inventories declared
    in, what the warehouse's events received, shipped out, sold, took back and destroyed,
    and what is on hand (and under live receipts)."""
    warehouse = require_warehouse(session, code)
    declared = declarations(session, warehouse)
    scope = _scope(session, runtime, party, warehouse, declared)
    rows = _rows(declared, _entries(session, code), _live_receipts(session, code))
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


def _document_json(line: DeclaredLine) -> dict[str, Any]:
    return {
        "contentHash": line.content_hash,
        "orderHash": line.order_hash,
        "invtNo": line.invt_no,
        "orderNo": line.order_no,
        "tradeId": line.trade_id,
        "gnum": line.gnum,
        "barCode": line.bar_code,
        "quantity": _qty(line.quantity),
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
        "quantity": _qty(Decimal(entry.quantity)),
        "eventTime": entry.event_time.isoformat(),
    }


def _receipt_ref(receipt: WarehouseReceiptRecord) -> dict[str, Any]:
    return {
        "receiptId": receipt.receipt_id,
        "receiptNo": receipt.receipt_no,
        "recordHash": receipt.record_hash,
        "quantity": _qty(Decimal(receipt.quantity)),
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
        "expected": _qty(expected),
        "actual": _qty(actual),
        "difference": _qty(actual - expected),
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
    rows: dict[LotKey, _Row],
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
    declared: list[DeclaredLine], rows: dict[LotKey, _Row], scope: _Scope
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
                "declaredQuantity": _qty(quantity),
                "declaredValue": to_fen(value),
                "soldQuantity": _qty(sold),
                "soldValue": to_fen((sold * unit).quantize(FEN, rounding=ROUND_HALF_UP)),
                "shippedOutQuantity": _qty(shipped),
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
    scope = _scope(session, runtime, party, warehouse, declared)
    entries = _entries(session, code)
    receipts = _live_receipts(session, code)
    rows = _rows(declared, entries, receipts)
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
        "quantity": _qty(quantity),
        "value": to_fen(value),
        "currency": receipt.currency,
        "issuedAt": issued_at,
    }


def _lifecycle(runtime: Runtime) -> LifecycleRegistryClient:
    """The LifecycleRegistry client as the anchorer: sandan relays the warehouse's record."""
    return runtime.ledger().lifecycle()


def _receipt_id(code: str, receipt_no: str) -> bytes:
    # One id per (warehouse, its receipt number): issuing the same receipt twice collides.
    return keccak(text=f"sandan:warehouse-receipt:{code}:{receipt_no}")


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
    _require_own_warehouse(session, party, code)
    # Serialise the warehouse's receipts: two at once must not both use the same stock.
    session.exec(select(PartyRecord).where(PartyRecord.code == code).with_for_update()).one()
    quantity = _positive(receipt_in.quantity, "quantity")
    value = _positive(receipt_in.value, "value")
    owner = session.get(PartyRecord, receipt_in.owner)
    if owner is None:
        raise UnprocessableContent(f"no party {receipt_in.owner!r}", field="owner")
    gtin = receipt_in.gtin
    lot = receipt_in.lot or ""
    if gtin_and_lot(gtin) is None:
        raise UnprocessableContent(f"{gtin} is not a valid GTIN (check digit)", field="gtin")
    warehouse = require_warehouse(session, code)
    declared = declarations(session, warehouse)
    owners = {d.exporter for d in declared if d.gtin == gtin}
    if receipt_in.owner not in owners:
        raise Conflict(
            f"party {receipt_in.owner} declared no goods of GTIN {gtin} into warehouse {code} "
            f"(9810 exporters of it: {', '.join(sorted(owners)) or 'none'})",
            field="owner",
            code="owner_not_declared",
        )
    if session.exec(
        select(WarehouseReceiptRecord.receipt_id).where(
            WarehouseReceiptRecord.warehouse_code == code,
            WarehouseReceiptRecord.receipt_no == receipt_in.receipt_no,
        )
    ).first():
        raise Conflict(
            f"receipt {receipt_in.receipt_no} was already issued",
            field="receiptNo",
            code="receipt_exists",
        )
    receipts = _live_receipts(session, code)
    row = _rows(declared, _entries(session, code), receipts)[gtin, lot]
    free = row.on_hand - row.encumbered
    if quantity > free:
        raise Conflict(
            f"quantity {_qty(quantity)} exceeds the unencumbered stock of GTIN {gtin} lot "
            f"{lot or '(none)'}: {_qty(max(free, Decimal(0)))} (on hand {_qty(row.on_hand)}, "
            f"under live receipts {_qty(row.encumbered)})",
            field="quantity",
            code="exceeds_unencumbered_stock",
        )
    try:
        chain_value = minor_units(value, receipt_in.currency)
    except ValueError as exc:
        raise UnprocessableContent(str(exc), field="value") from exc
    now = utcnow()
    record = receipt_record(
        receipt_in, warehouse=code, issued_at=now.isoformat(), quantity=quantity, value=value
    )
    record_hash = content_hash(record, runtime.digest)
    receipt_id = _receipt_id(code, receipt_in.receipt_no)
    try:
        result = _lifecycle(runtime).issue_warehouse_receipt(
            receipt_id, warehouse_id(code), record_hash, chain_value
        )
    except ContractReverted as exc:
        raise _refused(exc, field="receiptNo") from exc
    stored = WarehouseReceiptRecord(
        receipt_id=receipt_id.hex(),
        warehouse_code=code,
        receipt_no=receipt_in.receipt_no,
        owner_code=receipt_in.owner,
        gtin=gtin,
        lot=lot,
        quantity=_qty(quantity),
        value=to_fen(value),
        currency=receipt_in.currency,
        chain_value=chain_value,
        record=canonical_json(record).decode(),
        record_hash=record_hash.hex(),
        issue_tx=result.tx_hash,
        issue_block=result.block_number,
        issued_at=now,
    )
    session.add(stored)
    session.commit()
    return show_receipt(
        session=session, runtime=runtime, party=party, code=code, receipt_id=stored.receipt_id
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
        result = _lifecycle(runtime).cancel_warehouse_receipt(
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
        scope = _scope(session, runtime, party, warehouse, declarations(session, warehouse))
        if not scope.shows(receipt.gtin):
            raise PermissionDenied(
                f"party {party.code} may not read receipt {receipt.receipt_id}",
                field="receiptId",
                code="not_warehouse_reader",
            )
    row = session.get(WarehouseReceiptRecord, receipt.receipt_id)
    assert row is not None
    on_chain = _lifecycle(runtime).warehouse_receipt_of(bytes.fromhex(row.receipt_id))
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
