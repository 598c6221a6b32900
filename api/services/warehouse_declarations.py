"""What the 9810 declarations sent to an overseas warehouse (see :mod:`api.services.warehouse`).

The lines of the released, not cancelled 9810 export inventories (CEB603) whose booking
order (CEB303, orderType W) was made with the warehouse, read from the stored documents.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from sqlmodel import Session, col, select

from api.db.models import DocumentRecord, PartyRecord, TradeRecord
from api.errors import NotFound
from api.services.parties import party_roles
from api.services.warehouse_ledger import WAREHOUSE_ROLE
from ledger_client import party_id
from traceability.epcis import parse_link

OVERSEAS_WAREHOUSE_MODE: Final = "9810"
#: (GTIN-14, lot or "") — a lot of stock.
LotKey = tuple[str, str]
_ELEMENT_STRING = re.compile(r"^\(01\)(\d{14})(?:\(10\)([!-~]{1,20}))?$")
_BARE_ELEMENTS = re.compile(r"^01(\d{14})(?:10([!-~]{1,20}))?$")


def quantity_text(value: Decimal) -> str:
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
