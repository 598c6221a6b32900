"""The matcher's result: a verdict that explains itself, and its anchored hash.

JSON form (``Verdict.to_json_dict()``, hashed by :func:`verdict_hash`)::

    {"rulesVersion": "sandan-ceb-202205/1", "tradeId": "<64 hex>" | null,
     "ebpCode": ..., "orderNo": ..., "direction": "import", "tradeMode": "9610",
     "status": "match" | "mismatch" | "pending", "missing": ["payment", ...],
     "documents": {"order": "<64 hex>", "payment": ..., "logistics": ..., "inventory": ...},
     "failures": [{"rule", "document", "field", "expected", "actual", "message"}, ...],
     "notices": [{"rule", "document", "field", "message"}, ...]}

``documents`` names the content hash of every document the verdict judged, so the
verdict's hash commits to those exact documents: a release, settlement or financing that
names the verdict on chain names them too, and another version of any of them (other
goods, another HS code, re-signed) makes another verdict, never the one customs released.

Status: ``pending`` while a document the mode requires is missing (failures
already found among the present documents are listed too: the trade will be a
mismatch unless a corrected version arrives); otherwise ``mismatch`` when any
rule failed, else ``match``. Notices are observations that do not fail a trade
(for example a single indivisible item above 5,000 CNY, taxed as general trade).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from Crypto.Hash import keccak

from traceability.canonical import content_hash
from traceability.digests import DigestProfile
from traceability.trade.models import TradeKey
from traceability.trade.modes import Direction, DocumentKind, TradeMode
from traceability.trade.report import TextRecord

RULES_VERSION = "sandan-ceb-202205/2"
"""Names the rule set a verdict was computed with; bump when a rule changes meaning."""


class VerdictStatus(StrEnum):
    """Outcome of matching one trade."""

    MATCH = "match"
    MISMATCH = "mismatch"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class RuleFailure(TextRecord):
    """One failed rule: which document and field, what was expected, what was found."""

    rule: str
    document: DocumentKind
    field: str
    expected: str
    actual: str
    message: str


@dataclass(frozen=True, slots=True)
class Notice(TextRecord):
    """An observation a rule made that does not fail the trade."""

    rule: str
    document: DocumentKind
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """The result of :func:`~traceability.trade.matching.match_trade` for one trade."""

    status: VerdictStatus
    direction: Direction
    mode: TradeMode
    key: TradeKey | None
    missing: tuple[DocumentKind, ...]
    failures: tuple[RuleFailure, ...]
    notices: tuple[Notice, ...] = ()
    rules_version: str = RULES_VERSION
    #: Content hash (64 hex) of each judged document by kind, in matching order.
    documents: Mapping[DocumentKind, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def failed_rules(self) -> tuple[str, ...]:
        """Distinct ids of the failed rules, in report order."""
        return tuple(dict.fromkeys(failure.rule for failure in self.failures))

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-safe form, stable key set, for display and RFC 8785 hashing."""
        key = self.key
        return {
            "rulesVersion": self.rules_version,
            "tradeId": None if key is None else key.trade_id.hex(),
            "ebpCode": None if key is None else key.ebpCode,
            "orderNo": None if key is None else key.orderNo,
            "direction": self.direction.value,
            "tradeMode": self.mode.value,
            "status": self.status.value,
            "missing": [kind.value for kind in self.missing],
            "documents": {kind.value: digest for kind, digest in self.documents.items()},
            "failures": [failure.to_json_dict() for failure in self.failures],
            "notices": [notice.to_json_dict() for notice in self.notices],
        }


def verdict_hash(verdict: Verdict, profile: DigestProfile = DigestProfile.SHA256) -> bytes:
    """The digest (SHA-256, or SM3 in an SM3 zone) of the RFC 8785 canonical JSON of
    ``verdict.to_json_dict()`` (32 bytes)."""
    return content_hash(verdict.to_json_dict(), profile)


def trade_verdict_key(trade_id: bytes, verdict_hash: bytes) -> bytes:
    """``keccak256(abi.encode(tradeId, verdictHash))``: the value TradeRegistry's release,
    settlement and financing authorizations sign the StandardMerkleTree leaf of
    (``tradeVerdictKey`` in the contract), so each names the verdict it was judged on."""
    if len(trade_id) != 32 or len(verdict_hash) != 32:
        raise ValueError("a trade id and a verdict hash are 32 bytes each")
    return keccak.new(digest_bits=256, data=trade_id + verdict_hash).digest()
