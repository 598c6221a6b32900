"""What checking a lot reports, and the chain calls it needs (``sandan verify-lot``).

A report is a list of named checks, each with what it expected and what it found;
an event not anchored yet is *pending* (reported, and the lot is not verified).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Literal, Protocol


class LotOutcome(IntEnum):
    """What checking a lot concluded, as the exit code of ``sandan verify-lot``."""

    VERIFIED = 0
    NOT_AUTHENTIC = 1  # a check failed, or an event is still pending
    UNUSABLE = 2
    UNREACHABLE = 3


class RegistryRefused(Exception):
    """Raised by a :class:`LotChain` when a registry answered a call with an error or junk."""


Status = Literal["passed", "failed", "pending"]
#: :meth:`LotReport.add`: record a check (name, ok, expected, found) and return ok.
AddCheck = Callable[[str, bool, str, str], bool]


class EventAnchor(Protocol):
    """What ``TraceRegistry.verifyEvent`` answers (the fields the verifier reads)."""

    @property
    def anchored(self) -> bool: ...
    @property
    def root(self) -> bytes: ...
    @property
    def block_number(self) -> int: ...
    @property
    def recalled(self) -> bool: ...
    @property
    def lot_id(self) -> bytes: ...


class Signer(Protocol):
    """What ``PartyRegistry.signerAt`` answers."""

    @property
    def party_id(self) -> bytes: ...
    @property
    def alg(self) -> int: ...
    @property
    def public_key_hash(self) -> bytes: ...
    @property
    def valid_from_block(self) -> int: ...
    @property
    def revoked_from_block(self) -> int: ...
    @property
    def roles_at_block(self) -> int: ...


class AnchorTransaction(Protocol):
    """A transaction's receipt, as far as a lot's check reads it."""

    @property
    def succeeded(self) -> bool: ...
    @property
    def block_number(self) -> int: ...
    @property
    def batches(self) -> Sequence[tuple[bytes, bytes, bytes]]:
        """(lotId, root, batchId) of each ``LotBatchAnchored`` the trusted TraceRegistry emitted."""
        ...


class LotChain(Protocol):
    """The read-only registry calls a lot's check needs, on the trusted registries.

    A node that cannot be reached raises its own error (it propagates: nothing was
    concluded); a call the registry answers with an error raises :class:`RegistryRefused`.
    """

    def verify_event(self, event_hash: bytes, proof: Sequence[bytes]) -> EventAnchor: ...

    def signer_at(self, key_hash: bytes, block_number: int) -> Signer: ...

    def anchor_transaction(self, tx_hash: str) -> AnchorTransaction | None:
        """The receipt of ``tx_hash``, or None when the chain has no such transaction."""
        ...


@dataclass(frozen=True)
class LotCheck:
    """One named check: what it expected, what it found."""

    name: str
    status: Status
    expected: str
    found: str

    @property
    def ok(self) -> bool:
        """True when the check passed."""
        return self.status == "passed"


@dataclass
class LotReport:
    """Every check run on a lot, and whether the chain says the lot is under recall."""

    checks: list[LotCheck] = field(default_factory=list)
    recalled: bool = False
    trust_source: str = ""
    calls: dict[str, int] = field(default_factory=dict)  # chain calls made, by method

    @property
    def verified(self) -> bool:
        """True when every check passed (and there was at least one): nothing pending."""
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def outcome(self) -> LotOutcome:
        """Verified, or not (a failed check or a pending event)."""
        return LotOutcome.VERIFIED if self.verified else LotOutcome.NOT_AUTHENTIC

    @property
    def pending(self) -> int:
        """How many events are not anchored yet."""
        return sum(1 for c in self.checks if c.status == "pending")

    def add(self, name: str, ok: bool, expected: str, found: str) -> bool:
        """Record a passed or failed check and return whether it passed."""
        self.checks.append(LotCheck(name, "passed" if ok else "failed", expected, found))
        return ok

    def to_json(self) -> dict[str, Any]:
        """The report as JSON."""
        return {
            "outcome": self.outcome.name.lower(),
            "verified": self.verified,
            "pending": self.pending,
            "recalled": self.recalled,
            "trustRoots": self.trust_source,
            "chainCalls": self.calls,
            "checks": [
                {"check": c.name, "status": c.status, "expected": c.expected, "found": c.found}
                for c in self.checks
            ],
        }
