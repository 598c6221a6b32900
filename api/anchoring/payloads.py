"""The JSON payloads of outbox rows, one frozen dataclass per lane.

``to_json()`` writes the text the services store and ``from_json()`` reads it back
when the worker sends the batch. The texts are byte for byte what existing
databases hold (sorted keys; the lot payload keeps non-ASCII characters): change
neither the keys nor the ``json.dumps`` options.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import Self

__all__ = ["DocumentPayload", "LotEventPayload", "SupersedePayload", "VerdictPayload"]


def _object(text: str, kind: str) -> dict[str, Any]:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{kind} payload is not a JSON object: {text!r}")
    return data


@dataclass(frozen=True)
class DocumentPayload:
    """A document hash needs nothing beyond its subject: the payload is ``{}``."""

    def to_json(self) -> str:
        """The stored JSON text."""
        return "{}"

    @classmethod
    def from_json(cls, text: str) -> Self:
        """Read a stored payload."""
        _object(text, "document")
        return cls()


@dataclass(frozen=True)
class LotEventPayload:
    """An EPCIS event queued in the lane of a lot it touches."""

    event_id: str
    gtin: str
    lot: str

    def to_json(self) -> str:
        """The stored JSON text (sorted keys, non-ASCII kept)."""
        data = {"eventId": self.event_id, "gtin": self.gtin, "lot": self.lot}
        return json.dumps(data, sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Self:
        """Read a stored payload."""
        data = _object(text, "lot event")
        return cls(event_id=str(data["eventId"]), gtin=str(data["gtin"]), lot=str(data["lot"]))


@dataclass(frozen=True)
class VerdictPayload:
    """A trade's match verdict to record on chain (hashes as hex)."""

    trade_id: str
    verdict_hash: str
    matched: bool

    def to_json(self) -> str:
        """The stored JSON text (sorted keys)."""
        data = {"tradeId": self.trade_id, "verdictHash": self.verdict_hash, "matched": self.matched}
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Self:
        """Read a stored payload."""
        data = _object(text, "verdict")
        return cls(
            trade_id=str(data["tradeId"]),
            verdict_hash=str(data["verdictHash"]),
            matched=bool(data["matched"]),
        )


@dataclass(frozen=True)
class SupersedePayload:
    """A corrected document: ``old`` is replaced by ``new`` (content hashes as hex)."""

    old: str
    new: str
    reason: str

    def to_json(self) -> str:
        """The stored JSON text (sorted keys)."""
        return json.dumps({"old": self.old, "new": self.new, "reason": self.reason}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Self:
        """Read a stored payload."""
        data = _object(text, "supersede")
        return cls(old=str(data["old"]), new=str(data["new"]), reason=str(data["reason"]))
