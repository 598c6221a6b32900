"""Typed, read-only views of validated EPCIS 2.0 events.

``parse_document`` / ``parse_event`` validate the JSON first (raising
``InvalidEvent`` naming the field) and return ``Event`` objects that keep the
JSON exactly as captured in ``raw`` (the event hash is computed from it) next
to normalised fields the rest of the domain reads: UTC times, CBV Web URIs,
and every identifier as a GS1 Digital Link where one exists.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, NewType

from traceability.canonical import canonical_json
from traceability.epcis.hashing import DEFAULT_PROFILE, event_hash, event_hash_bytes, namespaces
from traceability.epcis.timestamps import parse_timestamp
from traceability.epcis.validation import validate_document, validate_event
from traceability.epcis.vocabulary import Vocabulary, expand_term, short_term
from traceability.gs1 import (
    DigitalLink,
    InvalidIdentifier,
    epc_uri_to_digital_link,
    is_epc_uri,
    parse_digital_link,
)

__all__ = [
    "BizTransaction",
    "Document",
    "Event",
    "EventHash",
    "EventType",
    "Party",
    "QuantityElement",
    "SensorReport",
    "anchored_hash_bytes",
    "correction_of",
    "parse_document",
    "parse_event",
    "parse_link",
    "to_digital_link",
]

#: ``ni:///sha-256;<hex>?ver=CBV2.0``
EventHash = NewType("EventHash", str)
#: Domain of the hash of an error declaration (never the first bytes of another hash input).
DECLARATION_DOMAIN = b"sandan:epcis-error-declaration:v1\x00"


def anchored_hash_bytes(
    raw: Mapping[str, Any], *, context: Any = None, profile: str = DEFAULT_PROFILE
) -> bytes:
    """The 32 bytes anchored for a captured event.

    For a plain event, its CBV 2.0 event hash. The CBV hash leaves ``errorDeclaration``
    out, so an error declaration (the event captured again with one, EPCIS 2.0 §7.4.1.2)
    would hash like the event it declares; it is anchored as
    ``sha256(domain || event hash || RFC 8785 JSON of the declaration)``: a hash of its
    own, that names the declared event's hash and commits to what is declared.
    """
    return _with_declaration(raw, event_hash_bytes(raw, context=context, profile=profile))


def _with_declaration(raw: Mapping[str, Any], plain: bytes) -> bytes:
    """``plain`` (the CBV hash of ``raw``) itself, or the hash of ``raw``'s declaration."""
    declaration = raw.get("errorDeclaration")
    if declaration is None:
        return plain
    return hashlib.sha256(DECLARATION_DOMAIN + plain + canonical_json(declaration)).digest()


def correction_of(raw: Mapping[str, Any]) -> str | None:
    """``corrected`` or ``retracted`` for an event carrying an error declaration, else None.

    A declaration naming corrective events, or whose reason is incorrect_data, corrects the
    event; any other (did_not_occur, no reason) retracts it.
    """
    declaration = raw.get("errorDeclaration")
    if not isinstance(declaration, Mapping):
        return None
    reason = declaration.get("reason")
    reason = expand_term(reason, Vocabulary.ERROR_REASON) if isinstance(reason, str) else ""
    corrective = declaration.get("correctiveEventIDs")
    if corrective or reason == Vocabulary.ERROR_REASON.web_prefix + "incorrect_data":
        return "corrected"
    return "retracted"


class EventType(StrEnum):
    """The five EPCIS 2.0 event types."""

    OBJECT = "ObjectEvent"
    AGGREGATION = "AggregationEvent"
    TRANSACTION = "TransactionEvent"
    TRANSFORMATION = "TransformationEvent"
    ASSOCIATION = "AssociationEvent"


@dataclass(frozen=True)
class QuantityElement:
    """A class-level quantity: epcClass (as Digital Link when possible), amount and unit."""

    epc_class: str
    quantity: Decimal | None = None
    uom: str | None = None


@dataclass(frozen=True)
class BizTransaction:
    """A business transaction reference (purchase order, bill of lading...)."""

    value: str
    type: str | None = None  # CBV Web URI

    @property
    def term(self) -> str | None:
        """Bare CBV type such as ``po`` or ``bol``."""
        return short_term(self.type, Vocabulary.BIZ_TRANSACTION_TYPE) if self.type else None


@dataclass(frozen=True)
class Party:
    """A source or destination: party or location id and its CBV type."""

    value: str
    type: str

    @property
    def term(self) -> str | None:
        """Bare CBV type such as ``owning_party``."""
        return short_term(self.type, Vocabulary.SOURCE_DESTINATION_TYPE)


@dataclass(frozen=True)
class SensorReport:
    """One sensor report with the fields lineage reads (the raw report is kept)."""

    type: str | None
    value: float | None
    min_value: float | None
    max_value: float | None
    uom: str | None
    exception: str | None
    raw: Mapping[str, Any] = field(repr=False)

    @property
    def measurement(self) -> str | None:
        """Bare measurement type such as ``Temperature``."""
        return short_term(self.type, Vocabulary.MEASUREMENT_TYPE) if self.type else None


@dataclass(frozen=True)
class Event:
    """A validated EPCIS 2.0 event: normalised fields plus the raw JSON it came from."""

    type: EventType
    event_time: datetime
    time_zone_offset: str
    action: str | None
    biz_step: str | None
    disposition: str | None
    epcs: tuple[str, ...]
    parent_id: str | None
    child_epcs: tuple[str, ...]
    input_epcs: tuple[str, ...]
    output_epcs: tuple[str, ...]
    quantities: tuple[QuantityElement, ...]
    child_quantities: tuple[QuantityElement, ...]
    input_quantities: tuple[QuantityElement, ...]
    output_quantities: tuple[QuantityElement, ...]
    read_point: str | None
    biz_location: str | None
    biz_transactions: tuple[BizTransaction, ...]
    sources: tuple[Party, ...]
    destinations: tuple[Party, ...]
    sensor_reports: tuple[SensorReport, ...]
    certification_info: tuple[str, ...]
    event_id: str | None
    raw: Mapping[str, Any] = field(repr=False)
    context: Any = field(default=None, repr=False)

    @property
    def step(self) -> str | None:
        """Bare CBV business step (``commissioning``), or None for non-CBV steps."""
        return short_term(self.biz_step, Vocabulary.BIZ_STEP) if self.biz_step else None

    @property
    def disposition_term(self) -> str | None:
        """Bare CBV disposition (``in_transit``), or None."""
        return short_term(self.disposition, Vocabulary.DISPOSITION) if self.disposition else None

    @property
    def hash(self) -> EventHash:
        """The CBV 2.0 event hash ID of the raw event."""
        return EventHash(event_hash(self.raw, context=self.context))

    @property
    def hash_bytes(self) -> bytes:
        """The 32 raw bytes that get anchored (:func:`anchored_hash_bytes`)."""
        return _with_declaration(self.raw, self.plain_hash_bytes)

    @property
    def plain_hash_bytes(self) -> bytes:
        """The CBV 2.0 event hash, the same for the event and its error declarations."""
        return event_hash_bytes(self.raw, context=self.context)

    @property
    def ilmd(self) -> Mapping[str, Any]:
        """Instance/lot master data as captured (empty when absent)."""
        value = self.raw.get("ilmd")
        return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class Document:
    """A validated EPCISDocument: its @context and events in document order."""

    context: Any
    events: tuple[Event, ...]
    raw: Mapping[str, Any] = field(repr=False)


def to_digital_link(value: str) -> str:
    """An identifier as canonical Digital Link (EPC URNs converted), else unchanged."""
    text = value.strip()
    try:
        if is_epc_uri(text):
            return epc_uri_to_digital_link(text)
        if text.startswith(("http://", "https://")):
            return parse_digital_link(text).canonical()
    except InvalidIdentifier:
        return text
    return text


def parse_link(value: str) -> DigitalLink | None:
    """The parsed Digital Link of an identifier, or None when it is not one."""
    try:
        return parse_digital_link(to_digital_link(value))
    except InvalidIdentifier:
        return None


def parse_document(document: Mapping[str, Any]) -> Document:
    """Validate an EPCISDocument and return its typed events; raise InvalidEvent."""
    validate_document(document)
    context = document["@context"]
    events = tuple(_build(e, context) for e in document["epcisBody"]["eventList"])
    return Document(context, events, document)


def parse_event(event: Mapping[str, Any], *, context: Any = None) -> Event:
    """Validate a bare event (its own @context, or ``context``) and return it typed."""
    validate_event(event, context=context)
    return _build(event, context if context is not None else event.get("@context"))


def _build(raw: Mapping[str, Any], context: Any) -> Event:
    ns = namespaces(context, raw.get("@context"))
    moment, _ = parse_timestamp(raw["eventTime"])

    def ids(key: str) -> tuple[str, ...]:
        return tuple(to_digital_link(v) for v in raw.get(key) or [])

    def quantities(key: str) -> tuple[QuantityElement, ...]:
        return tuple(_quantity(q) for q in raw.get(key) or [])

    def optional_id(value: Any) -> str | None:
        return to_digital_link(value) if isinstance(value, str) else None

    return Event(
        type=EventType(raw["type"]),
        event_time=moment,
        time_zone_offset=raw["eventTimeZoneOffset"],
        action=raw.get("action"),
        biz_step=_term(raw.get("bizStep"), Vocabulary.BIZ_STEP, ns),
        disposition=_term(raw.get("disposition"), Vocabulary.DISPOSITION, ns),
        epcs=ids("epcList"),
        parent_id=optional_id(raw.get("parentID")),
        child_epcs=ids("childEPCs"),
        input_epcs=ids("inputEPCList"),
        output_epcs=ids("outputEPCList"),
        quantities=quantities("quantityList"),
        child_quantities=quantities("childQuantityList"),
        input_quantities=quantities("inputQuantityList"),
        output_quantities=quantities("outputQuantityList"),
        read_point=optional_id((raw.get("readPoint") or {}).get("id")),
        biz_location=optional_id((raw.get("bizLocation") or {}).get("id")),
        biz_transactions=tuple(
            _biz_transaction(b, ns) for b in raw.get("bizTransactionList") or []
        ),
        sources=tuple(_party(p, "source", ns) for p in raw.get("sourceList") or []),
        destinations=tuple(_party(p, "destination", ns) for p in raw.get("destinationList") or []),
        sensor_reports=_reports(raw, ns),
        certification_info=_listify(raw.get("certificationInfo")),
        event_id=raw.get("eventID"),
        raw=raw,
        context=context,
    )


def _term(value: Any, vocabulary: Vocabulary, ns: dict[str, str]) -> str | None:
    return expand_term(value.strip(), vocabulary, ns) if isinstance(value, str) else None


def _listify(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def _quantity(item: Mapping[str, Any]) -> QuantityElement:
    amount = item.get("quantity")
    return QuantityElement(
        to_digital_link(item["epcClass"]),
        Decimal(repr(amount)) if amount is not None else None,
        item.get("uom"),
    )


def _biz_transaction(item: Mapping[str, Any], ns: dict[str, str]) -> BizTransaction:
    return BizTransaction(
        item["bizTransaction"].strip(), _term(item.get("type"), Vocabulary.BIZ_TRANSACTION_TYPE, ns)
    )


def _party(item: Mapping[str, Any], key: str, ns: dict[str, str]) -> Party:
    kind = _term(item["type"], Vocabulary.SOURCE_DESTINATION_TYPE, ns) or ""
    return Party(to_digital_link(item[key]), kind)


def _reports(raw: Mapping[str, Any], ns: dict[str, str]) -> tuple[SensorReport, ...]:
    out: list[SensorReport] = []
    for element in raw.get("sensorElementList") or []:
        for report in element.get("sensorReport") or []:
            out.append(
                SensorReport(
                    type=_term(report.get("type"), Vocabulary.MEASUREMENT_TYPE, ns),
                    value=report.get("value"),
                    min_value=report.get("minValue"),
                    max_value=report.get("maxValue"),
                    uom=report.get("uom"),
                    exception=_term(report.get("exception"), Vocabulary.SENSOR_ALERT, ns),
                    raw=report,
                )
            )
    return tuple(out)
