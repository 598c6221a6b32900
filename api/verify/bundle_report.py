"""What checking a bundle reports (``sandan verify``), and the readers of the bundle's fields.

A report is a list of named checks, each with what it expected and what it found when
it failed. A field the checks cannot read makes the bundle unusable (exit 2), never a
failed check: nothing was concluded about it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

__all__ = ["Check", "Outcome", "Report", "UnusableBundle", "hex32", "mapping", "uint"]


class Outcome(IntEnum):
    """What a verification concluded, as the CLI's exit code."""

    AUTHENTIC = 0
    NOT_AUTHENTIC = 1
    UNUSABLE = 2
    UNREACHABLE = 3
    MISMATCH = 4


class UnusableBundle(ValueError):
    """The input is not a bundle this verifier can check (exit 2): nothing was concluded."""


@dataclass(frozen=True)
class Check:
    """One check's outcome; a failed one says what was expected and what was found."""

    name: str
    ok: bool
    detail: str
    expected: str | None = None
    found: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The check as JSON."""
        data: dict[str, Any] = {"check": self.name, "ok": self.ok, "detail": self.detail}
        if not self.ok:
            data["expected"] = self.expected
            data["found"] = self.found
        return data


@dataclass
class Report:
    """Every check run on a bundle, and the verdict's reasons when it is a mismatch."""

    checks: list[Check] = field(default_factory=list)
    trust_source: str = ""
    mismatch_reasons: list[str] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)

    @property
    def authentic(self) -> bool:
        """True when every check passed (and there was at least one)."""
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def outcome(self) -> Outcome:
        """Authentic, not authentic, or genuine documents whose verdict is a mismatch."""
        if not self.authentic:
            return Outcome.NOT_AUTHENTIC
        return Outcome.MISMATCH if self.mismatch_reasons else Outcome.AUTHENTIC

    def add(
        self, name: str, ok: bool, detail: str, *, expected: object = None, found: object = None
    ) -> bool:
        """Record a check and return its outcome."""
        self.checks.append(
            Check(
                name,
                ok,
                detail,
                None if expected is None else str(expected),
                None if found is None else str(found),
            )
        )
        return ok

    def to_json(self) -> dict[str, Any]:
        """The report as JSON."""
        return {
            "outcome": self.outcome.name.lower(),
            "authentic": self.outcome is Outcome.AUTHENTIC,
            "trustRoots": self.trust_source,
            "mismatchReasons": self.mismatch_reasons,
            "chainCalls": self.calls,
            "checks": [c.to_json() for c in self.checks],
        }


def hex32(value: object, where: str) -> bytes:
    """32 bytes written as hex (with or without 0x)."""
    text = str(value).removeprefix("0x")
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise UnusableBundle(f"{where}: expected 32 bytes of hex, found {value!r}")
    return raw


def uint(value: object, where: str, bits: int = 64) -> int:
    """An unsigned integer of at most ``bits`` bits (a block number, a batch, a position)."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 1 << bits:
        raise UnusableBundle(f"{where}: expected an integer in [0, 2**{bits}), found {value!r}")
    return value


def mapping(value: object, where: str) -> dict[str, Any]:
    """A JSON object."""
    if not isinstance(value, dict):
        raise UnusableBundle(f"{where}: expected an object, found {type(value).__name__}")
    return value
