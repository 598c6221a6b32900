"""Declarative description of CEB messages: element order, types, lengths, fixed values.

A message is a tree of :class:`Group` nodes (elements with children, such as
``Order`` or ``OrderHead``) whose leaves are :class:`Field` nodes (elements with
text, such as ``goodsValue``). :class:`Opaque` marks elements kept as raw XML
(``ds:Signature``, ``ExtendMessage``). The trees are not written by hand:
``_generate`` derives them from the pydantic models (see ``_registry``). The
notation follows the customs specification: ``C..n`` up to n characters, ``Cn``
exactly n, ``N19,5`` a decimal of 19 digits with at most 5 after the point.
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
