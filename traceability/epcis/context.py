"""The EPCIS 2.0 JSON-LD context, bundled: nothing is ever fetched over the network.

``build_context()`` writes the context from the term lists of the EPCIS 2.0
standard and CBV 2.0 (see ``vocabulary``); the same JSON ships as package data
in ``epcis-context.jsonld`` (a test keeps the two equal). ``document_loader``
is a PyLD-compatible loader that serves it for the standard context URLs and
refuses every other URL, for callers that want full JSON-LD expansion.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, Final

from traceability.epcis.errors import InvalidEvent, Issue
from traceability.epcis.vocabulary import CBV, EPCIS, GS1_VOC, Vocabulary

__all__ = ["CONTEXT_URLS", "build_context", "bundled_context", "document_loader"]

#: URLs under which documents reference the EPCIS 2.0 context.
CONTEXT_URLS: Final = (
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
    "https://gs1.github.io/EPCIS/epcis-context.jsonld",
)
_FILE: Final = "epcis-context.jsonld"


def _vocab(term: str, vocabulary: Vocabulary, prefix: str) -> dict[str, Any]:
    return {
        "@id": f"epcis:{term}",
        "@type": "@vocab",
        "@context": {t: prefix + t for t in sorted(vocabulary.terms)},
    }


def _ids(*names: str, container: bool = False) -> dict[str, Any]:
    extra = {"@container": "@set"} if container else {}
    return {n: {"@id": f"epcis:{n}", "@type": "@id", **extra} for n in names}


def _times(*names: str) -> dict[str, Any]:
    return {n: {"@id": f"epcis:{n}", "@type": "xsd:dateTimeStamp"} for n in names}


def _typed_list(name: str, key: str, type_id: str, vocabulary: Vocabulary) -> dict[str, Any]:
    inner = {
        "@protected": True,
        key: "@id"
        if key == "bizTransaction"
        else {"@id": "epcis:sourceOrDestination", "@type": "@id"},
        "type": _vocab(type_id, vocabulary, f"cbv:{vocabulary.label}-"),
    }
    return {"@id": f"epcis:{name}", "@container": "@set", "@context": inner}


def _sensor_context() -> dict[str, Any]:
    doubles = ("value", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue")
    report = {
        "@protected": True,
        "type": _vocab("measurementType", Vocabulary.MEASUREMENT_TYPE, "gs1:"),
        "exception": _vocab("exception", Vocabulary.SENSOR_ALERT, "gs1:"),
        "component": _vocab("component", Vocabulary.COMPONENT, "cbv:Comp-"),
        **_ids("coordinateReferenceSystem", "microorganism", "chemicalSubstance", "uriValue"),
        **_times("time"),
        **{d: {"@id": f"epcis:{d}", "@type": "xsd:double"} for d in doubles},
        "stringValue": "epcis:stringValue",
        "booleanValue": {"@id": "epcis:booleanValue", "@type": "xsd:boolean"},
        "hexBinaryValue": {"@id": "epcis:hexBinaryValue", "@type": "xsd:hexBinary"},
        "uom": "epcis:uom",
    }
    element = {
        "@protected": True,
        **_ids("deviceID", "deviceMetadata", "rawData", "dataProcessingMethod"),
        **_times("time"),
        "type": "@type",
        "sensorMetadata": {
            "@id": "epcis:sensorMetadata",
            "@context": {"@protected": True, **_times("startTime", "endTime"), **_ids("bizRules")},
        },
        "sensorReport": {"@id": "epcis:sensorReport", "@context": report},
    }
    return {"@id": "epcis:sensorElementList", "@container": "@set", "@context": element}


def build_context() -> dict[str, Any]:
    """The EPCIS 2.0 JSON-LD context document, written from the standard's term lists."""
    events = ("ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent")
    terms: dict[str, Any] = {
        "@protected": True,
        "@version": 1.1,
        "epcis": EPCIS,
        "cbv": CBV,
        "gs1": GS1_VOC,
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "dcterms": "http://purl.org/dc/terms/",
        "owl": "http://www.w3.org/2002/07/owl#",
        "id": "@id",
        "type": "@type",
        "eventID": "@id",
        **{e: f"epcis:{e}" for e in (*events, "AssociationEvent", "EPCISDocument")},
        **_times("eventTime", "recordTime"),
        "creationDate": {"@id": "dcterms:created", "@type": "xsd:dateTime"},
        "schemaVersion": "owl:versionInfo",
        "eventTimeZoneOffset": "epcis:eventTimeZoneOffset",
        "action": "epcis:action",
        "bizStep": _vocab("bizStep", Vocabulary.BIZ_STEP, "cbv:BizStep-"),
        "disposition": _vocab("disposition", Vocabulary.DISPOSITION, "cbv:Disp-"),
        "persistentDisposition": {"@id": "epcis:persistentDisposition"},
        **_ids(
            "certificationInfo",
            "epcList",
            "childEPCs",
            "inputEPCList",
            "outputEPCList",
            container=True,
        ),
        **_ids("parentID", "readPoint", "bizLocation", "transformationID", "epcClass"),
        **{
            q: {"@id": f"epcis:{q}", "@container": "@set"}
            for q in (
                "quantityList",
                "childQuantityList",
                "inputQuantityList",
                "outputQuantityList",
            )
        },
        "quantity": {"@id": "epcis:quantity", "@type": "xsd:double"},
        "uom": "epcis:uom",
        "bizTransactionList": _typed_list(
            "bizTransactionList",
            "bizTransaction",
            "bizTransactionType",
            Vocabulary.BIZ_TRANSACTION_TYPE,
        ),
        "sourceList": _typed_list(
            "sourceList", "source", "sourceOrDestinationType", Vocabulary.SOURCE_DESTINATION_TYPE
        ),
        "destinationList": _typed_list(
            "destinationList",
            "destination",
            "sourceOrDestinationType",
            Vocabulary.SOURCE_DESTINATION_TYPE,
        ),
        "sensorElementList": _sensor_context(),
        "errorDeclaration": {"@id": "epcis:errorDeclaration"},
        "ilmd": {"@id": "epcis:ilmd"},
        "epcisBody": "epcis:epcisBody",
        "eventList": {"@id": "epcis:eventList"},
    }
    return {"@context": terms}


@cache
def _bundled_text() -> str:
    return resources.files(__package__).joinpath(_FILE).read_text(encoding="utf-8")


def bundled_context() -> dict[str, Any]:
    """The context as shipped in the package (a fresh copy each call)."""
    value: dict[str, Any] = json.loads(_bundled_text())
    return value


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """PyLD document loader: the bundled context for the standard URLs, refusal otherwise."""
    if url not in CONTEXT_URLS:
        raise InvalidEvent(
            [Issue("@context", f"will not fetch {url}: only the bundled EPCIS context")]
        )
    return {"contextUrl": None, "documentUrl": url, "document": bundled_context()}
