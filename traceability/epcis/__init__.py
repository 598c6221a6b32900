"""EPCIS 2.0 events, CBV 2.0 vocabulary, validation and the CBV 2.0 event hash.

Pure: no network (the JSON-LD context is bundled), no files, no clock.
The GS1 identifier errors and EPC URN helpers are re-exported from
``traceability.gs1``, where they live.
"""

from traceability.epcis.context import CONTEXT_URLS, build_context, bundled_context
from traceability.epcis.errors import InvalidEvent, Issue
from traceability.epcis.hashing import event_hash, event_hash_bytes, prehash
from traceability.epcis.model import (
    BizTransaction,
    Document,
    Event,
    EventHash,
    EventType,
    Party,
    QuantityElement,
    SensorReport,
    anchored_hash_bytes,
    correction_of,
    parse_document,
    parse_event,
    parse_link,
    to_digital_link,
)
from traceability.epcis.validation import (
    document_issues,
    event_issues,
    validate_document,
    validate_event,
)
from traceability.epcis.vocabulary import Vocabulary, expand_term, short_term
from traceability.gs1 import (
    InvalidDigitalLink,
    InvalidEpcUri,
    InvalidIdentifier,
    UnsupportedCompression,
    epc_uri_to_digital_link,
    is_epc_uri,
)

__all__ = [
    "CONTEXT_URLS",
    "BizTransaction",
    "Document",
    "Event",
    "EventHash",
    "EventType",
    "InvalidDigitalLink",
    "InvalidEpcUri",
    "InvalidEvent",
    "InvalidIdentifier",
    "Issue",
    "Party",
    "QuantityElement",
    "SensorReport",
    "UnsupportedCompression",
    "Vocabulary",
    "anchored_hash_bytes",
    "build_context",
    "bundled_context",
    "correction_of",
    "document_issues",
    "epc_uri_to_digital_link",
    "event_hash",
    "event_hash_bytes",
    "event_issues",
    "expand_term",
    "is_epc_uri",
    "parse_document",
    "parse_event",
    "parse_link",
    "prehash",
    "short_term",
    "to_digital_link",
    "validate_document",
    "validate_event",
]
