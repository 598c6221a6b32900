"""Bulk NDJSON ingest: verify every line, then store the body in one transaction.

Per line the work is the same as a single submission (envelope shape,
signature, role, schema, signer named in the document); every line is judged
on its own and a bad line never affects the others. The valid lines are then
stored together by :func:`api.services.submission.submit`: one query per
concern for the whole body, the rows written together, each touched trade
re-matched once, and one commit (or, after a lost race, line by line).

A hostile body must not buy more work or a bigger answer than it is worth:
each line's nesting depth is measured before it is parsed, every signature
check is a C implementation's (Ed25519, P-256 and SM2 alike cost well under a
millisecond, so a body's checks are bounded by its size limit), and only the
first :data:`~traceability.limits.MAX_REPORTED_ISSUES` refused lines are listed
(``rejected`` counts them all, ``unlisted`` says how many were left out).
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from sqlmodel import Session

from api.db.models import PartyRecord
from api.errors import (
    ApiError,
    NestedTooDeep,
    UnprocessableContent,
    domain_error,
)
from api.runtime import Runtime
from api.schemas import BulkLineResult, BulkResult, ErrorBody
from api.services import documents as service
from api.services import submission
from api.services.keys import DatabaseDirectory
from traceability import TraceabilityError
from traceability.limits import MAX_REPORTED_ISSUES, JsonTooDeep, check_json_depth


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
    context = submission.context_of(runtime)
    checked = _check_lines(session, context, party, lines)
    pending = [line for line in checked if line.submission is not None]
    prepared = [line.submission for line in pending if line.submission is not None]
    decisions = submission.submit(session=session, submissions=prepared, context=context)
    for line, decision in zip(pending, decisions, strict=True):
        line.result = _result(line.number, decision)
    results = [line.result for line in checked if line.result is not None]
    return _summary(results)


def _summary(results: list[BulkLineResult]) -> BulkResult:
    """Every accepted line, and the first refused ones, in input order."""
    refused = [r for r in results if r.status >= 300]
    listed = {r.line for r in refused[:MAX_REPORTED_ISSUES]}
    shown = [r for r in results if r.status < 300 or r.line in listed]
    return BulkResult(
        accepted=len(results) - len(refused),
        rejected=len(refused),
        unlisted=len(refused) - len(listed),
        results=shown,
    )


def _check_lines(
    session: Session,
    context: service.WriteContext,
    party: PartyRecord,
    lines: list[bytes],
) -> list[_Line]:
    directory = DatabaseDirectory(session)
    checked = []
    for number, raw in enumerate(lines, start=1):
        line = _Line(number)
        try:
            check_json_depth(raw)
            data = orjson.loads(raw)
            envelope = service.parse_envelope(data)
            line.submission = service.check_submission(
                session=session,
                party=party,
                envelope=envelope,
                context=context,
                directory=directory,
            )
        except JsonTooDeep as exc:
            line.result = _failed(
                number, NestedTooDeep(f"line is not usable: {exc}", field=f"line[{number}]")
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


def _result(number: int, decision: submission.Decision) -> BulkLineResult:
    refused = decision.refused
    if refused is None:
        return _ok(number, 201 if decision.created else 200, decision.content_hash)
    return _failed(number, refused if isinstance(refused, ApiError) else domain_error(refused))


def _ok(number: int, status: int, content_hash: str) -> BulkLineResult:
    return BulkLineResult(line=number, status=status, content_hash=content_hash)


def _failed(number: int, error: ApiError) -> BulkLineResult:
    body = ErrorBody(
        error=error.code,
        message=error.message,
        field=error.field or f"line[{number}]",
        errors=error.extra.get("errors"),
        error_count=error.extra.get("errorCount"),
    )
    return BulkLineResult(line=number, status=error.status_code, error=body)
