"""Reading a lot's verification material (``sandan-lot/1``) from untrusted text.

The text comes from whoever handed it over, so it is checked before it is
trusted with anything: its nesting depth is measured *before* ``json.loads``
(importing eth_account raises the interpreter's recursion limit, and CPython's
JSON decoder then crashes on a deep enough document instead of raising), it
must decode to an object, and it must hold the material in the spec's shape.
Any failure is :class:`UnusableInput` (``sandan verify-lot`` exit 2): nothing
was concluded about the lot.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

LOT_FORMAT: Final = "sandan-lot/1"
#: Deepest nesting accepted; a lot is about eight levels deep (envelope → document → event).
MAX_DEPTH: Final = 64

# A JSON string literal (escapes included), and the brackets that remain once they are gone.
_STRING: Final = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET: Final = re.compile(r"[\[\]{}]")


class UnusableInput(ValueError):
    """Raised when the input is not JSON, nests too deep, or is not a sandan lot."""


def json_depth(text: str) -> int:
    """The deepest bracket nesting of a JSON text, brackets inside strings not counted."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def load_lot(text: str, *, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """The ``verification`` material of a lot's JSON (the resolver's body, or the material)."""
    depth = json_depth(text)
    if depth > max_depth:
        raise UnusableInput(f"the JSON nests {depth} levels deep, more than {max_depth}")
    try:
        data = json.loads(text)
    except ValueError as exc:  # JSONDecodeError, and RecursionError's cousin for odd input
        raise UnusableInput(f"not JSON: {exc}") from exc
    return lot_material(data)


def lot_material(data: Any) -> dict[str, Any]:
    """The material of a decoded lot JSON, its shape checked; :class:`UnusableInput` otherwise."""
    if not isinstance(data, dict):
        raise UnusableInput("not a sandan lot: the JSON is not an object")
    material = data.get("verification", data)
    if not isinstance(material, dict) or material.get("format") != LOT_FORMAT:
        raise UnusableInput(f'not a sandan lot: no "verification" object of format {LOT_FORMAT}')
    _require(material, "chain", dict)
    _require(material["chain"], "chainId", int)
    _require(material["chain"], "traceRegistry", str)
    _require(material, "events", list)
    _require(material, "envelopes", dict)
    for index, event in enumerate(material["events"]):
        where = f"events[{index}]"
        if not isinstance(event, dict):
            raise UnusableInput(f"not a sandan lot: {where} is not an object")
        _require(event, "eventHash", str, where)
        _require(event, "event", dict, where)
        if event.get("anchor") is not None:
            _require(event, "anchor", dict, where)
            _require(event["anchor"], "proof", list, f"{where}.anchor")
    return material


def _require(data: Mapping[str, Any], key: str, kind: type, where: str = "verification") -> None:
    value = data.get(key)
    # bool is an int in Python, never a chain id.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise UnusableInput(f"not a sandan lot: {where}.{key} must be a {kind.__name__}")
