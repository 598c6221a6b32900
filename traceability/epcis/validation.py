"""EPCIS 2.0 JSON-LD validation that names the offending field and the reason.

``document_issues`` / ``event_issues`` return every problem as an ``Issue``
with a JSON path (``epcisBody.eventList[2].eventTime``); ``validate_document``
and ``validate_event`` raise ``InvalidEvent`` carrying them. The rules follow
the EPCIS 2.0 standard and its JSON schema: required fields per event type,
action rules, time formats, identifier syntax (EPC URN or GS1 Digital Link,
check digits verified), quantities, sensor data, business transactions,
sources and destinations, ILMD and extension namespaces.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from traceability.epcis.errors import InvalidEvent, Issue
from traceability.epcis.hashing import namespaces
from traceability.epcis.timestamps import OFFSET_PATTERN, parse_timestamp
from traceability.epcis.vocabulary import CONTEXT_PREFIXES, Vocabulary, expand_term
from traceability.gs1 import (
    InvalidIdentifier,
    epc_uri_to_digital_link,
    is_epc_uri,
    parse_digital_link,
)

__all__ = ["document_issues", "event_issues", "validate_document", "validate_event"]

EVENT_TYPES: Final = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)
_COMMON: Final = frozenset(
    {"type", "eventID", "eventTime", "eventTimeZoneOffset", "recordTime", "errorDeclaration",
     "certificationInfo", "bizStep", "disposition", "persistentDisposition", "readPoint",
     "bizLocation", "bizTransactionList", "sourceList", "destinationList", "sensorElementList",
     "@context"}
)  # fmt: skip
_FIELDS: Final = {
    "ObjectEvent": {"action", "epcList", "quantityList", "ilmd"},
    "AggregationEvent": {"action", "parentID", "childEPCs", "childQuantityList"},
    "TransactionEvent": {"action", "parentID", "epcList", "quantityList"},
    "TransformationEvent": {"inputEPCList", "inputQuantityList", "outputEPCList",
                            "outputQuantityList", "transformationID", "ilmd"},
    "AssociationEvent": {"action", "parentID", "childEPCs", "childQuantityList"},
}  # fmt: skip
_ACTIONS: Final = frozenset({"ADD", "OBSERVE", "DELETE"})
_UOM: Final = re.compile(r"[A-Z0-9]{2,3}")
_URI: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
_NUMERIC_REPORT_FIELDS: Final = ("value", "minValue", "maxValue", "meanValue", "sDev",
                                 "percRank", "percValue")  # fmt: skip


class _Checker:
    """Collects issues while walking one event; ``at`` builds JSON paths."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.issues: list[Issue] = []
        self.prefixes = {**CONTEXT_PREFIXES, **prefixes}

    def fail(self, path: str, message: str) -> None:
        self.issues.append(Issue(path, message))

    def time(self, value: Any, path: str) -> None:
        if not isinstance(value, str):
            self.fail(path, "must be a date-time string")
            return
        try:
            parse_timestamp(value)
        except ValueError as exc:
            self.fail(path, str(exc))

    def uri(self, value: Any, path: str) -> bool:
        if not isinstance(value, str) or not _URI.fullmatch(value.strip()):
            self.fail(path, "must be an absolute URI")
            return False
        return True

    def identifier(self, value: Any, path: str, *, level: str) -> None:
        """An EPC (instance or class) as EPC URN or Digital Link; other URIs are accepted."""
        if not self.uri(value, path):
            return
        try:
            link = epc_uri_to_digital_link(value) if is_epc_uri(value) else value
            if link.startswith(("http://", "https://")) and (is_epc_uri(value) or _looks_dl(link)):
                parsed = parse_digital_link(link)
                if level == "class" and parsed.serial is not None:
                    self.fail(path, "an epcClass must not carry a serial number (AI 21)")
        except InvalidIdentifier as exc:
            self.fail(path, f"invalid identifier: {exc}")
        if level == "class" and value.startswith("urn:epc:id:"):
            self.fail(path, "an epcClass must be a class (urn:epc:class / idpat) not an instance")

    def term(self, value: Any, path: str, vocabulary: Vocabulary) -> None:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, "must be a non-empty string")
            return
        expanded = expand_term(value.strip(), vocabulary, self.prefixes)
        if not _URI.fullmatch(expanded):
            self.fail(path, f"{value!r} is not a CBV 2.0 {vocabulary.label} term nor a URI")
        elif (
            expanded.startswith(vocabulary.web_prefix)
            and vocabulary.web_prefix.endswith("-")
            and expanded[len(vocabulary.web_prefix) :] not in vocabulary.terms
        ):
            self.fail(path, f"{value!r} is not a CBV 2.0 {vocabulary.label} term")

    def number(self, value: Any, path: str, *, positive: bool = False) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, "must be a JSON number")
        elif positive and value < 0:
            self.fail(path, "must not be negative")

    def list_of(self, value: Any, path: str, each: Callable[[Any, str], object]) -> None:
        if not isinstance(value, list):
            self.fail(path, "must be a list")
            return
        for index, item in enumerate(value):
            each(item, f"{path}[{index}]")

    def obj(self, value: Any, path: str) -> bool:
        if not isinstance(value, Mapping):
            self.fail(path, "must be an object")
            return False
        return True

    def extension_key(self, key: str, path: str) -> None:
        prefix, colon, local = key.partition(":")
        if "://" in key:
            return
        if not colon or not local:
            self.fail(f"{path}.{key}", "unknown field (extensions need a namespace prefix)")
        elif prefix not in self.prefixes:
            self.fail(f"{path}.{key}", f"namespace prefix {prefix!r} is not declared in @context")

    def extensions(
        self, obj: Mapping[str, Any], known: set[str] | frozenset[str], path: str
    ) -> None:
        for key in obj:
            if key not in known and key[:1] != "@" and key not in ("comment", "rdfs:comment"):
                self.extension_key(key, path)


def _looks_dl(value: str) -> bool:
    return re.search(r"/(?:0[01]|41[47]|8\d{3}|25[35]|40[12])/", value) is not None


# --- field checkers -------------------------------------------------------------


def _required_identifier(c: _Checker, item: Any, path: str, key: str, level: str) -> None:
    """``item[key]`` must be present and be an identifier of ``level``."""
    if key not in item:
        c.fail(f"{path}.{key}", "required")
    else:
        c.identifier(item[key], f"{path}.{key}", level=level)


def _check_quantity(c: _Checker, item: Any, path: str) -> None:
    if not c.obj(item, path):
        return
    _required_identifier(c, item, path, "epcClass", "class")
    if "quantity" in item:
        c.number(item["quantity"], f"{path}.quantity", positive=True)
    if "uom" in item:
        if "quantity" not in item:
            c.fail(f"{path}.uom", "uom needs a quantity")
        if not isinstance(item["uom"], str) or not _UOM.fullmatch(item["uom"]):
            c.fail(f"{path}.uom", "must be a UN/ECE Rec 20 code of 2-3 letters or digits")
    c.extensions(item, {"epcClass", "quantity", "uom"}, path)


def _check_typed(c: _Checker, item: Any, path: str, key: str, vocab: Vocabulary) -> None:
    if not c.obj(item, path):
        return
    _required_identifier(c, item, path, key, "any")
    if "type" in item:
        c.term(item["type"], f"{path}.type", vocab)
    elif key != "bizTransaction":
        c.fail(f"{path}.type", "required")
    c.extensions(item, {key, "type"}, path)


def _typed_checker(c: _Checker, key: str, vocab: Vocabulary) -> Callable[[Any, str], None]:
    return lambda item, path: _check_typed(c, item, path, key, vocab)


def _check_location(c: _Checker, value: Any, path: str) -> None:
    if not c.obj(value, path):
        return
    _required_identifier(c, value, path, "id", "any")
    c.extensions(value, {"id"}, path)


_METADATA_TIMES: Final = ("time", "startTime", "endTime")
_METADATA_IDS: Final = ("deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "bizRules")
_REPORT_KNOWN: Final = frozenset(
    {"type", "exception", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "time",
     "microorganism", "chemicalSubstance", "value", "component", "stringValue", "booleanValue",
     "hexBinaryValue", "uriValue", "minValue", "maxValue", "meanValue", "sDev", "percRank",
     "percValue", "uom", "coordinateReferenceSystem", "bizRules"}
)  # fmt: skip


def _check_sensor_element(c: _Checker, element: Any, path: str) -> None:
    if not c.obj(element, path):
        return
    meta = element.get("sensorMetadata")
    if meta is not None and c.obj(meta, f"{path}.sensorMetadata"):
        for key in _METADATA_TIMES:
            if key in meta:
                c.time(meta[key], f"{path}.sensorMetadata.{key}")
        for key in _METADATA_IDS:
            if key in meta:
                c.uri(meta[key], f"{path}.sensorMetadata.{key}")
        c.extensions(meta, {*_METADATA_TIMES, *_METADATA_IDS}, f"{path}.sensorMetadata")
    reports = element.get("sensorReport")
    if not reports:
        c.fail(f"{path}.sensorReport", "required: at least one sensor report")
    else:
        c.list_of(reports, f"{path}.sensorReport", lambda r, p: _check_report(c, r, p))
    c.extensions(element, {"sensorMetadata", "sensorReport"}, path)


def _check_report(c: _Checker, report: Any, path: str) -> None:
    if not c.obj(report, path):
        return
    if "type" in report:
        c.term(report["type"], f"{path}.type", Vocabulary.MEASUREMENT_TYPE)
    if "exception" in report:
        c.term(report["exception"], f"{path}.exception", Vocabulary.SENSOR_ALERT)
    if "component" in report:
        c.term(report["component"], f"{path}.component", Vocabulary.COMPONENT)
    for key in _NUMERIC_REPORT_FIELDS:
        if key in report:
            c.number(report[key], f"{path}.{key}")
    if "time" in report:
        c.time(report["time"], f"{path}.time")
    if "booleanValue" in report and not isinstance(report["booleanValue"], bool):
        c.fail(f"{path}.booleanValue", "must be true or false")
    if "uom" in report and (
        not isinstance(report["uom"], str) or not _UOM.fullmatch(report["uom"])
    ):
        c.fail(f"{path}.uom", "must be a UN/ECE Rec 20 code of 2-3 letters or digits")
    low, high = report.get("minValue"), report.get("maxValue")
    if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
        c.fail(f"{path}.minValue", "minValue is greater than maxValue")
    c.extensions(report, _REPORT_KNOWN, path)


# --- events -----------------------------------------------------------------------


def _check_common(c: _Checker, event: Mapping[str, Any], path: str) -> None:
    for key in ("eventTime", "eventTimeZoneOffset"):
        if key not in event:
            c.fail(f"{path}.{key}", "required")
    if "eventTime" in event:
        c.time(event["eventTime"], f"{path}.eventTime")
    offset = event.get("eventTimeZoneOffset")
    if offset is not None and (not isinstance(offset, str) or not OFFSET_PATTERN.fullmatch(offset)):
        c.fail(f"{path}.eventTimeZoneOffset", "must be +hh:mm or -hh:mm between -14:00 and +14:00")
    if "recordTime" in event:
        c.time(event["recordTime"], f"{path}.recordTime")
    if "eventID" in event:
        c.uri(event["eventID"], f"{path}.eventID")
    if "bizStep" in event:
        c.term(event["bizStep"], f"{path}.bizStep", Vocabulary.BIZ_STEP)
    if "disposition" in event:
        c.term(event["disposition"], f"{path}.disposition", Vocabulary.DISPOSITION)
    _check_common_lists(c, event, path)


def _check_common_lists(c: _Checker, event: Mapping[str, Any], path: str) -> None:
    if "certificationInfo" in event:
        info = event["certificationInfo"]
        c.list_of(info if isinstance(info, list) else [info], f"{path}.certificationInfo", c.uri)
    for key in ("readPoint", "bizLocation"):
        if key in event:
            _check_location(c, event[key], f"{path}.{key}")
    if "persistentDisposition" in event:
        _check_persistent(c, event["persistentDisposition"], f"{path}.persistentDisposition")
    lists: tuple[tuple[str, str, Vocabulary], ...] = (
        ("bizTransactionList", "bizTransaction", Vocabulary.BIZ_TRANSACTION_TYPE),
        ("sourceList", "source", Vocabulary.SOURCE_DESTINATION_TYPE),
        ("destinationList", "destination", Vocabulary.SOURCE_DESTINATION_TYPE),
    )
    for key, item_key, vocab in lists:
        if key in event:
            c.list_of(event[key], f"{path}.{key}", _typed_checker(c, item_key, vocab))
    if "sensorElementList" in event:
        c.list_of(
            event["sensorElementList"],
            f"{path}.sensorElementList",
            lambda e, p: _check_sensor_element(c, e, p),
        )
    if "errorDeclaration" in event and c.obj(event["errorDeclaration"], f"{path}.errorDeclaration"):
        declaration = event["errorDeclaration"]
        if "declarationTime" not in declaration:
            c.fail(f"{path}.errorDeclaration.declarationTime", "required")
        else:
            c.time(declaration["declarationTime"], f"{path}.errorDeclaration.declarationTime")


def _check_persistent(c: _Checker, value: Any, path: str) -> None:
    if not c.obj(value, path):
        return
    for part in ("set", "unset"):
        if part in value:
            c.list_of(
                value[part],
                f"{path}.{part}",
                lambda v, p: c.term(v, p, Vocabulary.DISPOSITION),
            )


def _nonempty(event: Mapping[str, Any], *keys: str) -> bool:
    return any(isinstance(event.get(k), list) and event[k] for k in keys)


def _identifies_what(event: Mapping[str, Any]) -> bool:
    """The ObjectEvent rule of the official schema: EPCs (the list may be empty), quantities,
    or sensor data observed at a readPoint (a sensor reporting on a place, not on goods)."""
    return (
        isinstance(event.get("epcList"), list)
        or _nonempty(event, "quantityList")
        or (_nonempty(event, "sensorElementList") and "readPoint" in event)
    )


def _check_type_rules(c: _Checker, event: Mapping[str, Any], kind: str, path: str) -> None:
    action = event.get("action")
    if kind == "TransformationEvent":
        if "action" in event:
            c.fail(f"{path}.action", "a TransformationEvent has no action")
        if not _nonempty(event, "inputEPCList", "inputQuantityList", "outputEPCList",
                         "outputQuantityList") and "transformationID" not in event:  # fmt: skip
            c.fail(
                f"{path}.inputEPCList",
                "a TransformationEvent needs inputs, outputs or a transformationID",
            )
    elif action is None:
        c.fail(f"{path}.action", "required")
    elif action not in _ACTIONS:
        c.fail(f"{path}.action", "must be ADD, OBSERVE or DELETE")
    if kind == "ObjectEvent" and not _identifies_what(event):
        c.fail(
            f"{path}.epcList",
            "an ObjectEvent needs an epcList, a non-empty quantityList, "
            "or sensor data with a readPoint",
        )
    if kind == "TransactionEvent" and not _nonempty(event, "epcList", "quantityList"):
        c.fail(f"{path}.epcList", f"a {kind} needs a non-empty epcList or quantityList")
    if kind == "TransactionEvent" and not _nonempty(event, "bizTransactionList"):
        c.fail(f"{path}.bizTransactionList", "a TransactionEvent needs at least one bizTransaction")
    if kind in ("AggregationEvent", "AssociationEvent"):
        if "parentID" not in event and (action != "OBSERVE" or kind == "AssociationEvent"):
            c.fail(f"{path}.parentID", f"required for a {kind} with action {action}")
        if action == "ADD" and not _nonempty(event, "childEPCs", "childQuantityList"):
            c.fail(f"{path}.childEPCs", "action ADD needs childEPCs or childQuantityList")
    if "ilmd" in event and kind == "ObjectEvent" and action != "ADD":
        c.fail(f"{path}.ilmd", "ILMD is only allowed on an ObjectEvent with action ADD")


def _check_identifiers(c: _Checker, event: Mapping[str, Any], path: str) -> None:
    for key in ("epcList", "childEPCs", "inputEPCList", "outputEPCList"):
        if key in event:
            c.list_of(
                event[key], f"{path}.{key}", lambda v, p: c.identifier(v, p, level="instance")
            )
    if "parentID" in event:
        c.identifier(event["parentID"], f"{path}.parentID", level="instance")
    if "transformationID" in event:
        c.uri(event["transformationID"], f"{path}.transformationID")
    for key in ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"):
        if key in event:
            c.list_of(event[key], f"{path}.{key}", lambda q, p: _check_quantity(c, q, p))
    if "ilmd" in event and c.obj(event["ilmd"], f"{path}.ilmd"):
        c.extensions(event["ilmd"], frozenset(), f"{path}.ilmd")


def event_issues(event: Any, *, context: Any = None, path: str = "") -> list[Issue]:
    """Every problem of one event (``path`` prefixes the JSON paths; bare events use "")."""
    here = path or "$"
    if not isinstance(event, Mapping):
        return [Issue(here, "an event must be a JSON object")]
    checker = _Checker(namespaces(context, event.get("@context")))
    kind = event.get("type")
    if kind not in EVENT_TYPES:
        checker.fail(f"{path}.type" if path else "type", f"must be one of {', '.join(EVENT_TYPES)}")
        return checker.issues
    prefix = path
    _check_common(checker, event, prefix)
    _check_type_rules(checker, event, kind, prefix)
    _check_identifiers(checker, event, prefix)
    checker.extensions(event, _COMMON | _FIELDS[kind], prefix)
    return [Issue(i.path.lstrip("."), i.message) for i in checker.issues]


def document_issues(document: Any) -> list[Issue]:
    """Every problem of an EPCISDocument, with paths like ``epcisBody.eventList[2].eventTime``."""
    if not isinstance(document, Mapping):
        return [Issue("$", "an EPCIS document must be a JSON object")]
    issues: list[Issue] = []
    if "@context" not in document:
        issues.append(Issue("@context", "required (the EPCIS 2.0 JSON-LD context)"))
    if document.get("type") != "EPCISDocument":
        issues.append(Issue("type", "must be EPCISDocument"))
    if not str(document.get("schemaVersion", "")).startswith("2."):
        issues.append(Issue("schemaVersion", "must be 2.0"))
    if "creationDate" not in document:
        issues.append(Issue("creationDate", "required"))
    else:
        checker = _Checker({})
        checker.time(document["creationDate"], "creationDate")
        issues.extend(checker.issues)
    body = document.get("epcisBody")
    events = body.get("eventList") if isinstance(body, Mapping) else None
    if not isinstance(events, list):
        return [*issues, Issue("epcisBody.eventList", "required: a list of events")]
    for index, event in enumerate(events):
        where = f"epcisBody.eventList[{index}]"
        issues.extend(event_issues(event, context=document.get("@context"), path=where))
    return issues


def validate_event(event: Any, *, context: Any = None) -> None:
    """Raise ``InvalidEvent`` listing every problem of a bare event."""
    if issues := event_issues(event, context=context):
        raise InvalidEvent(issues)


def validate_document(document: Any) -> None:
    """Raise ``InvalidEvent`` listing every problem of an EPCISDocument."""
    if issues := document_issues(document):
        raise InvalidEvent(issues)
