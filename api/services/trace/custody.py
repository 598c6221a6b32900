"""Judging each lot an event touches against the lot's accepted events (the lot rule).

The rule itself is pure and lives with the rest of the capture policy
(:class:`api.services.trace.policy.LotCustody`); this module reads what it needs
from the database: the brand owner of each GTIN (company prefixes), the lot's
accepted events (those linked to it), and what the capture in progress has
already accepted, so that a document may hand a lot over and go on with it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from api.db.models import PartyRecord
from api.db.trace_models import (
    PartyCompanyPrefixRecord,
    PartyLocationRecord,
    TraceEventLotRecord,
    TraceEventRecord,
)
from api.errors import Conflict
from api.services.parties import party_roles
from api.services.trace.policy import Capturer, LotCustody, check_lot
from api.services.trace.store import (
    LotRef,
    containers_named,
    lot_of,
    lots_inside,
    named_identifiers,
)
from traceability.epcis import Event, EventType, InvalidEvent, parse_event

#: The event field that names an identifier, by the role :func:`named_identifiers` gives it.
FIELD_OF_ROLE = {
    "epc": "epcList",
    "child": "childEPCs",
    "input": "inputEPCList",
    "output": "outputEPCList",
    "parent": "parentID",
    "class": "quantityList",
    "child_class": "childQuantityList",
    "input_class": "inputQuantityList",
    "output_class": "outputQuantityList",
}
#: GS1 company prefixes have 4 to 12 digits (GS1 General Specifications 1.4.3).
PREFIX_LENGTHS = range(4, 13)


def capturer(party: PartyRecord, locations: Iterable[str]) -> Capturer:
    """The lot rule's view of a party."""
    return Capturer(party.code, frozenset(party_roles(party)), frozenset(locations))


def owners_of(session: Session, gtin: str) -> frozenset[str]:
    """Party codes holding a company prefix that starts ``gtin`` (its brand owner)."""
    candidates = {gtin[1 : 1 + n] for n in PREFIX_LENGTHS}
    rows = session.exec(
        select(PartyCompanyPrefixRecord.party_code).where(
            col(PartyCompanyPrefixRecord.prefix).in_(candidates)
        )
    ).all()
    return frozenset(rows)


def lot_custody(session: Session, lot: LotRef) -> LotCustody:
    """The lot's facts from its accepted (stored and linked) events, in time order.

    An event declared in error (EPCIS 2.0: retracted or corrected) and its declarations,
    which share its eventID, vouch for nobody: the corrective events do, if any.
    """
    rows = session.exec(
        select(TraceEventRecord)
        .join(TraceEventLotRecord, col(TraceEventLotRecord.event_id) == col(TraceEventRecord.id))
        .where(TraceEventLotRecord.lot_id == lot.lot_id)
        .order_by(col(TraceEventRecord.event_time), col(TraceEventRecord.id))
    ).all()
    custody = LotCustody(lot.gtin, lot.lot, owners=owners_of(session, lot.gtin))
    events = [(row, _stored_event(row)) for row in rows]
    declared = {
        row.event_id
        for row, event in events
        if event is not None and event.raw.get("errorDeclaration") is not None
    }
    for row, event in events:
        if event is not None and row.event_id not in declared:
            custody = custody.after(event, row.captured_by)
    return custody


def _stored_event(row: TraceEventRecord) -> Event | None:
    try:
        return parse_event(json.loads(row.event_json), context=json.loads(row.context_json))
    except (ValueError, TypeError, AttributeError, InvalidEvent):
        return None  # an unreadable row vouches for nobody


@dataclass
class _Packing:
    """A container packed by an event accepted earlier in the same capture."""

    lots: list[LotRef]
    at: datetime


@dataclass
class LotJudge:
    """Judges each lot of each event of one capture, remembering what it has accepted."""

    session: Session
    party: Capturer
    _lots: dict[str, LotCustody] = field(default_factory=dict)
    _packed: dict[str, _Packing] = field(default_factory=dict)

    def check(self, event: Event, *, path: str) -> None:
        """Raise 403 naming the lot when the party may not add ``event`` to a lot it touches."""
        prefix = f"{path}." if path else ""
        touched = self.lots_touched(event)
        for lot, role in touched.items():
            check_lot(
                event, self.custody(lot), party=self.party, field=prefix + FIELD_OF_ROLE[role]
            )
        for lot in touched:
            self._lots[lot.lot_id] = self.custody(lot).after(event, self.party.code)
        self._remember_packing(event)

    def custody(self, lot: LotRef) -> LotCustody:
        """The lot's facts: from the database, then as this capture changed them."""
        if lot.lot_id not in self._lots:
            self._lots[lot.lot_id] = lot_custody(self.session, lot)
        return self._lots[lot.lot_id]

    def lots_touched(self, event: Event) -> dict[LotRef, str]:
        """Each lot the event names or reaches through a container, with the naming role."""
        named = named_identifiers(event)
        touched: dict[LotRef, str] = {}
        for role, value in named:
            if (lot := lot_of(value)) is not None:
                touched.setdefault(lot, role)
        roles = {value: role for role, value in reversed(named)}  # the first role naming it
        for container in containers_named(event):
            for inside in self._inside(container, event.event_time):
                touched.setdefault(inside, roles[container])
        parent = event.parent_id
        if event.type is EventType.AGGREGATION and parent and lot_of(parent) is None:
            # Packing into or unpacking a pallet changes which events reach the lots already
            # in it: an unpacking naming no child would take every lot out of the pallet.
            for inside in self._inside(parent, event.event_time):
                touched.setdefault(inside, "parent")
        return touched

    def _inside(self, container: str, moment: datetime) -> list[LotRef]:
        found = lots_inside(self.session, container, moment)
        packed = self._packed.get(container)
        if packed is not None and packed.at <= moment:
            found += packed.lots
        return list(dict.fromkeys(found))

    def _remember_packing(self, event: Event) -> None:
        if event.type is not EventType.AGGREGATION or event.action != "ADD" or not event.parent_id:
            return
        children = (*event.child_epcs, *(q.epc_class for q in event.child_quantities))
        lots = [lot for value in children if (lot := lot_of(value)) is not None]
        self._packed[event.parent_id] = _Packing(lots, event.event_time)


def party_locations(session: Session, party_code: str) -> frozenset[str]:
    """GLNs registered for a party."""
    rows = session.exec(
        select(PartyLocationRecord.gln).where(PartyLocationRecord.party_code == party_code)
    ).all()
    return frozenset(rows)


def judge_for(session: Session, party: PartyRecord, locations: Iterable[str]) -> LotJudge:
    """A judge for one capture by ``party``, registered at ``locations``."""
    return LotJudge(session, capturer(party, locations))


def admits(session: Session, record: TraceEventRecord, lot: LotRef) -> bool:
    """Whether a stored event's recorder may have it join ``lot`` (a late container link)."""
    party = session.get(PartyRecord, record.captured_by)
    event = _stored_event(record)
    if party is None or event is None:
        return False
    judge = judge_for(session, party, party_locations(session, party.code))
    return judge.custody(lot).grant(event, judge.party) is not None


# --- brand owners ------------------------------------------------------------------------


def register_prefixes(
    session: Session,
    party: PartyRecord,
    prefixes: Iterable[str],
    *,
    transfer: bool,
    now: datetime,
) -> list[str]:
    """Register GS1 company prefixes to a party (the caller commits); return all of its own.

    A prefix that starts, or is started by, another party's prefix is refused (409
    naming it): two parties would then both own some GTINs, and either could add
    events to the other's lots. With ``transfer`` the very same prefix moves from its
    holder to this party (a licence changing hands); overlapping ones are still refused.
    """
    wanted = list(dict.fromkeys(prefixes))
    held = session.exec(select(PartyCompanyPrefixRecord)).all()
    own = {r.prefix for r in held if r.party_code == party.code}
    for index, prefix in enumerate(wanted):
        for other in held:
            if other.party_code == party.code or not _overlap(prefix, other.prefix):
                continue
            if transfer and other.prefix == prefix:
                session.delete(other)
                continue
            raise Conflict(
                f"company prefix {prefix} overlaps prefix {other.prefix} of party "
                f"{other.party_code}",
                field=f"prefixes[{index}]",
                code="prefix_taken",
            )
    session.flush()
    for prefix in wanted:
        if prefix not in own:
            session.add(
                PartyCompanyPrefixRecord(prefix=prefix, party_code=party.code, created_at=now)
            )
    return sorted(own | set(wanted))


def _overlap(one: str, other: str) -> bool:
    return one.startswith(other) or other.startswith(one)
