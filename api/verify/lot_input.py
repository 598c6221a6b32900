"""Reading a lot's verification material (``sandan-lot/1``) from untrusted text.

The text comes from whoever handed it over, so it is checked before it is
trusted with anything: its nesting depth is measured *before* ``json.loads``
(:mod:`traceability.limits`: importing eth_account raises the interpreter's
recursion limit, and CPython's JSON decoder then crashes on a deep enough
document instead of raising), it must decode to an object, and it must hold
the material in the spec's shape.
Any failure is :class:`UnusableInput` (``sandan verify-lot`` exit 2): nothing
was concluded about the lot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from traceability.epcis.hashing import HASH_PROFILES
from traceability.limits import JsonTooDeep, loads_bounded

LOT_FORMAT: Final = "sandan-lot/1"


class UnusableInput(ValueError):
    """Raised when the input is not JSON, nests too deep, or is not a sandan lot."""


def load_lot(text: str | bytes) -> dict[str, Any]:
    """The ``verification`` material of a lot's JSON (the resolver's body, or the material)."""
    try:
        data = loads_bounded(text)
    except JsonTooDeep as exc:
        raise UnusableInput(f"not a sandan lot: {exc}") from exc
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
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
        if "hashProfile" in event:
            _require(event, "hashProfile", str, where)
            if event["hashProfile"] not in HASH_PROFILES:
                known = ", ".join(HASH_PROFILES)
                raise UnusableInput(
                    f"not a sandan lot: {where}.hashProfile: unknown {event['hashProfile']!r}"
                    f" (known: {known})"
                )
        if event.get("envelopeHash") is not None:
            _require(event, "envelopeHash", str, where)
        if event.get("anchor") is not None:
            _require(event, "anchor", dict, where)
            _require(event["anchor"], "proof", list, f"{where}.anchor")
    return material


def _require(data: Mapping[str, Any], key: str, kind: type, where: str = "verification") -> None:
    value = data.get(key)
    # bool is an int in Python, never a chain id.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise UnusableInput(f"not a sandan lot: {where}.{key} must be a {kind.__name__}")
