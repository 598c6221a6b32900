"""Errors raised by the risk engine.

Tree (under :class:`traceability.errors.TraceabilityError`)::

    InvalidDocument (ValueError)
    └── InvalidRiskTrade          the documents cannot give the record the rules need
"""

from __future__ import annotations

from traceability.errors import InvalidDocument

__all__ = ["InvalidRiskTrade"]


class InvalidRiskTrade(InvalidDocument):
    """Raised when a trade lacks what the risk rules need (no order) or a threshold is unusable."""
