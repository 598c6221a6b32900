"""A lot's provenance: its events, lineage, recall status and the on-chain check of each event.

Verification is done by the server from the stored rows, for each event:

1. recompute the CBV 2.0 hash from the *stored* event JSON and context;
2. take the Merkle proof the worker stored for the event in a lot lane
   (this lot's own for its own events, else that of the nearest lot it was
   made from) and ask the chain once,
   ``TraceRegistry.verifyEvent(recomputedHash, proof)``;
3. report, in this order: ``not_anchored`` (no confirmed batch yet),
   ``hash_mismatch`` (the stored event no longer hashes to the anchored hash),
   ``not_on_chain`` (the proof leads to no anchored root), ``recalled`` (the
   proof checks out but the lot is under recall) or ``verified``, with the
   block (from the chain) and the transaction (from the batch);
4. an event captured without a signed envelope is ``unsigned`` ("recorded, not
   signed") where it would otherwise be ``verified`` or ``recalled``: it never
   counts as verified, and the lineage (stages, findings) is built from the
   ``verified`` and ``recalled`` events alone.

Steps 1 and 2 are cached in the runtime's caches (:mod:`api.services.trace.cache`): the hash by the
exact stored text, so a row changed in the database is re-hashed and caught
on its next request; the chain's answer for at most a few seconds, keyed by
the recomputed leaf, the proof and the batch (with its block hash). A page
reads the database in one query per transformation level (events with their
confirmed outbox rows and batches) plus one for the recall records of the
lot and the lots it was made from; on PostgreSQL without BEGIN/ROLLBACK
(:func:`autocommit_reads`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import Select, and_, bindparam, literal
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from api.anchoring.lanes import LotLane
from api.db.models import AnchorBatchRecord, OutboxRecord, PartyRecord, utcnow
from api.db.trace_models import LotRecallRecord, TraceEventLotRecord, TraceEventRecord
from api.errors import Conflict, NotFound
from api.runtime import Caches, Runtime
from api.services.chain_accounts import party_account
from api.services.trace.cache import (
    MAX_ENTRIES,
    ChainFacts,
    RefreshBudget,
    chain_facts,
    lot_view,
    parsed_row,
)
from api.services.trace.cache import row_texts as _row_texts
from api.services.trace.store import LotRef, lot_of
from ledger_client import EventCheck, LedgerError, LotStatus, TraceRegistryClient
from traceability.epcis import Event, EventType
from traceability.gs1 import build_digital_link
from traceability.lineage import Lineage

CheckStatus = Literal[
    "verified",
    "recalled",
    "unsigned",
    "hash_mismatch",
    "not_on_chain",
    "not_anchored",
    "unreadable",
]
#: Checks whose events make up the lot's verified provenance: signed, anchored, hash intact.
PROVENANCE_STATUSES: frozenset[CheckStatus] = frozenset({"verified", "recalled"})
#: How far back through transformations (inputs of inputs...) a lot's history is followed.
MAX_UPSTREAM_DEPTH = 8


@dataclass(frozen=True)
class OnChain:
    """Where the chain holds an event's batch: enough for anyone to look it up themselves."""

    root: str | None
    lot_id: str
    tx_hash: str | None
    chain_id: int | None
    contract_address: str | None
    block_number: int | None = None


@dataclass(frozen=True)
class EventCheckResult:
    """The verification of one stored event; ``anchor`` once its batch is built."""

    event_hash: str  # as captured and anchored (hex)
    recomputed_hash: str  # from the stored row, now (hex)
    status: CheckStatus
    message: str
    anchor: OnChain | None = None

    def to_json(self) -> dict[str, Any]:
        """camelCase JSON (the chain fields are null until the event is anchored)."""
        anchor = self.anchor
        return {
            "eventHash": self.event_hash,
            "recomputedHash": self.recomputed_hash,
            "status": self.status,
            "verified": self.status == "verified",
            "message": self.message,
            "blockNumber": anchor.block_number if anchor else None,
            "txHash": anchor.tx_hash if anchor else None,
            "root": anchor.root if anchor else None,
            "lotId": anchor.lot_id if anchor else None,
            "chainId": anchor.chain_id if anchor else None,
            "contractAddress": anchor.contract_address if anchor else None,
        }


@dataclass(frozen=True)
class RecallState:
    """A lot's recall status: the chain's word, with the reason recorded by sandan."""

    recalled: bool
    reason: str | None
    by: str | None
    tx_hash: str | None
    block_number: int | None
    source: Literal["chain", "database"]
    #: The lot under recall when it is not this one but a lot this one was made from.
    via: LotRef | None = None

    def to_json(self) -> dict[str, Any]:
        """camelCase JSON."""
        return {
            "recalled": self.recalled,
            "via": None if self.via is None else {"gtin": self.via.gtin, "lot": self.via.lot},
            "reason": self.reason,
            "by": self.by,
            "txHash": self.tx_hash,
            "blockNumber": self.block_number,
            "source": self.source,
        }


@dataclass(frozen=True)
class StoredEvent:
    """A stored event as the resolver reads it: the columns it shows and checks, no ORM."""

    id: int
    event_hash: str
    event_id: str
    event_type: str
    event_time: datetime
    biz_location: str | None
    read_point: str | None
    event_json: str
    context_json: str
    captured_by: str
    envelope_hash: str | None
    hash_profile: str


@dataclass(frozen=True)
class AnchorRef:
    """Where an event hash was anchored: its outbox row's proof and lane, and the batch."""

    proof: str | None  # JSON list of hex sibling hashes
    lane: str
    batch_id: str
    root: str | None
    tx_hash: str | None
    block_number: int | None
    block_hash: str | None
    chain_id: int | None
    contract_address: str | None

    @classmethod
    def of(cls, row: OutboxRecord, batch: AnchorBatchRecord) -> AnchorRef:
        """From an outbox row and its (confirmed) batch."""
        return cls(
            row.proof,
            row.lane,
            batch.id,
            batch.root,
            batch.tx_hash,
            batch.block_number,
            batch.block_hash,
            batch.chain_id,
            batch.contract_address,
        )


#: A stored event row: the ORM record, or the lighter read of :func:`lot_history`.
EventRow = TraceEventRecord | StoredEvent


@dataclass(frozen=True)
class Provenance:
    """Everything the consumer page and the JSON provenance show about a lot."""

    lot: LotRef
    records: Sequence[EventRow]
    events: dict[str, Event]  # by stored hash; unreadable rows are left out
    lineage: Lineage
    recall: RecallState
    checks: dict[str, EventCheckResult]
    #: CBV 2.0 hash ID (``ni:///sha-256;…``) of each parsed event, by stored hash.
    hash_ids: dict[str, str] = field(default_factory=dict)
    #: Where each anchored event (by stored hash) was anchored, as sandan stored it.
    anchors: Mapping[str, AnchorRef] = field(default_factory=dict)


@dataclass(frozen=True)
class LotHistory:
    """A lot's stored events (its own and its inputs', in time order) and its input lots."""

    records: list[StoredEvent]
    upstream: list[LotRef]  # lots it was made from, through transformations, nearest first
    #: Where each anchored event (by stored hash) was anchored.
    anchors: dict[str, AnchorRef] = field(default_factory=dict)


def lot_ref(gtin: str, lot: str) -> LotRef:
    """A checked lot reference (check digit and AI formats verified)."""
    uri = build_digital_link(gtin, lot=lot)
    found = lot_of(uri)
    assert found is not None
    return found


# --- events of a lot ---------------------------------------------------------------------

_EVENT_COLUMNS = (
    TraceEventRecord.id,
    TraceEventRecord.event_hash,
    TraceEventRecord.event_id,
    TraceEventRecord.event_type,
    TraceEventRecord.event_time,
    TraceEventRecord.biz_location,
    TraceEventRecord.read_point,
    TraceEventRecord.event_json,
    TraceEventRecord.context_json,
    TraceEventRecord.captured_by,
    TraceEventRecord.envelope_hash,
    TraceEventRecord.hash_profile,
)
_ANCHOR_COLUMNS = (
    OutboxRecord.proof,
    OutboxRecord.lane,
    AnchorBatchRecord.id,
    AnchorBatchRecord.root,
    AnchorBatchRecord.tx_hash,
    AnchorBatchRecord.block_number,
    AnchorBatchRecord.block_hash,
    AnchorBatchRecord.chain_id,
    AnchorBatchRecord.contract_address,
)


# Module-level: the statement is built from the table definitions alone (no argument, no
# database), and SQLAlchemy statements are immutable, so every runtime may share it.
@lru_cache(maxsize=1)
def _history_statement() -> Select[*tuple[Any, ...]]:
    """Events of some lots, each with its confirmed outbox row in the lane of that lot.

    Built once (plain columns, no ORM entities: a page reads every row each time).
    The outbox row is matched on its (kind, lane, subject) unique key.
    """
    lane = literal(LotLane.prefix) + col(TraceEventLotRecord.lot_id)
    return (
        sa_select(*(col(c) for c in (*_EVENT_COLUMNS, *_ANCHOR_COLUMNS)))
        .select_from(TraceEventRecord)
        .join(TraceEventLotRecord, col(TraceEventLotRecord.event_id) == col(TraceEventRecord.id))
        .outerjoin(
            OutboxRecord,
            and_(
                col(OutboxRecord.kind) == LotLane.kind,
                col(OutboxRecord.lane) == lane,
                col(OutboxRecord.subject) == col(TraceEventRecord.event_hash),
            ),
        )
        .outerjoin(
            AnchorBatchRecord,
            and_(
                col(AnchorBatchRecord.id) == col(OutboxRecord.batch_id),
                col(AnchorBatchRecord.state) == "confirmed",
            ),
        )
        .where(col(TraceEventLotRecord.lot_id).in_(bindparam("lot_ids", expanding=True)))
    )


def _anchored_records_of_lots(
    session: Session, lot_ids: Iterable[str]
) -> list[tuple[StoredEvent, AnchorRef | None]]:
    """Events linked to the lots, each with where it was anchored in the lane of that lot."""
    params = {"lot_ids": sorted(set(lot_ids))}
    found: dict[int, tuple[StoredEvent, AnchorRef | None]] = {}
    width = len(_EVENT_COLUMNS)
    for row in session.connection().execute(_history_statement(), params):
        event = StoredEvent(*row[:width])
        anchor = AnchorRef(*row[width:]) if row[width + 2] is not None else None
        if event.id not in found or found[event.id][1] is None:
            found[event.id] = (event, anchor)
    return list(found.values())


def _records_of_lots(session: Session, lot_ids: Iterable[str]) -> list[StoredEvent]:
    return [record for record, _ in _anchored_records_of_lots(session, lot_ids)]


def autocommit_reads(session: Session) -> None:
    """Let a read-only request skip the BEGIN and ROLLBACK round trips on PostgreSQL.

    Under PostgreSQL's READ COMMITTED each statement takes its own snapshot
    whether or not it runs in a transaction, so nothing a reader sees changes.
    SQLite keeps its transaction (its snapshot spans the request, and a local
    BEGIN costs nothing). Call before the session's first query.
    """
    bind = session.get_bind()
    if bind.dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def lot_history(session: Session, lot: LotRef, *, caches: Caches) -> LotHistory:
    """Events of the lot and of the lots it was made from (one query per transformation level).

    Each event comes with its confirmed outbox row (Merkle proof) and batch in the
    lane of the lot it was found through: this lot's own lane for its own events,
    else the nearest input lot's.
    """
    seen = {lot.lot_id}
    frontier = [lot]
    upstream: list[LotRef] = []
    records: dict[int, StoredEvent] = {}
    anchors: dict[str, AnchorRef] = {}
    for _ in range(MAX_UPSTREAM_DEPTH):
        found = _anchored_records_of_lots(session, {ref.lot_id for ref in frontier})
        for record, anchored in found:
            records.setdefault(record.id, record)
            if anchored is not None:
                anchors.setdefault(record.event_hash, anchored)
        inputs = [u for r, _ in found for u in _inputs(caches, r) if u.lot_id not in seen]
        frontier = list({u.lot_id: u for u in inputs}.values())
        if not frontier:
            break
        seen |= {u.lot_id for u in frontier}
        upstream += frontier
    ordered = sorted(records.values(), key=lambda r: (r.event_time, r.id))
    return LotHistory(ordered, upstream, anchors)


def lot_records(session: Session, lot: LotRef, *, caches: Caches) -> list[StoredEvent]:
    """Events of the lot, and of the lots it was made from (through transformations)."""
    return lot_history(session, lot, caches=caches).records


def lots_of_record(session: Session, record: TraceEventRecord) -> list[LotRef]:
    """The lots an event is linked to."""
    rows = session.exec(
        select(TraceEventLotRecord).where(TraceEventLotRecord.event_id == record.id)
    ).all()
    return [LotRef(r.gtin, r.lot) for r in rows]


def _inputs(caches: Caches, record: EventRow) -> list[LotRef]:
    if record.event_type != EventType.TRANSFORMATION.value:
        return []
    raw = parsed_row(caches, record).raw or {}
    values = [q.get("epcClass") for q in raw.get("inputQuantityList") or [] if isinstance(q, dict)]
    values += list(raw.get("inputEPCList") or [])
    return [lot for v in values if isinstance(v, str) and (lot := lot_of(v)) is not None]


def read_event(record: EventRow, *, caches: Caches) -> Event | None:
    """The stored event parsed again, or None when the stored JSON no longer validates."""
    return parsed_row(caches, record).event


# --- recall ---------------------------------------------------------------------------------


def upstream_lots(session: Session, lot: LotRef, *, caches: Caches) -> list[LotRef]:
    """The lots this lot was made from, through transformations, nearest first."""
    return lot_history(session, lot, caches=caches).upstream


def recall_state(
    *, session: Session, runtime: Runtime, lot: LotRef, history: LotHistory | None = None
) -> RecallState:
    """The lot's recall status, or that of a lot it was made from: a recall of the raw
    fruit shows on every case packed from it."""
    upstream = (history or lot_history(session, lot, caches=runtime.caches)).upstream
    lots = [lot, *upstream]
    last = _last_recall_records(session, [ref.lot_id for ref in lots])
    facts = chain_facts(runtime)
    # A recall recorded by another process (its latest record id) voids this one's answers.
    facts.note_recall_records({ref.lot_id: _record_id(last.get(ref.lot_id)) for ref in lots})
    own = _own_recall_state(facts, lot, last.get(lot.lot_id))
    if own.recalled:
        return own
    for ref in upstream:
        state = _own_recall_state(facts, ref, last.get(ref.lot_id))
        if state.recalled:
            return replace(state, via=ref)
    return own


@dataclass(frozen=True)
class _RecallRecord:
    """The columns of a recall record the recall state shows."""

    lot_id: str
    action: str
    reason: str
    party_code: str
    tx_hash: str
    block_number: int
    id: int | None


def _record_id(record: _RecallRecord | None) -> int:
    return record.id or 0 if record is not None else 0


def _last_recall_records(session: Session, lot_ids: list[str]) -> dict[str, _RecallRecord]:
    """The latest recall record (recall or clearance) of each lot, in one query."""
    stmt = (
        sa_select(
            col(LotRecallRecord.lot_id),
            col(LotRecallRecord.action),
            col(LotRecallRecord.reason),
            col(LotRecallRecord.party_code),
            col(LotRecallRecord.tx_hash),
            col(LotRecallRecord.block_number),
            col(LotRecallRecord.id),
        )
        .where(col(LotRecallRecord.lot_id).in_(lot_ids))
        .order_by(col(LotRecallRecord.id).desc())
    )
    last: dict[str, _RecallRecord] = {}
    for row in session.connection().execute(stmt):
        last.setdefault(row[0], _RecallRecord(*row))
    return last


def _own_recall_state(facts: ChainFacts, lot: LotRef, last: _RecallRecord | None) -> RecallState:
    """The chain's recall status of the lot (the database's last record when the chain is down)."""
    try:
        status: LotStatus | None = facts.lot_status(bytes.fromhex(lot.lot_id))
    except LedgerError:
        status = None
    recalled = status.recalled if status is not None else bool(last and last.action == "recall")
    source: Literal["chain", "database"] = "chain" if status is not None else "database"
    if last is None:
        return RecallState(
            recalled, None, None, None, status.status_block if status else None, source
        )
    return RecallState(
        recalled, last.reason, last.party_code, last.tx_hash, last.block_number, source
    )


def change_recall(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    lot: LotRef,
    reason: str,
    recall: bool,
) -> LotRecallRecord:
    """Recall a lot (or clear its recall) on chain through the inspector's own account."""
    current = runtime.ledger().trace.lot_status(bytes.fromhex(lot.lot_id))
    if current.recalled == recall:
        state = "already under recall" if recall else "not under recall"
        raise Conflict(f"lot {lot.gtin}/{lot.lot} is {state}", code="recall_unchanged")
    account = party_account(session=session, runtime=runtime, party=party)
    ledger = runtime.ledger()
    client = TraceRegistryClient(ledger.w3, ledger.trace_registry_address, account, confirmations=1)
    key = bytes.fromhex(lot.lot_id)
    result = client.recall_lot(key, reason) if recall else client.clear_recall(key, reason)
    record = LotRecallRecord(
        lot_id=lot.lot_id,
        gtin=lot.gtin,
        lot=lot.lot,
        action="recall" if recall else "clear",
        reason=reason,
        party_code=party.code,
        tx_hash=str(result.tx_hash),
        block_number=result.block_number,
        created_at=utcnow(),
    )
    session.add(record)
    session.commit()
    # This process changed the chain: its cached answers must not hide it for the TTL.
    chain_facts(runtime).forget()
    return record


# --- verification ------------------------------------------------------------------------


def _anchor_rows(session: Session, event_hashes: Iterable[str], lane: str) -> dict[str, AnchorRef]:
    """The confirmed outbox row of each event (this lot's lane first), in one query."""
    stmt = (
        select(OutboxRecord, AnchorBatchRecord)
        .join(AnchorBatchRecord, col(AnchorBatchRecord.id) == col(OutboxRecord.batch_id))
        .where(
            OutboxRecord.kind == "event",
            col(OutboxRecord.subject).in_(list(set(event_hashes))),
            AnchorBatchRecord.state == "confirmed",
        )
    )
    found: dict[str, AnchorRef] = {}
    for row, batch in session.exec(stmt).all():
        current = found.get(row.subject)
        if current is None or (current.lane != lane and row.lane == lane):
            found[row.subject] = AnchorRef.of(row, batch)
    return found


def recompute(record: EventRow, *, caches: Caches) -> str:
    """The CBV 2.0 hash (hex) of the stored event as it is now."""
    return parsed_row(caches, record).recomputed


def check_event(
    *, session: Session, runtime: Runtime, record: TraceEventRecord, lot: LotRef
) -> EventCheckResult:
    """Recompute the event's hash from the stored row and check its proof on chain (one call)."""
    anchored = _anchor_rows(session, [record.event_hash], lot.lane).get(record.event_hash)
    return _check(chain_facts(runtime), runtime.caches, record, anchored, RefreshBudget())


def _check(
    facts: ChainFacts,
    caches: Caches,
    record: EventRow,
    anchored: AnchorRef | None,
    budget: RefreshBudget,
) -> EventCheckResult:
    recomputed = recompute(record, caches=caches)
    if anchored is None:
        return EventCheckResult(
            record.event_hash,
            recomputed,
            "not_anchored",
            "not anchored yet: waiting for the next batch",
        )
    leaf = bytes.fromhex(recomputed) if recomputed else bytes(32)
    key = (leaf, _proof(anchored.proof), anchored.batch_id, anchored.block_hash)
    check = facts.verify_event(key, budget=budget)
    result = _outcome(record.event_hash, recomputed, anchored, check)
    if record.envelope_hash is None and result.status in PROVENANCE_STATUSES:
        # The chain holds what sandan received, but no key of the recorder vouches for it:
        # anyone with an API key could have sent it, so it is no verified provenance.
        message = (
            f"recorded, not signed: anchored on chain as received from {record.captured_by}, "
            "but no signature of that party vouches for it"
        )
        return replace(result, status="unsigned", message=message)
    return result


# Module-level: a pure function whose four arguments (frozen values, the chain's answer
# among them) fully determine the result, so it holds nothing a runtime could disagree on.
@lru_cache(maxsize=MAX_ENTRIES)
def _outcome(
    event_hash: str, recomputed: str, anchored: AnchorRef, check: EventCheck
) -> EventCheckResult:
    """What the stored hash, the recomputed one, the batch and the chain's answer add up to.

    Pure, so cached by its arguments (all immutable values): the same four
    answer the same for as long as the chain's answer itself is reused.
    """
    on_chain = OnChain(
        root=check.root.hex(),
        lot_id=check.lot_id.hex() if check.lot_id else anchored.lane.removeprefix(LotLane.prefix),
        tx_hash=anchored.tx_hash,
        chain_id=anchored.chain_id,
        contract_address=anchored.contract_address,
    )
    message = f"the Merkle proof leads to root {check.root.hex()}, which is not anchored on chain"
    base = EventCheckResult(event_hash, recomputed, "not_on_chain", message, on_chain)
    if recomputed != event_hash:
        message = (
            "the stored event hashes to a different value than the one anchored: "
            "it was changed after capture"
        )
        stored = replace(on_chain, root=anchored.root, block_number=anchored.block_number)
        return replace(base, status="hash_mismatch", message=message, anchor=stored)
    if not check.anchored:
        return base
    in_block = replace(on_chain, block_number=check.block_number)
    if check.recalled:
        message = "anchored on chain, but the lot it was anchored for is under recall"
        return replace(base, status="recalled", message=message, anchor=in_block)
    return replace(base, status="verified", message="verified on chain", anchor=in_block)


def provenance(
    *, session: Session, runtime: Runtime, lot: LotRef, history: LotHistory | None = None
) -> Provenance:
    """The lot's events, lineage, recall state and per-event verification.

    ``history`` is the lot's :func:`lot_history` when the caller already read it.
    """
    caches = runtime.caches
    history = history or lot_history(session, lot, caches=caches)
    records = history.records
    if not records:
        raise NotFound(f"no events recorded for lot {lot.lot} of GTIN {lot.gtin}", field="path./10")
    recall = recall_state(session=session, runtime=runtime, lot=lot, history=history)
    facts = chain_facts(runtime)
    budget = RefreshBudget()
    anchors = history.anchors
    checks = {
        r.event_hash: _check(facts, caches, r, anchors.get(r.event_hash), budget) for r in records
    }
    # Stages and findings come from the verified provenance alone: an unsigned, unanchored
    # or altered event is listed with its check but can neither fill a gap nor open one.
    trusted = [r for r in records if checks[r.event_hash].status in PROVENANCE_STATUSES]
    view = lot_view(caches, _row_texts(trusted), lot.gtin, lot.lot, recall.recalled)
    events = {
        r.event_hash: event for r in records if (event := parsed_row(caches, r).event) is not None
    }
    events.update(view.events)  # the lineage's own objects: pages map stages by identity
    hash_ids = {
        r.event_hash: hash_id
        for r in records
        if (hash_id := parsed_row(caches, r).hash_id) is not None
    }
    return Provenance(lot, records, events, view.lineage, recall, checks, hash_ids, anchors)


# Module-level: a pure function of one immutable string, returning immutable bytes.
@lru_cache(maxsize=MAX_ENTRIES)
def _proof(text: str | None) -> tuple[bytes, ...]:
    """A stored Merkle proof (JSON list of hex) as bytes (cached by its exact text)."""
    return tuple(bytes.fromhex(p) for p in json.loads(text or "[]"))


def certificates_of(records: Iterable[EventRow], *, caches: Caches) -> list[str]:
    """Certificate URIs named by the events (certificationInfo), in event order."""
    found: list[str] = []
    for record in records:
        raw = parsed_row(caches, record).raw
        if raw is None:
            continue
        value = raw.get("certificationInfo")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item not in found:
                found.append(item)
    return found
