"""The stock ledger of the overseas warehouses, built from their EPCIS events.

An event moves a warehouse's stock when the warehouse itself recorded it (its API key or
its signature: the capturing party) at one of its registered locations (the event's
bizLocation, else its readPoint, is one of the warehouse's GLNs). An event another party
records at a warehouse's GLN moves nothing: a carrier's word that goods arrived is not
the warehouse's receipt of them.

=========================================  ===========  ==================================
CBV 2.0 business step / disposition        movement     stock on hand
=========================================  ===========  ==================================
destroying, or disposition ``destroyed``   destroyed    −
retail_selling, or ``retail_sold``         sold         −
receiving with disposition ``returned``    returned     +
receiving                                  received     +
shipping                                   shipped      −
storing                                    stored       none (put away: already received)
=========================================  ===========  ==================================

Quantities: each ``quantityList`` (``childQuantityList`` for an aggregation or a
transaction) entry of a GTIN class (with or without a lot) counts its quantity; each
instance EPC of a GTIN counts one; a container (SSCC) counts the lots an
AggregationEvent packed into it before the event, with the packed quantities. An event
whose error was declared (EPCIS 2.0 ``errorDeclaration``) moves nothing, and nor does the
declaration itself; a corrective event is an event like any other.

The rows are written in the capture's own transaction (:func:`record_capture`, from
:func:`api.services.submission.store_capture`), and :func:`rebuild` recomputes them from
the stored events alone: the two agree (a test holds them to it). Registering a new
location for a warehouse rebuilds its rows, since it changes which events are its own.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import delete
from sqlmodel import Session, col, select

from api.db.models import PartyRecord
from api.db.trace_models import PartyLocationRecord, TraceContainerRecord, TraceEventRecord
from api.db.warehouse_models import WarehouseStockEntryRecord
from traceability.epcis import Event, EventType, parse_event, parse_link
from traceability.epcis.hashing import event_hash_bytes

__all__ = [
    "IN_MOVEMENTS",
    "MOVEMENTS",
    "OUT_MOVEMENTS",
    "WAREHOUSE_ROLE",
    "counted_lots",
    "movement_of",
    "rebuild",
    "record_capture",
]

WAREHOUSE_ROLE: Final = "warehouse"
MOVEMENTS: Final = ("received", "shipped", "sold", "returned", "destroyed", "stored")
IN_MOVEMENTS: Final = frozenset({"received", "returned"})
OUT_MOVEMENTS: Final = frozenset({"shipped", "sold", "destroyed"})

LotKey = tuple[str, str]  # (GTIN-14, lot or "")


def movement_of(event: Event) -> str | None:
    """What ``event`` does to a warehouse's stock (the table above), or None."""
    step, disposition = event.step, event.disposition_term
    if step == "destroying" or disposition == "destroyed":
        return "destroyed"
    if step == "retail_selling" or disposition == "retail_sold":
        return "sold"
    if step == "receiving":
        return "returned" if disposition == "returned" else "received"
    if step == "shipping":
        return "shipped"
    if step == "storing":
        return "stored"
    return None


def _lot_key(identifier: str) -> LotKey | None:
    link = parse_link(identifier)
    if link is None or link.gtin is None:
        return None
    return link.gtin, link.lot or ""


def counted_lots(session: Session, event: Event) -> dict[LotKey, Decimal]:
    """The quantity of each (GTIN, lot) ``event`` names (the counting rule above)."""
    counted: dict[LotKey, Decimal] = defaultdict(Decimal)
    if event.type is EventType.TRANSFORMATION:
        return {}
    if event.type is EventType.OBJECT:
        epcs, quantities = event.epcs, event.quantities
    elif event.type is EventType.TRANSACTION:
        epcs = (*event.epcs, *event.child_epcs)
        quantities = (*event.quantities, *event.child_quantities)
    else:  # an aggregation moves its children, not its parent
        epcs, quantities = event.child_epcs, event.child_quantities
    for element in quantities:
        key = _lot_key(element.epc_class)
        if key is not None and element.quantity is not None:
            counted[key] += element.quantity
    for epc in epcs:
        link = parse_link(epc)
        if link is None:
            continue
        if link.key_ai == "00":
            for key, quantity in _container_contents(session, epc, event).items():
                counted[key] += quantity
        elif link.gtin is not None:
            counted[link.gtin, link.lot or ""] += 1
    return {key: quantity for key, quantity in counted.items() if quantity > 0}


def _container_contents(session: Session, container: str, event: Event) -> dict[LotKey, Decimal]:
    """The lots packed into ``container`` (an SSCC's Digital Link) when ``event`` happened,
    with the quantities the packing events gave them."""
    rows = session.exec(
        select(TraceContainerRecord, TraceEventRecord)
        .join(TraceEventRecord, col(TraceEventRecord.id) == TraceContainerRecord.event_id)
        .where(
            TraceContainerRecord.container == container,
            col(TraceContainerRecord.added_at) <= event.event_time,
        )
        .order_by(col(TraceContainerRecord.id))
    ).all()
    contents: dict[LotKey, Decimal] = defaultdict(Decimal)
    for packed, packing in rows:
        if packed.removed_at is not None and packed.removed_at <= event.event_time:
            continue
        raw = json.loads(packing.event_json)
        for element in raw.get("childQuantityList") or []:
            key = _lot_key(str(element.get("epcClass", "")))
            if key == (packed.gtin, packed.lot) and element.get("quantity") is not None:
                contents[key] += Decimal(str(element["quantity"]))
        for epc in raw.get("childEPCs") or []:
            if _lot_key(str(epc)) == (packed.gtin, packed.lot):
                contents[packed.gtin, packed.lot] += 1
    return contents


def _event_gln(event: Event) -> str | None:
    """The GLN where the event happened: its bizLocation, else its readPoint.

    The rule of :func:`api.services.trace.policy.event_gln`, restated here because the party
    service (which recounts a warehouse on a role change) sits below the trace services.
    """
    for place in (event.biz_location, event.read_point):
        link = parse_link(place) if place else None
        if link is not None and link.key_ai == "414":
            return link.key
    return None


def _is_warehouse(party: PartyRecord) -> bool:
    return WAREHOUSE_ROLE in party.roles.split(",")


def _warehouse_of(session: Session, recorder: str, event: Event) -> str | None:
    """The warehouse whose stock ``event`` moves: its recorder, at one of its locations."""
    party = session.get(PartyRecord, recorder)
    if party is None or not _is_warehouse(party):
        return None
    gln = _event_gln(event)
    if gln is None:
        return None
    registered = session.exec(
        select(PartyLocationRecord.id).where(
            PartyLocationRecord.party_code == recorder, PartyLocationRecord.gln == gln
        )
    ).first()
    if registered is None:
        return None
    return recorder


def _entries(
    session: Session, *, record: TraceEventRecord, event: Event
) -> list[WarehouseStockEntryRecord]:
    if event.raw.get("errorDeclaration") is not None:
        return []
    movement = movement_of(event)
    if movement is None:
        return []
    warehouse = _warehouse_of(session, record.captured_by, event)
    if warehouse is None:
        return []
    assert record.id is not None
    return [
        WarehouseStockEntryRecord(
            warehouse_code=warehouse,
            event_hash=record.event_hash,
            trace_event_id=record.id,
            movement=movement,
            gtin=gtin,
            lot=lot,
            quantity=str(quantity),
            event_time=event.event_time,
        )
        for (gtin, lot), quantity in sorted(counted_lots(session, event).items())
    ]


def record_capture(
    session: Session, *, record: TraceEventRecord, event: Event, declares: str | None
) -> None:
    """Update the ledger for one newly stored event, in the caller's transaction.

    ``declares``: the stored hash of the event this one declares an error on, whose
    movements are withdrawn.
    """
    if declares is not None:
        session.execute(
            delete(WarehouseStockEntryRecord).where(
                col(WarehouseStockEntryRecord.event_hash) == declares
            )
        )
        return
    for entry in _entries(session, record=record, event=event):
        session.add(entry)


def _declared_hashes(session: Session) -> set[str]:
    """The hashes of the stored events some stored declaration declares an error on."""
    rows = session.exec(
        select(TraceEventRecord.event_json, TraceEventRecord.context_json).where(
            col(TraceEventRecord.event_json).like('%"errorDeclaration"%')
        )
    ).all()
    declared = set()
    for event_json, context_json in rows:
        raw: dict[str, Any] = json.loads(event_json)
        if raw.get("errorDeclaration") is None:
            continue
        declared.add(event_hash_bytes(raw, context=json.loads(context_json)).hex())
    return declared


def rebuild(session: Session, warehouse_codes: Iterable[str] | None = None) -> None:
    """Recompute the ledger rows of ``warehouse_codes`` (default: every warehouse) from the stored
    events, in the caller's transaction."""
    if warehouse_codes is None:
        session.execute(delete(WarehouseStockEntryRecord))
        parties = session.exec(select(PartyRecord)).all()
    else:
        wanted = sorted(set(warehouse_codes))
        session.execute(
            delete(WarehouseStockEntryRecord).where(
                col(WarehouseStockEntryRecord.warehouse_code).in_(wanted)
            )
        )
        parties = session.exec(select(PartyRecord).where(col(PartyRecord.code).in_(wanted))).all()
    codes = sorted(p.code for p in parties if _is_warehouse(p))
    if not codes:
        session.flush()
        return
    events = (
        select(TraceEventRecord)
        .where(col(TraceEventRecord.captured_by).in_(codes))
        .order_by(col(TraceEventRecord.id))
    )
    declared = _declared_hashes(session)
    for record in session.exec(events).all():
        if record.event_hash in declared:
            continue
        event = parse_event(json.loads(record.event_json), context=json.loads(record.context_json))
        for entry in _entries(session, record=record, event=event):
            session.add(entry)
    session.flush()
