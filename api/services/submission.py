"""One write path for signed submissions: single and bulk JSON, CEB XML and EPCIS envelopes.

Each entry point checks its own wire format (envelope shape, signature, role,
schema) and hands over *prepared* submissions; this module decides what each
one is and stores it. For a whole batch, with one query per concern:

* its replay key (keyId, salt), judged by :func:`traceability.check_replay`,
  which also holds every submission to its key's validity and the clock-skew
  window: **new**, **idempotent** (the same payload again: the same answer,
  nothing stored) or a **replay** (the pair signed other bytes: refused);
* a new document's business key (which names its signer): a **new version**
  supersedes the current one, unless a released trade holds that one (409).

New rows and their outbox rows are added to the caller's session (the outbox
rows of a batch in one multi-row INSERT) and nothing is committed here, except
by :func:`submit`, which gives a batch of documents one transaction and, when
a concurrent writer wins a race, settles each document on its own.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, col, select

from api.db import crud
from api.db.models import DocumentRecord, OutboxRecord, TradeRecord, table_of, utcnow
from api.db.trace_models import TraceEnvelopeRecord, TraceEventRecord
from api.errors import ApiError, Conflict
from api.runtime import Runtime
from api.schemas import DocumentPublic
from api.services import documents, warehouse_ledger
from api.services.documents import Submission, WriteContext
from api.services.trace import custody
from api.services.trace import store as trace_store
from api.services.trade_claims import CurrentDocument
from api.services.trade_linker import TradeLinker, is_frozen
from traceability import (
    PartyKey,
    Resubmission,
    SignedClaim,
    TraceabilityError,
    VerifiedEnvelope,
    check_replay,
)
from traceability.epcis import Event, anchored_hash_bytes
from traceability.epcis.hashing import LEGACY_PROFILE

ReplayKey = tuple[str, str]
#: Parsed models of stored trade documents by content hash (``Runtime.caches.documents``).
Refusal = ApiError | TraceabilityError


def context_of(runtime: Runtime, *, now: datetime | None = None) -> WriteContext:
    """``now`` (by default the current time), the configured clock skew, the runtime's caches
    and the zone's digest profile."""
    skew = timedelta(seconds=runtime.settings.max_clock_skew_seconds)
    return WriteContext(now or utcnow(), skew, runtime.caches.documents, runtime.digest)


@dataclass(frozen=True)
class Decision:
    """What became of one document: stored now, stored before, or refused and why."""

    content_hash: str
    created: bool = False
    refused: Refusal | None = None
    #: The column values a new document was inserted with.
    row: dict[str, Any] | None = None

    @property
    def record(self) -> DocumentRecord | None:
        """The new document as inserted (detached: its trade link is the database's)."""
        return DocumentRecord(**self.row) if self.row is not None else None


@dataclass(frozen=True)
class Candidate:
    """A valid EPCIS event ready to store."""

    event: Event
    context: Any
    hash_hex: str
    path: str
    #: The stored hash of the event this one declares an error on (it shares its eventID).
    declares: str | None = None


@dataclass
class Captured:
    """The hashes of the events a capture stored and of those already stored."""

    captured: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)


# --- the replay rule, over a batch ------------------------------------------------------


def _stored_under(
    session: Session,
    table: type[DocumentRecord] | type[TraceEnvelopeRecord],
    keys: Collection[ReplayKey],
) -> dict[ReplayKey, bytes]:
    """The content hash stored under each replay key: one query for the batch."""
    rows = session.exec(
        select(col(table.key_id), col(table.salt), col(table.content_hash)).where(
            col(table.key_id).in_({key_id for key_id, _ in keys}),
            col(table.salt).in_({salt for _, salt in keys}),
        )
    ).all()
    return {(k, s): bytes.fromhex(h) for k, s, h in rows if (k, s) in keys}


def _judge(
    stored: dict[ReplayKey, bytes],
    replay_key: ReplayKey,
    claim: SignedClaim,
    key: PartyKey,
    context: WriteContext,
) -> Resubmission:
    """check_replay against the database and the batch's earlier items; raises on refusal."""
    verdict = check_replay(
        claim, stored.get(replay_key), key=key, now=context.now, max_clock_skew=context.max_skew
    )
    stored.setdefault(replay_key, claim.content_hash)
    return verdict


# --- documents --------------------------------------------------------------------------


def _claim(submission: Submission) -> SignedClaim:
    return SignedClaim(submission.issued_at, bytes.fromhex(submission.content_hash))


def plan_documents(
    *, session: Session, submissions: Sequence[Submission], context: WriteContext
) -> list[Decision]:
    """Decide, without writing, whether each document is new, idempotent or refused."""
    stored = _stored_under(session, DocumentRecord, {(s.key_id, s.salt) for s in submissions})
    decisions = []
    for item in submissions:
        try:
            verdict = _judge(stored, (item.key_id, item.salt), _claim(item), item.key, context)
        except TraceabilityError as exc:
            decisions.append(Decision(item.content_hash, refused=exc))
            continue
        decisions.append(Decision(item.content_hash, created=verdict is Resubmission.NEW))
    return decisions


def store_documents(
    *, session: Session, submissions: Sequence[Submission], context: WriteContext
) -> list[Decision]:
    """Decide each document and add the new ones to the session (the caller commits)."""
    decisions = plan_documents(session=session, submissions=submissions, context=context)
    fresh = [item for item, d in zip(submissions, decisions, strict=True) if d.created]
    rows = {r["content_hash"]: r for r in _add_documents(session, fresh, context)}
    return [
        Decision(d.content_hash, created=True, row=rows[d.content_hash]) if d.created else d
        for d in decisions
    ]


def _add_documents(
    session: Session, fresh: Sequence[Submission], context: WriteContext
) -> list[dict[str, Any]]:
    """Rows, supersessions and outbox rows of new documents; each touched trade re-matched once."""
    if not fresh:
        return []
    keys = {documents.business_key(s.document, s.party) for s in fresh}
    latest: dict[str, DocumentRecord | dict[str, Any]] = {
        r.doc_key: r
        for r in session.exec(
            select(DocumentRecord).where(
                col(DocumentRecord.doc_key).in_(keys), col(DocumentRecord.superseded_by).is_(None)
            )
        ).all()
    }
    _refuse_released_versions(session, fresh, latest)
    outbox: list[dict[str, Any]] = []
    rows = []
    for item in fresh:
        key = documents.business_key(item.document, item.party)
        row = documents.new_version(
            session=session, submission=item, previous=latest.get(key), outbox=outbox
        )
        latest[key] = row
        rows.append(row)
    session.flush()  # the superseded rows first: the linker reads current versions
    linker = TradeLinker(session, documents=context.parsed, digest=context.digest)
    created = [(_current(row), item.document) for row, item in zip(rows, fresh, strict=True)]
    linker.preload(created)
    with session.no_autoflush:
        for stored, document in created:
            linker.link(stored, document)
    linker.rematch_touched()
    for row, (stored, _) in zip(rows, created, strict=True):
        row["trade_id"] = stored.trade_id
    # Inserted once linked, one executemany each, of plain values: no ORM object (nor
    # RETURNING, nor a later UPDATE) per document.
    session.execute(insert(table_of(DocumentRecord)), rows)
    session.execute(insert(table_of(OutboxRecord)), outbox)
    return rows


def _current(row: dict[str, Any]) -> CurrentDocument:
    """What the linker reads of a new document's row (it sets ``trade_id``)."""
    return CurrentDocument(
        id=None,
        content_hash=row["content_hash"],
        party_code=row["party_code"],
        doc_type=row["doc_type"],
        doc_key=row["doc_key"],
        trade_id=None,
        link_order_no=row["link_order_no"],
        link_logistics_no=row["link_logistics_no"],
        version=row["version"],
        superseded_by=row["superseded_by"],
    )


def _refuse_released_versions(
    session: Session,
    fresh: Sequence[Submission],
    latest: dict[str, DocumentRecord | dict[str, Any]],
) -> None:
    """409 for a new version of a document a released trade holds: it would take over the
    release customs gave the old one. A corrected document needs a new trade (and a new
    customs decision); the released documents stay what customs judged."""
    held = {r.trade_id for r in latest.values() if isinstance(r, DocumentRecord) and r.trade_id}
    if not held:
        return
    released = {
        t.trade_id: t
        for t in session.exec(select(TradeRecord).where(col(TradeRecord.trade_id).in_(held)))
        if is_frozen(t)
    }
    for item in fresh:
        previous = latest.get(documents.business_key(item.document, item.party))
        stored = previous if isinstance(previous, DocumentRecord) else None
        trade = released.get(stored.trade_id or "") if stored else None
        if trade is not None:
            raise Conflict(
                f"trade {trade.trade_id} was released by customs in block {trade.release_block} "
                f"(tx {trade.release_tx}); a new version of its {item.document.kind.value} "
                f"cannot take over that release",
                field="payload.document",
                code="trade_released",
                extra={
                    "tradeId": trade.trade_id,
                    "releaseBlock": trade.release_block,
                    "releaseTx": trade.release_tx,
                    "supersedes": stored.content_hash if stored else None,
                },
            )


def submit(
    *, session: Session, submissions: Sequence[Submission], context: WriteContext
) -> list[Decision]:
    """Store a batch of documents in one transaction; after a lost race, each on its own."""
    if len(submissions) > 1:
        try:
            decisions = store_documents(session=session, submissions=submissions, context=context)
            session.commit()
            return decisions
        except (DBAPIError, ApiError, TraceabilityError):
            session.rollback()
    return [_submit_alone(session, item, context) for item in submissions]


def _submit_alone(session: Session, item: Submission, context: WriteContext) -> Decision:
    try:
        (decision,) = store_documents(session=session, submissions=[item], context=context)
        session.commit()
    except IntegrityError:
        # A concurrent submission of the same bytes (or key/salt, or version) won the race.
        session.rollback()
        (decision,) = plan_documents(session=session, submissions=[item], context=context)
        if decision.created:
            conflict = Conflict(
                "another version of this document was stored concurrently; resubmit",
                code="concurrent_version",
            )
            return Decision(item.content_hash, refused=conflict)
    except (ApiError, TraceabilityError) as exc:
        session.rollback()
        return Decision(item.content_hash, refused=exc)
    return decision


def document_result(*, session: Session, decision: Decision) -> DocumentPublic:
    """The public view of a decided document; raises its refusal."""
    if decision.refused is not None:
        raise decision.refused
    # Read back, not rebuilt from the inserted values: linking set the document's trade.
    record = crud.get_document(session=session, content_hash=decision.content_hash)
    assert record is not None
    return documents.document_public(session=session, record=record, created=decision.created)


# --- EPCIS captures ---------------------------------------------------------------------


def store_capture(
    *,
    session: Session,
    envelope: VerifiedEnvelope | None,
    candidates: Sequence[Candidate],
    party_code: str,
    capture_id: str | None,
    context: WriteContext,
) -> Captured:
    """Store the envelope once and the events not stored yet; the caller commits.

    A replayed envelope is refused (:class:`~traceability.ReplayedEnvelope`), and
    so is a new event reusing the eventID of another (:class:`Conflict`). The
    candidates' lots were judged by the capture (:class:`~api.services.trace.custody.LotJudge`);
    events captured earlier that a packing brings into a lot are judged here.
    """
    envelope_hash = _store_envelope(session, envelope, party_code, context) if envelope else None
    new, outcome = _new_events(session, candidates)
    now = utcnow()
    for item in new:
        record = trace_store.new_event_record(
            event=item.event,
            hash_hex=item.hash_hex,
            context=item.context,
            party_code=party_code,
            envelope_hash=envelope_hash,
            capture_id=capture_id,
            now=now,
        )
        trace_store.add_event(
            session=session, record=record, event=item.event, admits=custody.admits
        )
        # In the capture's transaction: the stock ledger never drifts from the events.
        warehouse_ledger.record_capture(
            session, record=record, event=item.event, declares=item.declares
        )
    return outcome


def _store_envelope(
    session: Session, verified: VerifiedEnvelope, party_code: str, context: WriteContext
) -> str:
    envelope = verified.envelope
    content_hash = envelope.content_hash.hex()
    replay_key = (envelope.payload.key_id, envelope.payload.salt)
    stored = _stored_under(session, TraceEnvelopeRecord, {replay_key})
    verdict = _judge(stored, replay_key, SignedClaim.of(envelope), verified.key, context)
    if verdict is Resubmission.NEW:
        session.add(
            TraceEnvelopeRecord(
                content_hash=content_hash,
                party_code=party_code,
                key_id=replay_key[0],
                salt=replay_key[1],
                envelope=json.dumps(envelope.to_wire(), ensure_ascii=False),
                received_at=utcnow(),
            )
        )
    return content_hash


def _stored_under_legacy_profile(
    session: Session, candidates: Sequence[Candidate]
) -> dict[str, str]:
    """Candidates stored before the default hash profile changed, by today's hash: the stored
    hash of each (one query to learn whether any old-profile row exists at all)."""
    legacy_rows = select(TraceEventRecord.event_hash).where(
        TraceEventRecord.hash_profile == LEGACY_PROFILE
    )
    if session.exec(legacy_rows.limit(1)).first() is None:
        return {}
    old = {
        anchored_hash_bytes(c.event.raw, context=c.event.context, profile=LEGACY_PROFILE).hex(): (
            c.hash_hex
        )
        for c in candidates
    }
    found = session.exec(legacy_rows.where(col(TraceEventRecord.event_hash).in_(old))).all()
    return {old[digest]: digest for digest in found}


def _new_events(
    session: Session, candidates: Sequence[Candidate]
) -> tuple[list[Candidate], Captured]:
    """Events not stored yet (each once); a different event under a used eventID is refused."""
    hashes = {c.hash_hex for c in candidates}
    stored = set(
        session.exec(
            select(TraceEventRecord.event_hash).where(col(TraceEventRecord.event_hash).in_(hashes))
        ).all()
    )
    stored_as = _stored_under_legacy_profile(session, candidates)
    ids = {c.event.event_id for c in candidates if c.event.event_id and c.hash_hex not in stored}
    taken = set(
        session.exec(
            select(TraceEventRecord.event_id).where(col(TraceEventRecord.event_id).in_(ids))
        ).all()
        if ids
        else ()
    )
    new, outcome = [], Captured()
    for item in candidates:
        if item.hash_hex in stored:
            outcome.duplicates.append(item.hash_hex)
            continue
        if item.hash_hex in stored_as:  # the same event, stored before the profile changed
            outcome.duplicates.append(stored_as[item.hash_hex])
            continue
        if item.event.event_id in taken and item.declares is None:
            where = f"{item.path}.eventID" if item.path else "eventID"
            raise Conflict(
                f"eventID {item.event.event_id} is already used by a different event", field=where
            )
        new.append(item)
        stored.add(item.hash_hex)
        taken.add(item.event.event_id or item.event.hash)
        outcome.captured.append(item.hash_hex)
    return new, outcome
