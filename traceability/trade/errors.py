"""Errors raised by the three-document domain.

Tree (under :class:`traceability.errors.TraceabilityError`)::

    InvalidDocument (ValueError)
    ├── UnknownMessageType        a CEB message type sandan has no model for
    ├── InvalidTradeKey           ebpCode / orderNo cannot form a trade key
    └── InconsistentTrade         documents handed to the matcher cannot belong together

A document that fails its schema raises pydantic's ``ValidationError`` instead,
whose ``loc`` names the CEB field; a *mismatch* between valid documents is not
an error at all but a :class:`~traceability.trade.verdict.Verdict`.
"""

from __future__ import annotations

from traceability.errors import InvalidDocument

__all__ = ["InconsistentTrade", "InvalidTradeKey", "UnknownMessageType"]


class UnknownMessageType(InvalidDocument):
    """Raised when a document names a CEB message type that has no trade model."""

    def __init__(self, message_type: str) -> None:
        super().__init__(f"no trade document model for message type {message_type!r}")
        self.message_type = message_type


class InvalidTradeKey(InvalidDocument):
    """Raised when ebpCode / orderNo are empty or ebpCode contains '/'."""


class InconsistentTrade(InvalidDocument):
    """Raised when matcher input mixes directions or names a mode the documents cannot have."""
