"""GS1 identifiers: Digital Link (build, parse, canonical forms, compression) and EPC URNs.

Pure: no network, no files, no clock. Modules import one way only::

    errors        ← every module below
    _ai_tables    ← compression, digital_link   (AI keys, qualifiers, AI lookup)
    compression   ← digital_link                (bits ↔ element strings; needs only the tables)
    digital_link                                (parse, build, compress a checked link, lot ids)
    epc                                         (EPC URNs → Digital Link on id.gs1.org)

``traceability.gs1`` never imports ``traceability.epcis``; EPCIS builds on it.
"""

from traceability.gs1.compression import (
    BASE64_ALPHABET,
    OPTIMISATIONS,
    TOOLKIT_OPTIMISATIONS,
    CompressedElements,
    decode_compressed,
    decompress_digital_link,
    encode_compressed,
)
from traceability.gs1.digital_link import (
    CANONICAL_HOST,
    DigitalLink,
    build_digital_link,
    compress_digital_link,
    constrained_digital_link,
    is_digital_link,
    lot_id,
    lot_uri,
    parse_digital_link,
)
from traceability.gs1.epc import epc_uri_to_digital_link, is_epc_uri
from traceability.gs1.errors import (
    InvalidDigitalLink,
    InvalidEpcUri,
    InvalidIdentifier,
    UnsupportedCompression,
)

__all__ = [
    "BASE64_ALPHABET",
    "CANONICAL_HOST",
    "OPTIMISATIONS",
    "TOOLKIT_OPTIMISATIONS",
    "CompressedElements",
    "DigitalLink",
    "InvalidDigitalLink",
    "InvalidEpcUri",
    "InvalidIdentifier",
    "UnsupportedCompression",
    "build_digital_link",
    "compress_digital_link",
    "constrained_digital_link",
    "decode_compressed",
    "decompress_digital_link",
    "encode_compressed",
    "epc_uri_to_digital_link",
    "is_digital_link",
    "is_epc_uri",
    "lot_id",
    "lot_uri",
    "parse_digital_link",
]
