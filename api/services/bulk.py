"""Bulk NDJSON ingest: verify every line, then store the body in one transaction.

Per line the work is the same as a single submission (envelope shape,
signature, role, schema, signer named in the document); every line is judged
on its own and a bad line never affects the others. What changes is the
storage: the existence, replay and version checks are one query each for the
whole body, the rows are written together, each touched trade is re-matched
once, and there is one commit. If that transaction fails (a concurrent writer
won a race on the same bytes or the same business key), the body is stored
again line by line, where each race is resolved as for a single submission.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import orjson
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from api.db.models import DocumentRecord, OutboxRecord, PartyRecord, utcnow
from api.errors import ApiError, UnprocessableContent, domain_error
from api.runtime import Runtime
from api.schemas import BulkLineResult, BulkResult, ErrorBody
from api.services import documents as service
from api.services.keys import DatabaseDirectory
from api.services.trade_linker import TradeLinker
from traceability import ReplayedEnvelope, TraceabilityError


@dataclass
class _Line:
    """One NDJSON line on its way through the body."""

    number: int
    submission: service.Submission | None = None
    result: BulkLineResult | None = None


def submit_many(
    *, session: Session, runtime: Runtime, party: PartyRecord, lines: list[bytes]
) -> BulkResult:
    """Verify each line, store the valid ones together, and report per line in order."""
    checked = _check_lines(session, runtime, party, lines)
    pending = [line for line in checked if line.submission is not None]
    try:
        _store_together(session, pending)
    except (DBAPIError, ApiError, TraceabilityError):
        session.rollback()
        _store_one_by_one(session, pending)
    results = [line.result for line in checked if line.result is not None]
    accepted = sum(1 for r in results if r.status < 300)
    return BulkResult(accepted=accepted, rejected=len(results) - accepted, results=results)


def _check_lines(
    session: Session, runtime: Runtime, party: PartyRecord, lines: list[bytes]
) -> list[_Line]:
    directory = DatabaseDirectory(session)
    now = utcnow()
    skew = timedelta(seconds=runtime.settings.max_clock_skew_seconds)
    checked = []
    for number, raw in enumerate(lines, start=1):
        line = _Line(number)
        try:
            data = orjson.loads(raw)
            envelope = service.parse_envelope(data)
            line.submission = service.check_submission(
                session=session,
                party=party,
                envelope=envelope,
                now=now,
                max_skew=skew,
                directory=directory,
            )
        except orjson.JSONDecodeError as exc:
            line.result = _failed(
                number, UnprocessableContent(f"line is not JSON: {exc}", field=f"line[{number}]")
            )
        except ApiError as exc:
            line.result = _failed(number, exc)
        except TraceabilityError as exc:
            line.result = _failed(number, domain_error(exc))
        checked.append(line)
    return checked


def _store_together(session: Session, pending: list[_Line]) -> None:
    """One transaction for the body: set-based checks, rows, one re-match per trade."""
    if not pending:
        return
    submissions = [line.submission for line in pending if line.submission is not None]
    hashes = [s.content_hash for s in submissions]
    stored = set(
        session.exec(
            select(DocumentRecord.content_hash).where(col(DocumentRecord.content_hash).in_(hashes))
        ).all()
    )
    salts = {s.salt for s in submissions}
    signed: dict[tuple[str, str], str] = {
        (key_id, salt): digest
        for key_id, salt, digest in session.exec(
            select(DocumentRecord.key_id, DocumentRecord.salt, DocumentRecord.content_hash).where(
                col(DocumentRecord.salt).in_(salts)
            )
        ).all()
    }
    keys = {service.business_key(s.document) for s in submissions}
    latest = {
        r.doc_key: r
        for r in session.exec(
            select(DocumentRecord).where(
                col(DocumentRecord.doc_key).in_(keys), col(DocumentRecord.superseded_by).is_(None)
            )
        ).all()
    }
    created = []
    outbox: list[dict[str, object]] = []
    for line in pending:
        submission = line.submission
        assert submission is not None
        if submission.content_hash in stored:
            line.result = _ok(line.number, 200, submission.content_hash)
            continue
        earlier = signed.get((submission.key_id, submission.salt))
        if earlier is not None and earlier != submission.content_hash:
            error = ReplayedEnvelope(
                "this keyId and salt already signed a different document", field="payload.salt"
            )
            line.result = _failed(line.number, domain_error(error))
            continue
        key = service.business_key(submission.document)
        record = service.new_version(
            session=session, submission=submission, previous=latest.get(key), outbox=outbox
        )
        latest[key] = record
        stored.add(submission.content_hash)
        signed[(submission.key_id, submission.salt)] = submission.content_hash
        created.append((record, submission.document))
        line.result = _ok(line.number, 201, submission.content_hash)
    session.flush()
    if outbox:  # many rows in one multi-row INSERT, without ORM objects
        session.execute(insert(OutboxRecord), outbox)
    linker = TradeLinker(session)
    linker.preload(created)
    with session.no_autoflush:
        for record, document in created:
            linker.link(record, document)
    linker.rematch_touched()
    session.commit()


def _store_one_by_one(session: Session, pending: list[_Line]) -> None:
    """The fallback after a failed body transaction: each line as a single submission."""
    for line in pending:
        assert line.submission is not None
        try:
            document = service.submit_document(session=session, submission=line.submission)
        except ApiError as exc:
            session.rollback()
            line.result = _failed(line.number, exc)
            continue
        except TraceabilityError as exc:
            session.rollback()
            line.result = _failed(line.number, domain_error(exc))
            continue
        status = 201 if document.created else 200
        line.result = _ok(line.number, status, document.content_hash)


def _ok(number: int, status: int, content_hash: str) -> BulkLineResult:
    return BulkLineResult(line=number, status=status, content_hash=content_hash)


def _failed(number: int, error: ApiError) -> BulkLineResult:
    body = ErrorBody(
        error=error.code, message=error.message, field=error.field or f"line[{number}]"
    )
    return BulkLineResult(line=number, status=error.status_code, error=body)
