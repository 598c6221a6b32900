"""The ingest path shared by single and bulk submission."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from fastapi import Request
from sqlmodel import Session

from api.errors import (
    ApiError,
    BadRequest,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    UnprocessableContent,
    domain_error,
)
from api.models import DocumentRecord, PartyRecord, utcnow
from api.runtime import Runtime
from api.schemas import AnchorPublic, BulkLineResult, BulkResult, DocumentPublic, ErrorBody
from api.services import documents as service
from api.services.parties import party_roles
from traceability import TraceabilityError


def check_rate(request: Request, party_code: str, *, cost: int = 1) -> None:
    """429 when the party has used up its write budget."""
    if not request.app.state.rate_limiter.allow(party_code, cost):
        raise RateLimited("too many writes; slow down", field=None)


def submit_one(
    *, session: Session, runtime: Runtime, party: PartyRecord, data: Any
) -> DocumentPublic:
    """Verify, validate and store one envelope."""
    envelope = service.parse_envelope(data)
    submission = service.check_submission(
        session=session,
        party=party,
        envelope=envelope,
        now=utcnow(),
        max_skew=timedelta(seconds=runtime.settings.max_clock_skew_seconds),
    )
    return service.submit_document(session=session, submission=submission)


def split_ndjson(body: bytes, *, limit: int) -> list[bytes]:
    """The non-empty lines of an NDJSON body, refusing more than ``limit``."""
    lines = [line for line in body.split(b"\n") if line.strip()]
    if not lines:
        raise BadRequest("the body holds no NDJSON line", field="body")
    if len(lines) > limit:
        raise PayloadTooLarge(f"at most {limit} documents per bulk request", field="body")
    return lines


def submit_many(
    *, session: Session, runtime: Runtime, party: PartyRecord, lines: list[bytes]
) -> BulkResult:
    """Submit each line independently; one bad line never affects the others."""
    results: list[BulkLineResult] = []
    for number, line in enumerate(lines, start=1):
        results.append(_submit_line(session, runtime, party, number, line))
    accepted = sum(1 for r in results if r.status < 300)
    return BulkResult(accepted=accepted, rejected=len(results) - accepted, results=results)


def _submit_line(
    session: Session, runtime: Runtime, party: PartyRecord, number: int, line: bytes
) -> BulkLineResult:
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        error = UnprocessableContent(f"line is not JSON: {exc}", field=f"line[{number}]")
        return _failed(number, error)
    try:
        document = submit_one(session=session, runtime=runtime, party=party, data=data)
    except ApiError as exc:
        session.rollback()
        return _failed(number, exc)
    except TraceabilityError as exc:
        session.rollback()
        return _failed(number, domain_error(exc))
    return BulkLineResult(
        line=number, status=201 if document.created else 200, content_hash=document.content_hash
    )


def _failed(number: int, error: ApiError) -> BulkLineResult:
    field = error.field or f"line[{number}]"  # a whole-line problem names the line
    body = ErrorBody(error=error.code, message=error.message, field=field)
    return BulkLineResult(line=number, status=error.status_code, error=body)


def require_reader(party: PartyRecord, record: DocumentRecord) -> None:
    """Signed documents are readable by their submitter, customs and banks."""
    if party.code == record.party_code or party_roles(party) & {"customs", "bank"}:
        return
    raise PermissionDenied("only the submitter, customs and banks may read this document")


def require_anchor(*, session: Session, record: DocumentRecord) -> AnchorPublic:
    """The confirmed anchor of a document, or 404 while it is pending."""
    anchor = service.anchor_of(session=session, kind="document", subject=record.content_hash)
    if anchor is None or anchor.state != "confirmed":
        raise NotFound("the document is not anchored yet; retry later", code="not_anchored")
    return anchor
