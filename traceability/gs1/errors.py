"""Exceptions raised when a GS1 identifier (Digital Link or EPC URN) cannot be read.

They hang under the package root ``TraceabilityError`` and carry its ``field``
(the part of a URI such as ``"path./01"``, or ``"epc"``) and a machine
``reason`` code.

Tree::

    TraceabilityError
    └── InvalidIdentifier (ValueError)         a GS1 identifier cannot be read
        ├── InvalidDigitalLink                 a GS1 Digital Link URI is malformed
        │   └── UnsupportedCompression         a compressed Digital Link uses an unsupported feature
        └── InvalidEpcUri                      an EPC URN (urn:epc:...) is malformed
"""

# STYLE.md names exceptions by meaning (InvalidEvent), not with an Error suffix.

from __future__ import annotations

from traceability.errors import TraceabilityError

__all__ = [
    "InvalidDigitalLink",
    "InvalidEpcUri",
    "InvalidIdentifier",
    "UnsupportedCompression",
]


class InvalidIdentifier(TraceabilityError, ValueError):
    """Raised when a GS1 identifier (Digital Link or EPC URN) cannot be read."""


class InvalidDigitalLink(InvalidIdentifier):
    """Raised when a GS1 Digital Link URI is malformed; ``field`` names the part."""


class UnsupportedCompression(InvalidDigitalLink):
    """Raised when a compressed Digital Link uses an encoding we do not decompress."""


class InvalidEpcUri(InvalidIdentifier):
    """Raised when an EPC URN (urn:epc:id / class / idpat) is malformed."""
