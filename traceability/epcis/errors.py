"""Exceptions raised by the EPCIS, CBV and GS1 Digital Link layer.

They hang under the package root ``TraceabilityError`` and carry its
``field`` (a JSON path such as ``"epcisBody.eventList[2].eventTime"``, or the
part of a URI such as ``"path./01"``) and a machine ``reason`` code.

Tree::

    TraceabilityError
    ├── InvalidEvent (ValueError)              an EPCIS event or document breaks a rule
    └── InvalidIdentifier (ValueError)         a GS1 identifier cannot be read
        ├── InvalidDigitalLink                 a GS1 Digital Link URI is malformed
        │   └── UnsupportedCompression         a compressed Digital Link uses an unsupported feature
        └── InvalidEpcUri                      an EPC URN (urn:epc:...) is malformed
"""

# STYLE.md names exceptions by meaning (InvalidEvent), not with an Error suffix.

from __future__ import annotations

from dataclasses import dataclass

from traceability.errors import TraceabilityError

__all__ = [
    "InvalidDigitalLink",
    "InvalidEpcUri",
    "InvalidEvent",
    "InvalidIdentifier",
    "Issue",
    "UnsupportedCompression",
]


@dataclass(frozen=True)
class Issue:
    """One validation problem: the JSON path of the field and why it is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class InvalidEvent(TraceabilityError, ValueError):
    """Raised when an EPCIS event or document is not valid; ``field`` is the first bad path."""

    reason = "invalid_event"

    def __init__(self, issues: list[Issue] | tuple[Issue, ...]):
        if not issues:
            raise ValueError("InvalidEvent needs at least one issue")
        first = issues[0]
        super().__init__(first.message, field=first.path)
        #: Every problem found, in document order; ``field``/``message`` repeat the first.
        self.issues: tuple[Issue, ...] = tuple(issues)


class InvalidIdentifier(TraceabilityError, ValueError):
    """Raised when a GS1 identifier (Digital Link or EPC URN) cannot be read."""

    reason = "invalid_identifier"


class InvalidDigitalLink(InvalidIdentifier):
    """Raised when a GS1 Digital Link URI is malformed; ``field`` names the part."""

    reason = "invalid_digital_link"


class UnsupportedCompression(InvalidDigitalLink):
    """Raised when a compressed Digital Link uses an encoding we do not decompress."""

    reason = "unsupported_compression"


class InvalidEpcUri(InvalidIdentifier):
    """Raised when an EPC URN (urn:epc:id / class / idpat) is malformed."""

    reason = "invalid_epc_uri"
