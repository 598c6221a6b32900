"""EPCIS 2.0 event queries: the standard filters of ``GET /events`` and cursor paging.

Values of a filter may be repeated (``EQ_bizStep=shipping&EQ_bizStep=receiving``)
or comma-separated; CBV values may be bare, URNs or Web URIs, identifiers may be
EPC URNs or Digital Links (all compared in canonical form). An unknown
``EQ_``/``GE_``/``LT_``/``MATCH_`` parameter is refused (400 naming it) rather
than silently ignored, because ignoring a filter returns more than was asked.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from api.db.trace_models import TraceEventEpcRecord, TraceEventRecord
from api.errors import BadRequest
from traceability.epcis import CONTEXT_URLS, Vocabulary, expand_term, to_digital_link
from traceability.epcis.timestamps import parse_timestamp

MAX_PER_PAGE = 1000
DEFAULT_PER_PAGE = 30
_EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)

#: MATCH_ parameters and the identifier roles (see trace_store.named_identifiers) they search.
MATCH_ROLES: Mapping[str, tuple[str, ...]] = {
    "MATCH_epc": ("epc", "child"),
    "MATCH_parentID": ("parent",),
    "MATCH_inputEPC": ("input",),
    "MATCH_outputEPC": ("output",),
    "MATCH_anyEPC": ("epc", "child", "parent", "input", "output"),
    "MATCH_epcClass": ("class", "child_class"),
    "MATCH_inputEPCClass": ("input_class",),
    "MATCH_outputEPCClass": ("output_class",),
    "MATCH_anyEPCClass": ("class", "child_class", "input_class", "output_class"),
}
_EQ_COLUMNS: Mapping[str, tuple[Any, Vocabulary | None]] = {
    "EQ_bizStep": (TraceEventRecord.biz_step, Vocabulary.BIZ_STEP),
    "EQ_disposition": (TraceEventRecord.disposition, Vocabulary.DISPOSITION),
    "EQ_bizLocation": (TraceEventRecord.biz_location, None),
    "EQ_readPoint": (TraceEventRecord.read_point, None),
    "EQ_eventID": (TraceEventRecord.event_id, None),
}
_TIME_COLUMNS: Mapping[str, Any] = {
    "eventTime": TraceEventRecord.event_time,
    "recordTime": TraceEventRecord.record_time,
}
_PAGING = frozenset({"perPage", "nextPageToken"})


@dataclass(frozen=True)
class Page:
    """One page of events and the token of the next one."""

    events: list[TraceEventRecord]
    next_token: str | None


def _values(params: Mapping[str, Sequence[str]], name: str) -> list[str]:
    return [v.strip() for raw in params[name] for v in raw.split(",") if v.strip()]


def _identifier(value: str) -> str:
    return to_digital_link(value)


def _time(name: str, value: str) -> datetime:
    try:
        moment, _ = parse_timestamp(value)
    except ValueError as exc:
        raise BadRequest(f"{name}: {exc}", field=name, code="query_parameter") from exc
    return moment


def _condition(name: str, values: list[str]) -> ColumnElement[bool]:
    if name == "eventType":
        unknown = [v for v in values if v not in _EVENT_TYPES]
        if unknown:
            raise BadRequest(f"unknown event type {unknown[0]}", field=name, code="query_parameter")
        return col(TraceEventRecord.event_type).in_(values)
    if name in _EQ_COLUMNS:
        column, vocabulary = _EQ_COLUMNS[name]
        convert: Callable[[str], str] = (
            (lambda v: expand_term(v, vocabulary)) if vocabulary is not None else _identifier
        )
        if name == "EQ_eventID":
            convert = str
        return col(column).in_([convert(v) for v in values])
    if name in MATCH_ROLES:
        epcs = [_identifier(v) for v in values]
        return exists().where(
            col(TraceEventEpcRecord.event_id) == col(TraceEventRecord.id),
            col(TraceEventEpcRecord.role).in_(MATCH_ROLES[name]),
            col(TraceEventEpcRecord.epc).in_(epcs),
        )
    prefix, _, field = name.partition("_")
    if prefix in ("GE", "LT") and field in _TIME_COLUMNS and len(values) == 1:
        column = col(_TIME_COLUMNS[field])
        moment = _time(name, values[0])
        return column >= moment if prefix == "GE" else column < moment
    raise BadRequest(f"unsupported query parameter {name}", field=name, code="query_parameter")


def build_query(params: Mapping[str, Sequence[str]]) -> SelectOfScalar[TraceEventRecord]:
    """The SELECT for a query's filters (paging excluded)."""
    stmt = select(TraceEventRecord)
    for name in params:
        if name in _PAGING:
            continue
        values = _values(params, name)
        if not values:
            raise BadRequest(f"{name} has no value", field=name, code="query_parameter")
        stmt = stmt.where(_condition(name, values))
    return stmt


def encode_token(last_id: int) -> str:
    """An opaque cursor after row ``last_id``."""
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def decode_token(token: str) -> int:
    """The row id a cursor points after; 400 for a token we did not issue."""
    try:
        padded = token + "=" * (-len(token) % 4)
        after = json.loads(base64.urlsafe_b64decode(padded.encode()))["after"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BadRequest(
            "invalid nextPageToken", field="nextPageToken", code="query_parameter"
        ) from exc
    if not isinstance(after, int) or after < 0:
        raise BadRequest("invalid nextPageToken", field="nextPageToken", code="query_parameter")
    return after


def per_page(params: Mapping[str, Sequence[str]]) -> int:
    """The page size asked for (default 30, at most 1000)."""
    raw = params.get("perPage", [str(DEFAULT_PER_PAGE)])[-1]
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PER_PAGE:
        raise BadRequest(
            f"perPage must be 1..{MAX_PER_PAGE}", field="perPage", code="query_parameter"
        )
    return int(raw)


def query_events(*, session: Session, params: Mapping[str, Sequence[str]]) -> Page:
    """Run a query: events in capture order, one page after the token."""
    size = per_page(params)
    stmt = build_query(params)
    if "nextPageToken" in params:
        stmt = stmt.where(col(TraceEventRecord.id) > decode_token(params["nextPageToken"][-1]))
    rows = list(session.exec(stmt.order_by(col(TraceEventRecord.id)).limit(size + 1)).all())
    more = len(rows) > size
    rows = rows[:size]
    token = encode_token(rows[-1].id or 0) if more and rows else None
    return Page(rows, token)


def event_json(record: TraceEventRecord) -> dict[str, Any]:
    """A stored event as EPCIS JSON-LD, with eventID, recordTime and its own namespaces."""
    event: dict[str, Any] = json.loads(record.event_json)
    context = json.loads(record.context_json)
    extra = [
        c for c in (context if isinstance(context, list) else [context]) if isinstance(c, dict)
    ]
    if extra and "@context" not in event:
        event = {"@context": extra, **event}
    event.setdefault("eventID", record.event_id)
    event["recordTime"] = record.record_time.isoformat(timespec="milliseconds")
    return event


def query_document(records: list[TraceEventRecord], *, now: datetime) -> dict[str, Any]:
    """An EPCISQueryDocument holding ``records``."""
    return {
        "@context": [CONTEXT_URLS[0]],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": now.isoformat(timespec="milliseconds"),
        "epcisBody": {
            "queryResults": {
                "queryName": "SimpleEventQuery",
                "resultsBody": {"eventList": [event_json(r) for r in records]},
            }
        },
    }


def find_event(*, session: Session, event_id: str) -> TraceEventRecord | None:
    """An event by its eventID, its hash ID (ni:///...) or its hex hash."""
    stmt = select(TraceEventRecord).where(TraceEventRecord.event_id == event_id)
    found = session.exec(stmt).first()
    if found is not None:
        return found
    hex_hash = event_id.removeprefix("ni:///sha-256;").split("?", 1)[0].lower()
    return session.exec(
        select(TraceEventRecord).where(TraceEventRecord.event_hash == hex_hash)
    ).first()
