"""EPC URNs (GS1 EPC Tag Data Standard, pure identity forms) to GS1 Digital Link.

The company prefix length is given by the dot in the URN, so the conversion
needs no prefix table: ``urn:epc:id:sgtin:4012345.011111.9876`` is indicator
``0`` + ``4012345`` + ``11111`` + check digit → ``/01/04012345111118/21/9876``.
Serials and lots in a URN use ``%HH`` escapes for a few characters; they are
decoded here and percent-encoded again by the Digital Link renderer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote, unquote

from biip.checksums import gs1_standard_check_digit

from traceability.gs1.errors import InvalidEpcUri

__all__ = ["epc_uri_to_digital_link", "is_epc_uri"]

_HOST = "https://id.gs1.org"
_PREFIXES = ("urn:epc:id:", "urn:epc:class:", "urn:epc:idpat:")
_DIGITS = re.compile(r"\d+")


def is_epc_uri(value: str) -> bool:
    """True for strings that claim to be EPC URNs (id, class or pattern)."""
    return value.startswith(_PREFIXES)


def epc_uri_to_digital_link(urn: str) -> str:
    """Canonical Digital Link (on id.gs1.org) of an EPC URN; raise InvalidEpcUri if malformed."""
    for prefix in _PREFIXES:
        if urn.startswith(prefix):
            scheme, _, body = urn[len(prefix) :].partition(":")
            converter = _CONVERTERS.get(f"{prefix}{scheme}")
            if converter is None:
                raise InvalidEpcUri(f"unsupported EPC scheme {prefix}{scheme}", field="epc")
            parts = body.split(".")
            path = converter(parts, urn)
            return _HOST + "".join(f"/{ai}/{quote(v, safe='')}" for ai, v in path)
    raise InvalidEpcUri("not an EPC URN (urn:epc:id:, urn:epc:class:, urn:epc:idpat:)", "epc")


def _need(parts: list[str], count: int, urn: str, digits: int) -> None:
    """Check the number of dotted fields and that the first ``digits`` are numeric."""
    if len(parts) != count:
        raise InvalidEpcUri(f"{urn!r} needs {count} dot-separated fields", field="epc")
    for part in parts[:digits]:
        if not _DIGITS.fullmatch(part):
            raise InvalidEpcUri(f"{urn!r}: {part!r} must be digits", field="epc")
    if parts[-1] == "" or parts[-1] != parts[-1].strip():
        raise InvalidEpcUri(f"{urn!r}: empty last field", field="epc")


def _with_check(digits: str) -> str:
    return digits + str(gs1_standard_check_digit(digits))


def _text(value: str, urn: str) -> str:
    if re.search(r"%(?![0-9A-Fa-f]{2})", value):
        raise InvalidEpcUri(f"{urn!r}: malformed %-escape", field="epc")
    return unquote(value)


def _gtin(parts: list[str], urn: str) -> str:
    prefix, item = parts[0], parts[1]
    if len(prefix) + len(item) != 13 or not item:
        raise InvalidEpcUri(f"{urn!r}: company prefix + item reference must be 13 digits", "epc")
    return _with_check(item[0] + prefix + item[1:])


def _sgtin(parts: list[str], urn: str) -> list[tuple[str, str]]:
    _need(parts, 3, urn, 2)
    return [("01", _gtin(parts, urn)), ("21", _text(parts[2], urn))]


def _lgtin(parts: list[str], urn: str) -> list[tuple[str, str]]:
    _need(parts, 3, urn, 2)
    return [("01", _gtin(parts, urn)), ("10", _text(parts[2], urn))]


def _sgtin_pattern(parts: list[str], urn: str) -> list[tuple[str, str]]:
    _need(parts, 3, urn, 2)
    if parts[2] != "*":
        raise InvalidEpcUri(f"{urn!r}: only class-level patterns (serial '*') map to a link", "epc")
    return [("01", _gtin(parts, urn))]


def _sscc(parts: list[str], urn: str) -> list[tuple[str, str]]:
    _need(parts, 2, urn, 2)
    prefix, serial = parts
    if len(prefix) + len(serial) != 17:
        raise InvalidEpcUri(f"{urn!r}: company prefix + serial reference must be 17 digits", "epc")
    return [("00", _with_check(serial[0] + prefix + serial[1:]))]


def _gln_like(ai: str, count: int) -> Callable[[list[str], str], list[tuple[str, str]]]:
    """SGLN (with extension → 254) and PGLN: company prefix + reference = 12 digits."""

    def convert(parts: list[str], urn: str) -> list[tuple[str, str]]:
        _need(parts, count, urn, 2)
        if len(parts[0]) + len(parts[1]) != 12:
            raise InvalidEpcUri(f"{urn!r}: company prefix + reference must be 12 digits", "epc")
        path = [(ai, _with_check(parts[0] + parts[1]))]
        if count == 3 and parts[2] != "0":
            path.append(("254", _text(parts[2], urn)))
        return path

    return convert


def _prefix_check_serial(ai: str, width: int, lead: str = "") -> _Converter:
    """GRAI / GDTI / SGCN: prefix + type (``width`` digits) + check digit, then a serial."""

    def convert(parts: list[str], urn: str) -> list[tuple[str, str]]:
        _need(parts, 3, urn, 2)
        if len(parts[0]) + len(parts[1]) != width:
            raise InvalidEpcUri(f"{urn!r}: prefix + reference must be {width} digits", "epc")
        return [(ai, lead + _with_check(parts[0] + parts[1]) + _text(parts[2], urn))]

    return convert


def _prefix_reference(ai: str, width: int | None, check: bool) -> _Converter:
    """GIAI / GINC (free reference), GSRN / GSRN-P / GSIN (fixed width + check digit)."""

    def convert(parts: list[str], urn: str) -> list[tuple[str, str]]:
        _need(parts, 2, urn, 1 if width is None else 2)
        value = parts[0] + _text(parts[1], urn)
        if width is not None and len(value) != width:
            raise InvalidEpcUri(f"{urn!r}: prefix + reference must be {width} digits", "epc")
        return [(ai, _with_check(value) if check else value)]

    return convert


def _cpi(parts: list[str], urn: str) -> list[tuple[str, str]]:
    _need(parts, 3, urn, 1)
    return [("8010", parts[0] + _text(parts[1], urn)), ("8011", parts[2])]


_Converter = Callable[[list[str], str], list[tuple[str, str]]]

_CONVERTERS: dict[str, _Converter] = {
    "urn:epc:id:sgtin": _sgtin,
    "urn:epc:class:lgtin": _lgtin,
    "urn:epc:idpat:sgtin": _sgtin_pattern,
    "urn:epc:id:sscc": _sscc,
    "urn:epc:id:sgln": _gln_like("414", 3),
    "urn:epc:id:pgln": _gln_like("417", 2),
    "urn:epc:id:grai": _prefix_check_serial("8003", 12, lead="0"),
    "urn:epc:id:gdti": _prefix_check_serial("253", 12),
    "urn:epc:id:sgcn": _prefix_check_serial("255", 12),
    "urn:epc:id:giai": _prefix_reference("8004", None, check=False),
    "urn:epc:id:ginc": _prefix_reference("401", None, check=False),
    "urn:epc:id:gsrn": _prefix_reference("8018", 17, check=True),
    "urn:epc:id:gsrnp": _prefix_reference("8017", 17, check=True),
    "urn:epc:id:gsin": _prefix_reference("402", 16, check=True),
    "urn:epc:id:cpi": _cpi,
}
