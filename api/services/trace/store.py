"""Storing captured events with their index rows, lot links and outbox rows.

Everything an event needs is added to the caller's session, so an event, the
lots it touches and one outbox row per lot (``kind="event"``, subject the
event hash, lane ``lot:<lotId>``) commit in the same transaction.

A lot is touched directly (a lot-level class or instance in any EPC or
quantity list, or the parent ID) or through a container: once an
AggregationEvent packs a lot into an SSCC, every event naming that SSCC
while the lot is inside touches the lot too, whichever of the two events was
captured first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlmodel import Session, col, select

from api.anchoring.lanes import LotEventPayload, LotLane
from api.db.models import utcnow
from api.db.trace_models import (
    TraceContainerRecord,
    TraceEventEpcRecord,
    TraceEventLotRecord,
    TraceEventRecord,
)
from traceability.epcis import Event, EventType, parse_link
from traceability.epcis.hashing import DEFAULT_PROFILE
from traceability.gs1 import lot_id


@dataclass(frozen=True)
class LotRef:
    """A lot: GTIN-14 and lot number, with its on-chain id (hex)."""

    gtin: str
    lot: str

    @property
    def lot_id(self) -> str:
        """Hex of the 32-byte on-chain lot id."""
        return _lot_id_hex(self.gtin, self.lot)

    @property
    def lane(self) -> str:
        """The anchoring lane of this lot."""
        return LotLane(self.lot_id).name


# Module-level: a pure function of two strings (no database, no chain), so the key fully
# determines the value and every runtime may share it.
@lru_cache(maxsize=4096)
def _lot_id_hex(gtin: str, lot: str) -> str:
    # Pure, and hot: every page asks it of each lot several times (check digits, AI rules).
    return lot_id(gtin, lot).hex()


# Module-level: a pure function of one string, returning a frozen value (or None).
@lru_cache(maxsize=4096)
def lot_of(identifier: str) -> LotRef | None:
    """The lot an identifier names (a lot-level Digital Link or LGTIN, or an item with lot)."""
    link = parse_link(identifier)
    if link is None or link.gtin is None or link.lot is None:
        return None
    return LotRef(link.gtin, link.lot)


def named_identifiers(event: Event) -> list[tuple[str, str]]:
    """Every (role, identifier) the event names, identifiers as canonical Digital Links."""
    pairs: list[tuple[str, str]] = [("epc", e) for e in event.epcs]
    pairs += [("child", e) for e in event.child_epcs]
    pairs += [("input", e) for e in event.input_epcs]
    pairs += [("output", e) for e in event.output_epcs]
    if event.parent_id:
        pairs.append(("parent", event.parent_id))
    pairs += [("class", q.epc_class) for q in event.quantities]
    pairs += [("child_class", q.epc_class) for q in event.child_quantities]
    pairs += [("input_class", q.epc_class) for q in event.input_quantities]
    pairs += [("output_class", q.epc_class) for q in event.output_quantities]
    return list(dict.fromkeys(pairs))


def direct_lots(event: Event) -> list[LotRef]:
    """Lots the event names itself."""
    lots = (lot_of(value) for _, value in named_identifiers(event))
    return list(dict.fromkeys(lot for lot in lots if lot is not None))


def new_event_record(
    *,
    event: Event,
    hash_hex: str,
    context: Any,
    party_code: str,
    envelope_hash: str | None,
    capture_id: str | None,
    now: datetime,
) -> TraceEventRecord:
    """The row of a new event (eventID: the given one, else its hash ID)."""
    return TraceEventRecord(
        event_hash=hash_hex,
        event_id=event.event_id or event.hash,
        event_type=event.type.value,
        event_time=event.event_time,
        record_time=now,
        biz_step=event.biz_step,
        disposition=event.disposition,
        read_point=event.read_point,
        biz_location=event.biz_location,
        event_json=json.dumps(dict(event.raw), ensure_ascii=False),
        context_json=json.dumps(context, ensure_ascii=False),
        captured_by=party_code,
        envelope_hash=envelope_hash,
        capture_id=capture_id,
        hash_profile=DEFAULT_PROFILE,
    )


#: Whether a stored event's recorder may have it join a lot (the lot rule of the policy).
Admits = Callable[[Session, TraceEventRecord, LotRef], bool]


def add_event(
    *, session: Session, record: TraceEventRecord, event: Event, admits: Admits
) -> list[LotRef]:
    """Add an event with its index rows, lot links and outbox rows; return its lots.

    The caller has judged the lots the event touches now; ``admits`` judges the
    events captured earlier that a packing brings into a lot.
    """
    session.add(record)
    session.flush()
    assert record.id is not None
    for role, value in named_identifiers(event):
        session.add(TraceEventEpcRecord(event_id=record.id, role=role, epc=value[:500]))
    lots: dict[LotRef, str | None] = {lot: None for lot in direct_lots(event)}
    for container in containers_named(event):
        for lot in lots_inside(session, container, event.event_time):
            lots.setdefault(lot, container)
    for lot, via in lots.items():
        link_lot(session=session, record=record, lot=lot, via=via)
    if event.type is EventType.AGGREGATION and event.parent_id:
        _pack_or_unpack(session, record, event, admits)
    return list(lots)


def link_lot(
    *, session: Session, record: TraceEventRecord, lot: LotRef, via: str | None = None
) -> None:
    """Link an event to a lot and queue its hash for anchoring in the lot's lane."""
    assert record.id is not None
    exists = session.exec(
        select(TraceEventLotRecord.id).where(
            TraceEventLotRecord.event_id == record.id, TraceEventLotRecord.lot_id == lot.lot_id
        )
    ).first()
    if exists is not None:
        return
    session.add(
        TraceEventLotRecord(
            event_id=record.id, lot_id=lot.lot_id, gtin=lot.gtin, lot=lot.lot, via=via
        )
    )
    payload = LotEventPayload(event_id=record.event_id, gtin=lot.gtin, lot=lot.lot)
    lane = LotLane(lot.lot_id)
    session.add(lane.outbox_record(record.event_hash, payload, created_at=utcnow()))
    session.flush()


def containers_named(event: Event) -> list[str]:
    """Identifiers that may be containers: EPCs and parent IDs that name no lot themselves."""
    values = [*event.epcs, *event.child_epcs]
    if event.parent_id and event.type is not EventType.AGGREGATION:
        values.append(event.parent_id)
    return [v for v in dict.fromkeys(values) if lot_of(v) is None]


def lots_inside(session: Session, container: str, moment: datetime) -> list[LotRef]:
    """The lots packed into ``container`` at ``moment`` (stored packings only)."""
    rows = session.exec(
        select(TraceContainerRecord).where(
            TraceContainerRecord.container == container,
            col(TraceContainerRecord.added_at) <= moment,
        )
    ).all()
    return [LotRef(r.gtin, r.lot) for r in rows if r.removed_at is None or r.removed_at > moment]


def _pack_or_unpack(
    session: Session, record: TraceEventRecord, event: Event, admits: Admits
) -> None:
    parent = event.parent_id
    assert parent is not None
    assert record.id is not None
    children = [
        lot
        for value in (*event.child_epcs, *(q.epc_class for q in event.child_quantities))
        if (lot := lot_of(value)) is not None
    ]
    if event.action == "ADD":
        for lot in dict.fromkeys(children):
            session.add(
                TraceContainerRecord(
                    container=parent,
                    lot_id=lot.lot_id,
                    gtin=lot.gtin,
                    lot=lot.lot,
                    added_at=event.event_time,
                    event_id=record.id,
                )
            )
            session.flush()
            _link_earlier_events(session, parent, lot, event.event_time, admits)
    elif event.action == "DELETE":
        _unpack(session, parent, {lot.lot_id for lot in children}, event.event_time)


def _link_earlier_events(
    session: Session, container: str, lot: LotRef, since: datetime, admits: Admits
) -> None:
    """Events captured before the packing but happening after it get the lot too, when
    their recorders may add events to the lot (else an outsider could name the pallet
    first and be linked to the lot by its packing)."""
    stmt = (
        select(TraceEventRecord)
        .join(TraceEventEpcRecord, col(TraceEventEpcRecord.event_id) == col(TraceEventRecord.id))
        .where(
            TraceEventEpcRecord.epc == container,
            col(TraceEventEpcRecord.role).in_(("epc", "child")),
            col(TraceEventRecord.event_time) >= since,
        )
    )
    for record in _unique(session.exec(stmt).all()):
        if admits(session, record, lot):
            link_lot(session=session, record=record, lot=lot, via=container)


def _unique(records: Iterable[TraceEventRecord]) -> list[TraceEventRecord]:
    return list({r.id: r for r in records}.values())


def _unpack(session: Session, container: str, lot_ids: set[str], moment: datetime) -> None:
    rows = session.exec(
        select(TraceContainerRecord).where(
            TraceContainerRecord.container == container,
            col(TraceContainerRecord.removed_at).is_(None),
        )
    ).all()
    for row in rows:
        if not lot_ids or row.lot_id in lot_ids:
            row.removed_at = moment
            session.add(row)
    session.flush()
