"""The JSON payloads of outbox rows, one frozen dataclass per lane.

``to_json()`` writes the text the services store and ``from_json()`` reads it back
when the worker sends the batch. The texts are byte for byte what existing
databases hold (sorted keys; the lot payload keeps non-ASCII characters): change
neither the keys nor the ``json.dumps`` options.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from typing import Self

__all__ = [
    "REGISTRY_OPS",
    "DocumentPayload",
    "LotEventPayload",
    "RegistryPayload",
    "ReleasePayload",
    "SupersedePayload",
    "VerdictPayload",
]


def _object(text: str, kind: str) -> dict[str, Any]:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"a stored {kind} is not a JSON object: {text!r}")
    return data


#: How a stored JSON value becomes a field again, by the field's annotation.
_DECODE: dict[str, type] = {"str": str, "bool": bool, "int": int}


def _json_key(field_name: str) -> str:
    """``event_id`` → ``eventId``: the stored keys are the fields' camelCase names."""
    first, *rest = field_name.split("_")
    return first + "".join(part.title() for part in rest)


@dataclass(frozen=True)
class _Payload:
    """A payload stored as the JSON object of its fields (camelCase keys, sorted)."""

    #: Whether non-ASCII characters are written as they are (the lot lane's rows were).
    keep_unicode: ClassVar[bool] = False

    def to_json(self) -> str:
        """The stored JSON text."""
        data = {_json_key(f.name): getattr(self, f.name) for f in fields(self)}
        return json.dumps(data, sort_keys=True, ensure_ascii=not self.keep_unicode)

    @classmethod
    def from_json(cls, text: str) -> Self:
        """Read a stored payload."""
        data = _object(text, cls.__name__)
        return cls(**{f.name: _DECODE[str(f.type)](data[_json_key(f.name)]) for f in fields(cls)})


@dataclass(frozen=True)
class DocumentPayload(_Payload):
    """A document hash needs nothing beyond its subject: the payload is ``{}``."""


@dataclass(frozen=True)
class LotEventPayload(_Payload):
    """An EPCIS event queued in the lane of a lot it touches."""

    keep_unicode = True

    event_id: str
    gtin: str
    lot: str


@dataclass(frozen=True)
class VerdictPayload(_Payload):
    """A trade's match verdict to record on chain (hashes as hex), with the codes of the
    parties that signed the documents it judged (sorted, comma-separated): the verdict batch
    commits to them, and the registry refuses release and financing when one is listed.

    Rows written before the negative list have no ``parties`` key and read as naming none."""

    trade_id: str
    verdict_hash: str
    matched: bool
    parties: str = ""

    def to_json(self) -> str:
        """The stored JSON text; without signers it is the text older rows hold."""
        data: dict[str, Any] = {
            "tradeId": self.trade_id,
            "verdictHash": self.verdict_hash,
            "matched": self.matched,
        }
        if self.parties:
            data["parties"] = self.parties
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> VerdictPayload:
        """Read a stored payload (an older row has no ``parties``)."""
        data = _object(text, cls.__name__)
        return cls(
            trade_id=str(data["tradeId"]),
            verdict_hash=str(data["verdictHash"]),
            matched=bool(data["matched"]),
            parties=str(data.get("parties", "")),
        )

    @property
    def party_codes(self) -> tuple[str, ...]:
        """The signers' party codes."""
        return tuple(code for code in self.parties.split(",") if code)


@dataclass(frozen=True)
class ReleasePayload(_Payload):
    """A matched trade to release under customs' standing policy: its position in the lane's
    verdict batch (whose root it names), and the facts the contract checks against the policy
    (grade, customs mode, customs value in fen) with the sha-256 of the grade's inputs.
    ``decision`` is the ``auto_release`` row that decided it."""

    trade_id: str
    verdict_root: str
    position: int
    grade: str
    mode: str
    value: int
    inputs_hash: str
    decision: int


@dataclass(frozen=True)
class SupersedePayload(_Payload):
    """A corrected document: ``old`` is replaced by ``new`` (content hashes as hex)."""

    old: str
    new: str
    reason: str


#: The PartyRegistry writes a registry row may carry, and the arguments each takes.
REGISTRY_OPS: dict[str, tuple[str, ...]] = {
    "registerParty": ("code", "recordHash", "roles"),
    "updateRecord": ("code", "recordHash"),
    "grantPartyRole": ("code", "role"),
    "revokePartyRole": ("code", "role"),
    "addKey": ("code", "keyId", "alg", "publicKey"),
    "revokeKey": ("keyId", "compromisedSinceBlock", "reason"),
    "addAccount": ("code", "account"),
    "removeAccount": ("code", "account"),
}


@dataclass(frozen=True)
class RegistryPayload:
    """One PartyRegistry write: the function's name and its arguments, as sandan names them
    (party codes and key ids, not their on-chain hashes; the lane derives those)."""

    op: str
    args: tuple[tuple[str, Any], ...]

    def __post_init__(self) -> None:
        expected = REGISTRY_OPS.get(self.op)
        if expected is None:
            raise ValueError(f"unknown registry operation {self.op!r}")
        if tuple(name for name, _ in self.args) != expected:
            raise ValueError(f"{self.op} takes {', '.join(expected)}")

    @classmethod
    def of(cls, op: str, **args: Any) -> RegistryPayload:
        """The payload of ``op`` with ``args`` (in the operation's order)."""
        return cls(op, tuple((name, args[name]) for name in REGISTRY_OPS.get(op, args)))

    def arg(self, name: str) -> Any:
        """One argument's value."""
        return dict(self.args)[name]

    def to_json(self) -> str:
        """The stored JSON text."""
        return json.dumps({"op": self.op, "args": dict(self.args)}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RegistryPayload:
        """Read a stored payload."""
        data = _object(text, cls.__name__)
        args = _object(json.dumps(data["args"]), "registry arguments")
        return cls.of(str(data["op"]), **args)
