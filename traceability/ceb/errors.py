"""Exceptions raised while reading, checking and writing CEB XML messages.

Every class carries a machine ``reason`` (inherited from
:class:`~traceability.errors.TraceabilityError`) so the API and the CLI can
answer without parsing messages.

Tree::

    InvalidDocument (traceability.errors, ValueError)
    └── CebError                          a CEB message cannot be accepted on its own
        ├── UnsafeXml                     refused before parsing for safety
        │   ├── DocumentTooLarge          more bytes, elements or nesting levels than the limits
        │   ├── ForbiddenDoctype          a DOCTYPE (CEB messages never need one)
        │   ├── ForbiddenEntity           an entity declaration (billion laughs, quadratic blow-up)
        │   └── ForbiddenExternalReference an external DTD or entity (XXE)
        ├── MalformedXml                  not well-formed XML, or not UTF-8
        ├── UnknownMessage (LookupError)  the root is not a supported CEB message
        │   └── WrongNamespace            the root is not in the CEB namespace
        ├── SchemaViolation               one or more schema issues, all reported at once
        └── InvalidSummary                inventories cannot form one summary application (CEB701)
"""

from __future__ import annotations

from dataclasses import dataclass

from traceability.errors import InvalidDocument
from traceability.trade.report import TextRecord

# No __all__ here: the package's __init__ lists the public API once; every class here is in it.


class CebError(InvalidDocument):
    """Raised when a CEB message cannot be accepted on its own."""

    reason = "ceb_invalid"


class UnsafeXml(CebError):
    """Raised when a document is refused before parsing because it could attack the parser."""


class DocumentTooLarge(UnsafeXml):
    """Raised when a document has more bytes, elements or nesting levels than its limits."""


class ForbiddenDoctype(UnsafeXml):
    """Raised when a document carries a DOCTYPE declaration."""

    reason = "doctype_forbidden"


class ForbiddenEntity(UnsafeXml):
    """Raised when a DOCTYPE declares entities (general or parameter)."""

    reason = "entity_forbidden"


class ForbiddenExternalReference(UnsafeXml):
    """Raised when a document refers to an external DTD or external entity (XXE)."""

    reason = "external_reference_forbidden"


class MalformedXml(CebError):
    """Raised when a document is not well-formed XML or is not encoded in UTF-8."""


class UnknownMessage(CebError, LookupError):
    """Raised when the root element is not one of the supported CEB messages."""


class WrongNamespace(UnknownMessage):
    """Raised when the root element is not in the CEB namespace."""


@dataclass(frozen=True, slots=True)
class SchemaIssue(TextRecord):
    """One schema problem: where it is and why it is wrong."""

    message_type: str
    path: str
    reason: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        """Return the issue as plain JSON-ready data."""
        return self.to_json_dict()


class SchemaViolation(CebError):
    """Raised when a message breaks its schema; ``issues`` lists every problem found."""

    def __init__(self, issues: tuple[SchemaIssue, ...]) -> None:
        first = issues[0] if issues else None
        summary = f"{len(issues)} schema issue(s)"
        if first is not None:
            summary += f"; first: {first.path}: {first.detail}"
        super().__init__(summary, field=first.path if first else None)
        self.issues = issues


class InvalidSummary(CebError):
    """Raised when the given inventories cannot form one summary application (CEB701)."""
