"""EPCIS 2.0 capture: plain or signed events, synchronous (``/events``) or as a job (``/capture``).

Events arrive in two ways. *Plain*: the body is an event or an EPCISDocument,
authenticated by the party's API key; sandan records who captured it.
*Signed* (stronger, used by the demo): the body is a signed envelope of
``docType`` "epcis-event" whose document is the event or the EPCISDocument,
so the capturing party's own key vouches for the exact bytes.

Each event is validated (names the field otherwise), checked against the
capture policy (:mod:`api.services.trace.policy`), hashed (CBV 2.0) and stored
with its lot links and outbox rows in one transaction, through the write path
every signed submission takes (:mod:`api.services.submission`): an envelope or
an event already stored is not stored again (idempotent capture), and an
envelope's keyId and salt never sign two bodies.

A capture job is written (with its body) before any work is done and is
processed by a background task; a job left ``pending`` or ``running`` by a
crash is picked up again by the next capture or status request.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from api.db.models import PartyRecord, utcnow
from api.db.trace_models import CaptureJobRecord, TraceEventRecord
from api.errors import Conflict, NotFound, PermissionDenied, UnprocessableContent
from api.runtime import Runtime
from api.services import keys as key_service
from api.services import submission
from api.services.documents import WriteContext
from api.services.parties import party_roles
from api.services.submission import Candidate
from api.services.trace import lots as trace_lots
from api.services.trace.custody import LotJudge, judge_for, owners_of, party_locations
from api.services.trace.policy import check_capture, check_declaration
from traceability import (
    DocType,
    MalformedEnvelope,
    SignedEnvelope,
    TraceabilityError,
    VerifiedEnvelope,
    verify_envelope,
)
from traceability.epcis import Event, InvalidEvent, Issue, document_issues, parse_event
from traceability.epcis.hashing import event_hash_bytes
from traceability.limits import MAX_REPORTED_ISSUES

logger = logging.getLogger("sandan.capture")

ErrorBehaviour = Literal["rollback", "proceed"]
#: A job still pending or running this long after its last start is taken over.
STALE_AFTER = timedelta(seconds=60)
_EVENT_PATH = re.compile(r"^epcisBody\.eventList\[(\d+)\]")


@dataclass(frozen=True)
class Incoming:
    """What a capture body carries once its envelope (if any) is opened."""

    data: Any
    envelope: VerifiedEnvelope | None = None


@dataclass
class Outcome:
    """What a capture did: stored, duplicate and rejected events, and the errors."""

    captured: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


# --- envelopes -------------------------------------------------------------------------


def is_envelope(data: Any) -> bool:
    """Whether a body is a signed envelope rather than bare EPCIS JSON."""
    return isinstance(data, dict) and "payload" in data and "signature" in data


def open_body(
    *, session: Session, party: PartyRecord, data: Any, context: WriteContext
) -> Incoming:
    """Verify a signed envelope (signer = caller, docType epcis-event) or pass plain JSON on."""
    if not isinstance(data, dict):
        raise UnprocessableContent("the body must be a JSON object", field="body")
    if not is_envelope(data):
        return Incoming(data)
    envelope = SignedEnvelope.parse(data)
    payload = envelope.payload
    if payload.doc_type is not DocType.EPCIS_EVENT:
        raise MalformedEnvelope(
            f"docType must be {DocType.EPCIS_EVENT.value!r} to capture events",
            field="payload.docType",
        )
    if payload.party != party.code:
        raise PermissionDenied(
            f"envelope is signed for party {payload.party!r}, not the caller {party.code!r}",
            field="payload.party",
        )
    registry = key_service.registry_for(session=session, party_code=party.code)
    verified = verify_envelope(envelope, registry, now=context.now, max_clock_skew=context.max_skew)
    return Incoming(payload.document, verified)


# --- checking events ---------------------------------------------------------------------


def candidate(
    raw: Any,
    *,
    context: Any,
    path: str,
    party: PartyRecord,
    locations: frozenset[str],
    judge: LotJudge,
    earlier: AbstractSet[str] = frozenset(),
) -> Candidate:
    """Validate, authorise (role, place, then each lot it touches) and hash one event;
    raise a 4xx error naming the field.

    ``earlier``: the hashes of the plain events accepted before it in the same capture,
    which its own party may declare an error on at once.
    """
    if not isinstance(raw, dict):
        raise InvalidEvent([Issue(path or "$", "an event must be a JSON object")])
    try:
        event = parse_event(raw, context=context)
    except InvalidEvent as exc:
        if not path:
            raise
        raise InvalidEvent([Issue(f"{path}.{i.path}", i.message) for i in exc.issues]) from exc
    declared = declared_event(judge.session, event)
    if declared is not None:
        check_declaration(
            party_code=party.code,
            recorder=declared.captured_by,
            owners={
                code
                for lot in trace_lots.lots_of_record(judge.session, declared)
                for code in owners_of(judge.session, lot.gtin)
            },
            event_id=declared.event_id,
            field=f"{path}.errorDeclaration" if path else "errorDeclaration",
        )
        return Candidate(event, context, event.hash_bytes.hex(), path, declared.event_hash)
    if event.raw.get("errorDeclaration") is not None and event.plain_hash_bytes.hex() in earlier:
        # Declared on an event this party records in this very capture: its recorder.
        plain = event.plain_hash_bytes.hex()
        return Candidate(event, context, event.hash_bytes.hex(), path, plain)
    check_capture(
        event,
        party_code=party.code,
        roles=party_roles(party),
        locations=locations,
        path=path,
    )
    judge.check(event, path=path)
    return Candidate(event, context, event.hash_bytes.hex(), path)


def declared_event(session: Session, event: Event) -> TraceEventRecord | None:
    """The stored event that ``event`` declares an error on, if it carries a declaration.

    It is the first stored event that is ``event`` without its declaration: the same
    CBV 2.0 hash (which leaves ``errorDeclaration`` out), under the same eventID if any.
    """
    if event.raw.get("errorDeclaration") is None:
        return None
    plain = event.plain_hash_bytes
    match = col(TraceEventRecord.event_hash) == plain.hex()
    if event.event_id:
        match = or_(match, col(TraceEventRecord.event_id) == event.event_id)
    for record in session.exec(
        select(TraceEventRecord).where(match).order_by(col(TraceEventRecord.id))
    ).all():
        raw, context = json.loads(record.event_json), json.loads(record.context_json)
        if event_hash_bytes(raw, context=context) == plain:
            return record
    return None


def _error(path: str, message: str, code: str, status: int) -> dict[str, Any]:
    index = _EVENT_PATH.match(path)
    return {
        "field": path,
        "message": message,
        "error": code,
        "status": status,
        "eventIndex": int(index.group(1)) if index else None,
    }


def check_document(
    document: Any, *, session: Session, party: PartyRecord, locations: frozenset[str]
) -> tuple[list[Candidate], list[dict[str, Any]], int]:
    """Valid events of an EPCISDocument, the errors of the others, and the event count.

    Each event's lots are judged with what the events before it were accepted for.
    """
    issues = document_issues(document)
    fatal = [i for i in issues if not _EVENT_PATH.match(i.path)]
    if fatal:
        return [], [_error(i.path, i.message, "invalid_document", 422) for i in fatal], 0
    bad = {int(m.group(1)) for i in issues if (m := _EVENT_PATH.match(i.path))}
    errors = [_error(i.path, i.message, "invalid_event", 422) for i in issues]
    events = document["epcisBody"]["eventList"]
    found: list[Candidate] = []
    accepted: set[str] = set()  # hashes of the events found so far
    judge = judge_for(session, party, locations)
    for index, raw in enumerate(events):
        if index in bad:
            continue
        path = f"epcisBody.eventList[{index}]"
        try:
            found.append(
                candidate(
                    raw,
                    context=document["@context"],
                    path=path,
                    party=party,
                    locations=locations,
                    judge=judge,
                    earlier=accepted,
                )
            )
            accepted.add(found[-1].hash_hex)
        except PermissionDenied as exc:
            errors.append(_error(exc.field or path, exc.message, exc.code, exc.status_code))
        except TraceabilityError as exc:
            errors.append(_error(exc.field or path, exc.message, exc.reason, 422))
    errors.sort(key=lambda e: e["eventIndex"] if e["eventIndex"] is not None else -1)
    return found, errors, len(events)


# --- storing ---------------------------------------------------------------------------


def capture_one(
    *, session: Session, runtime: Runtime, party: PartyRecord, data: Any
) -> tuple[TraceEventRecord, bool]:
    """``POST /events``: capture one event now; returns its row and whether it is new."""
    context = submission.context_of(runtime)
    incoming = open_body(session=session, party=party, data=data, context=context)
    raw = incoming.data
    if isinstance(raw, dict) and raw.get("type") == "EPCISDocument":
        raise UnprocessableContent("send an EPCISDocument to /capture", field="type")
    locations = party_locations(session, party.code)
    judge = judge_for(session, party, locations)
    item = candidate(raw, context=None, path="", party=party, locations=locations, judge=judge)
    for attempt in range(2):
        try:
            outcome = submission.store_capture(
                session=session,
                envelope=incoming.envelope,
                candidates=[item],
                party_code=party.code,
                capture_id=None,
                context=context,
            )
            session.commit()
            break
        except IntegrityError:
            session.rollback()  # a concurrent capture of the same event won: look again
            if attempt:
                raise
    record = session.exec(
        select(TraceEventRecord).where(TraceEventRecord.event_hash == item.hash_hex)
    ).one()
    return record, bool(outcome.captured)


# --- capture jobs ------------------------------------------------------------------------


def create_job(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    data: Any,
    behaviour: ErrorBehaviour,
    max_events: int,
) -> CaptureJobRecord:
    """Check the envelope and the document's shape, then write the job (before any work)."""
    context = submission.context_of(runtime)
    incoming = open_body(session=session, party=party, data=data, context=context)
    document = incoming.data
    fatal = [i for i in document_issues(document) if not _EVENT_PATH.match(i.path)]
    if fatal:
        raise InvalidEvent(fatal)
    count = len(document["epcisBody"]["eventList"])
    if count > max_events:
        from api.errors import PayloadTooLarge

        raise PayloadTooLarge(
            f"at most {max_events} events per capture", field="epcisBody.eventList"
        )
    job = CaptureJobRecord(
        id=secrets.token_hex(16),
        party_code=party.code,
        error_behaviour=behaviour,
        body=json.dumps(data, ensure_ascii=False),
        event_count=count,
        created_at=context.now,
    )
    session.add(job)
    session.commit()
    return job


def process_job(runtime: Runtime, job_id: str) -> None:
    """Run one capture job to its end (safe to call again after a crash)."""
    with Session(runtime.engine, expire_on_commit=False) as session:
        job = _claim(session, job_id)
        if job is None:
            return
        party = session.get(PartyRecord, job.party_code)
        assert party is not None
        for attempt in range(2):
            try:
                _run(session, runtime, job, party)
                return
            except IntegrityError:
                session.rollback()  # a concurrent capture stored one of these events
                if attempt:
                    raise


def _claim(session: Session, job_id: str) -> CaptureJobRecord | None:
    job = session.get(CaptureJobRecord, job_id)
    if job is None or job.state == "done":
        return None
    fresh = job.started_at is not None and utcnow() - job.started_at < STALE_AFTER
    if job.state == "running" and fresh:
        return None  # another task is on it
    job.state = "running"
    job.started_at = utcnow()
    job.attempts += 1
    session.add(job)
    session.commit()
    return job


def _run(session: Session, runtime: Runtime, job: CaptureJobRecord, party: PartyRecord) -> None:
    data = json.loads(job.body)
    try:
        # Re-verified as of the job's creation: the signature was checked then, and a
        # resumed job must not fail only because time passed.
        context = submission.context_of(runtime, now=job.created_at)
        incoming = open_body(session=session, party=party, data=data, context=context)
        candidates, errors, _ = check_document(
            incoming.data,
            session=session,
            party=party,
            locations=party_locations(session, party.code),
        )
        outcome = Outcome(errors=errors)
        if candidates and not (errors and job.error_behaviour == "rollback"):
            stored = submission.store_capture(
                session=session,
                envelope=incoming.envelope,
                candidates=candidates,
                party_code=party.code,
                capture_id=job.id,
                context=context,
            )
            outcome.captured, outcome.duplicates = stored.captured, stored.duplicates
    except (TraceabilityError, Conflict) as exc:
        session.rollback()
        outcome = Outcome(errors=[_error(exc.field or "body", exc.message, "rejected", 422)])
    _finish(session, job, outcome)


def _finish(session: Session, job: CaptureJobRecord, outcome: Outcome) -> None:
    job = session.merge(job)
    job.state = "done"
    job.success = not outcome.errors
    job.captured_count = len(outcome.captured)
    job.duplicate_count = len(outcome.duplicates)
    job.rejected_count = len({e["eventIndex"] for e in outcome.errors}) if outcome.errors else 0
    job.errors = json.dumps(outcome.errors, ensure_ascii=False)
    job.event_hashes = json.dumps(outcome.captured + outcome.duplicates)
    job.finished_at = utcnow()
    session.add(job)
    session.commit()
    logger.info(
        "capture %s: %d stored, %d duplicate, %d errors",
        job.id,
        job.captured_count,
        job.duplicate_count,
        len(outcome.errors),
    )


def stale_jobs(session: Session) -> list[str]:
    """Jobs a crash left unfinished (pending or running for longer than STALE_AFTER)."""
    cutoff = utcnow() - STALE_AFTER
    stmt = select(CaptureJobRecord).where(CaptureJobRecord.state != "done")
    return [
        j.id
        for j in session.exec(stmt.order_by(col(CaptureJobRecord.created_at))).all()
        if (j.started_at or j.created_at) < cutoff
    ]


def require_job(*, session: Session, party: PartyRecord, job_id: str) -> CaptureJobRecord:
    """The caller's own capture job, or 404."""
    job = session.get(CaptureJobRecord, job_id)
    if job is None or job.party_code != party.code:
        raise NotFound(f"no capture job {job_id}", field="captureID")
    return job


def job_public(job: CaptureJobRecord) -> dict[str, Any]:
    """The EPCIS 2.0 capture job resource (plus sandan's counts and event hashes)."""
    errors = json.loads(job.errors)
    return {
        "captureID": job.id,
        "createdAt": job.created_at.isoformat(),
        "finishedAt": job.finished_at.isoformat() if job.finished_at else None,
        "running": job.state != "done",
        "success": job.success,
        "captureErrorBehaviour": job.error_behaviour,
        "counts": {
            "events": job.event_count,
            "captured": job.captured_count,
            "duplicates": job.duplicate_count,
            "rejected": job.rejected_count,
        },
        # Only the first errors are listed (a hostile document can hold any number).
        "errors": errors[:MAX_REPORTED_ISSUES],
        "errorCount": len(errors),
        "eventHashes": json.loads(job.event_hashes),
    }
