"""Declarative description of CEB messages: element order, types, lengths, fixed values.

A message is a tree of :class:`Group` nodes (elements with children, such as
``Order`` or ``OrderHead``) whose leaves are :class:`Field` nodes (elements with
text, such as ``goodsValue``). :class:`Opaque` marks elements kept as raw XML
(``ds:Signature``, ``ExtendMessage``). The tables themselves live in
``_import_specs``, ``_export_specs`` and ``_receipt_specs``; the notation follows
the customs specification: ``C..n`` up to n characters, ``Cn`` exactly n,
``N19,5`` a decimal of 19 digits with at most 5 after the point.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, TypeAlias

__all__ = [
    "CEB_NS",
    "DS_NS",
    "UNBOUNDED",
    "Field",
    "Group",
    "Kind",
    "MessageSpec",
    "Node",
    "Opaque",
    "Record",
    "RuleIssue",
    "Value",
]

CEB_NS = "http://www.chinaport.gov.cn/ceb"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
UNBOUNDED = 1_000_000


class Kind(StrEnum):
    """Lexical type of a leaf element."""

    TEXT = "text"
    DECIMAL = "decimal"  # N19,5
    INT = "int"
    DATETIME = "datetime"  # C14 YYYYMMDDhhmmss
    DATE = "date"  # C8 YYYYMMDD
    MILLIS = "millis"  # C17 YYYYMMDDhhmmssSSS
    STATUS = "status"  # receipt returnStatus: an optionally negative integer in C..10


@dataclass(frozen=True, slots=True)
class Field:
    """A leaf element with text content."""

    name: str
    kind: Kind = Kind.TEXT
    max_length: int | None = None
    min_length: int = 1
    required: bool = True
    fixed: str | None = None
    choices: tuple[str, ...] = ()
    digits: int | None = None  # total digits of an int (None: the xs:int range)


@dataclass(frozen=True, slots=True)
class Group:
    """An element with element children, in XSD sequence order."""

    name: str
    children: tuple[Node, ...]
    min_occurs: int = 1
    max_occurs: int = 1


@dataclass(frozen=True, slots=True)
class Opaque:
    """An element kept as raw XML bytes (signature, extension)."""

    name: str
    namespace: str = CEB_NS
    min_occurs: int = 0
    max_occurs: int = 1


Node: TypeAlias = Field | Group | Opaque

#: A parsed element: leaves are ``str``, repeated groups are lists, opaque elements ``bytes``.
Value: TypeAlias = "str | bytes | Record | list[Record]"
Record: TypeAlias = "dict[str, Value]"


@dataclass(frozen=True, slots=True)
class RuleIssue:
    """A conditional-rule issue: the path below the business element and why."""

    path: str
    reason: str
    detail: str


#: A conditional rule checks one business element (e.g. one ``Inventory``) and its message.
Rule: TypeAlias = Callable[[Record, Record], Iterable[RuleIssue]]


@dataclass(frozen=True, slots=True)
class MessageSpec:
    """One message type: its code, direction, root children and conditional rules."""

    code: str
    title: str
    flow: Literal["import", "export"]
    kind: Literal["declaration", "receipt"]
    business: Group
    tail: tuple[Node, ...] = ()
    rules: tuple[Rule, ...] = field(default=())

    @property
    def root(self) -> str:
        """Local name of the root element, e.g. ``CEB311Message``."""
        return f"{self.code}Message"

    @property
    def children(self) -> tuple[Node, ...]:
        """Children of the root in order: the business element, then the tail."""
        return (self.business, *self.tail)


# --- constructors that read like the specification's notation --------------


def c(name: str, n: int, *, opt: bool = False, fixed: str | None = None) -> Field:
    """``Cn``: exactly ``n`` characters."""
    return Field(name, Kind.TEXT, n, n, not opt, fixed)


def v(name: str, n: int, *, opt: bool = False, min_len: int = 1) -> Field:
    """``C..n``: one to ``n`` characters."""
    return Field(name, Kind.TEXT, n, min_len, not opt)


def one_of(name: str, *choices: str, opt: bool = False, n: int = 1) -> Field:
    """An enumerated code of at most ``n`` characters."""
    return Field(name, Kind.TEXT, n, 1, not opt, choices=choices)


def dec(name: str, *, opt: bool = False) -> Field:
    """``N19,5``: a decimal of at most 19 digits, 5 of them after the point."""
    return Field(name, Kind.DECIMAL, required=not opt)


def num(
    name: str, digits: int | None = None, *, opt: bool = False, fixed: str | None = None
) -> Field:
    """An integer of at most ``digits`` digits (``None``: the xs:int range)."""
    return Field(name, Kind.INT, required=not opt, fixed=fixed, digits=digits)


def dt14(name: str, *, opt: bool = False) -> Field:
    """``C14`` time ``YYYYMMDDhhmmss``."""
    return Field(name, Kind.DATETIME, 14, 14, not opt)


def d8(name: str, *, opt: bool = False) -> Field:
    """``C8`` date ``YYYYMMDD``."""
    return Field(name, Kind.DATE, 8, 8, not opt)


def t17(name: str) -> Field:
    """``C17`` receipt time ``YYYYMMDDhhmmssSSS``."""
    return Field(name, Kind.MILLIS, 17, 17, True)


def group(name: str, *children: Node, occurs: tuple[int, int] = (1, 1)) -> Group:
    """A sequence element with ``occurs = (min, max)``."""
    return Group(name, children, occurs[0], occurs[1])
