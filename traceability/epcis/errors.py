"""Exceptions raised by the EPCIS and CBV layer.

They hang under the package root ``TraceabilityError`` and carry its
``field`` (a JSON path such as ``"epcisBody.eventList[2].eventTime"``) and a
machine ``reason`` code. Errors about GS1 identifiers (Digital Links, EPC
URNs) live in ``traceability.gs1.errors``.

Tree::

    TraceabilityError
    └── InvalidEvent (ValueError)              an EPCIS event or document breaks a rule
"""

# STYLE.md names exceptions by meaning (InvalidEvent), not with an Error suffix.

from __future__ import annotations

from dataclasses import dataclass

from traceability.errors import TraceabilityError

__all__ = ["InvalidEvent", "Issue"]


@dataclass(frozen=True)
class Issue:
    """One validation problem: the JSON path of the field and why it is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class InvalidEvent(TraceabilityError, ValueError):
    """Raised when an EPCIS event or document is not valid; ``field`` is the first bad path."""

    def __init__(self, issues: list[Issue] | tuple[Issue, ...]):
        if not issues:
            raise ValueError("InvalidEvent needs at least one issue")
        first = issues[0]
        super().__init__(first.message, field=first.path)
        #: Every problem found, in document order; ``field``/``message`` repeat the first.
        self.issues: tuple[Issue, ...] = tuple(issues)
