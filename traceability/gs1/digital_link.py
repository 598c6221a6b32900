"""Build and parse GS1 Digital Link URIs (GS1 Digital Link: URI syntax 1.2).

A Digital Link is ``https://<host>[/<prefix>]/<key AI>/<key>[/<qualifier AI>/<value>...]``
followed by an optional query holding GS1 data attributes (``17=251231``) and
other parameters (``linkType=gs1:pip``). We check what the standard asks a
parser to check: a known primary key, qualifiers allowed for that key and in
the standard's order, values in each AI's format, check digits, and GS1 data
attributes only in the query. GTIN-8/12/13 are padded to GTIN-14.

Two canonical forms are offered:

* ``canonical`` (section 4.11): host ``https://id.gs1.org``, every qualifier,
  the GS1 data attributes kept in the query in AI order;
* ``constrained`` (CBV 2.0 event hash): host ``https://id.gs1.org``, no query,
  only the finest identification level (``01/21`` over ``01/10`` over ``01``).

Compressed Digital Links (``https://host/AQnYUc1gmiCNV4JG``) are parsed by
decompressing them first; ``compress_digital_link`` checks a link here and
hands its element strings to ``traceability.gs1.compression``, which only
knows the AI tables and never imports this module.

``lot_id(gtin, lot)`` is the 32-byte identifier of a lot used on chain:
SHA-256 of the UTF-8 bytes of ``https://id.gs1.org/01/<GTIN-14>/10/<lot>``
(the lot percent-encoded as in the Digital Link).

Dates of YYMMDD attributes (11, 13, 15, 16, 17) are resolved with the GS1
General Specifications 7.12 century rule relative to ``today`` when one is
given; without it the year is taken as 20YY (this module never reads the clock).
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from biip.checksums import gs1_standard_check_digit
from biip.gs1_application_identifiers import GS1ApplicationIdentifier

from traceability.gs1._ai_tables import CONSTRAINED_QUALIFIERS, KEYS, QUALIFIERS, known_ai
from traceability.gs1.compression import decompress_digital_link, encode_compressed
from traceability.gs1.errors import InvalidDigitalLink

__all__ = [
    "CANONICAL_HOST",
    "DigitalLink",
    "build_digital_link",
    "compress_digital_link",
    "constrained_digital_link",
    "is_digital_link",
    "lot_id",
    "lot_uri",
    "parse_digital_link",
]

CANONICAL_HOST = "https://id.gs1.org"


_DATE_AIS = frozenset({"11", "12", "13", "15", "16", "17"})
_ATTRIBUTE_NAMES = {
    "11": "productionDate",
    "12": "dueDate",
    "13": "packagingDate",
    "15": "bestBefore",
    "16": "sellBy",
    "17": "expiry",
}
_DIGITS = re.compile(r"\d+")
_COMPRESSED = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class DigitalLink:
    """A parsed GS1 Digital Link: primary key, key qualifiers and query attributes."""

    key_ai: str
    key: str
    qualifiers: tuple[tuple[str, str], ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()
    other_query: tuple[tuple[str, str], ...] = ()
    host: str = CANONICAL_HOST
    #: Dates of YYMMDD attributes, resolved when parsed (AI → date).
    dates: Mapping[str, date] = field(default_factory=dict, compare=False)

    def qualifier(self, ai: str) -> str | None:
        """Value of one key qualifier, or None when absent."""
        return dict(self.qualifiers).get(ai)

    def attribute(self, ai: str) -> str | None:
        """Raw value of one GS1 data attribute from the query, or None when absent."""
        return dict(self.attributes).get(ai)

    @property
    def gtin(self) -> str | None:
        """GTIN-14 when the primary key is a GTIN."""
        return self.key if self.key_ai == "01" else None

    @property
    def lot(self) -> str | None:
        """Batch/lot number (AI 10)."""
        return self.qualifier("10")

    @property
    def serial(self) -> str | None:
        """Serial number (AI 21)."""
        return self.qualifier("21")

    @property
    def expiry(self) -> date | None:
        """Expiry date (AI 17), with day 00 read as the last day of the month."""
        return self.dates.get("17")

    def uri(self, host: str | None = None) -> str:
        """This link as a URI on ``host`` (default: the host it was parsed from)."""
        return _render(host or self.host, self._path_pairs(), self._query_pairs(True))

    def canonical(self) -> str:
        """Canonical form: id.gs1.org, all qualifiers, GS1 attributes sorted by AI."""
        return _render(CANONICAL_HOST, self._path_pairs(), self._query_pairs(False))

    def constrained(self) -> str:
        """Constrained canonical form for event hashes: no query, finest key level only."""
        pairs = [(self.key_ai, self.key)]
        held = dict(self.qualifiers)
        for option in CONSTRAINED_QUALIFIERS.get(self.key_ai, ()):
            if all(ai in held for ai in option):
                pairs.extend((ai, held[ai]) for ai in option)
                break
        return _render(CANONICAL_HOST, pairs, [])

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly description (what ``sandan dl parse`` prints)."""
        out: dict[str, Any] = {
            "uri": self.uri(),
            "canonical": self.canonical(),
            "primaryKey": {"ai": self.key_ai, "name": KEYS[self.key_ai].name, "value": self.key},
        }
        names = {"01": "gtin", "00": "sscc", "414": "gln", "417": "partyGln"}
        if self.key_ai in names:
            out[names[self.key_ai]] = self.key
        for ai, name in (("22", "cpv"), ("10", "lot"), ("21", "serial"), ("254", "glnExtension")):
            if (value := self.qualifier(ai)) is not None:
                out[name] = value
        for ai, day in sorted(self.dates.items()):
            out[_ATTRIBUTE_NAMES[ai]] = day.isoformat()
        out["attributes"] = [_describe_attribute(ai, v) for ai, v in self.attributes]
        out["otherQuery"] = dict(self.other_query)
        return out

    def _path_pairs(self) -> list[tuple[str, str]]:
        return [(self.key_ai, self.key), *self.qualifiers]

    def _query_pairs(self, keep_other: bool) -> list[tuple[str, str]]:
        pairs = sorted(self.attributes, key=lambda p: (len(p[0]), p[0]))
        return pairs + list(self.other_query) if keep_other else pairs


def parse_digital_link(uri: str, *, today: date | None = None) -> DigitalLink:
    """Parse and check a GS1 Digital Link URI; raise InvalidDigitalLink naming the part."""
    parts = urlsplit(uri.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidDigitalLink("must be an http(s) URI with a host", field="uri")
    if parts.fragment:
        raise InvalidDigitalLink("a Digital Link has no fragment", field="uri")
    segments = parts.path.split("/")[1:] if parts.path else []
    start = _find_primary_key(segments)
    if start < 0:
        return parse_digital_link(decompress_digital_link(uri), today=today)
    prefix = "/".join(segments[:start])
    host = f"{parts.scheme}://{parts.netloc}" + (f"/{prefix}" if prefix else "")
    pairs = _path_pairs(segments[start:])
    key_ai, raw_key = pairs[0]
    key = _check_value(key_ai, _pad_gtin(raw_key) if key_ai == "01" else raw_key, "path")
    qualifiers = _check_qualifiers(key_ai, pairs[1:])
    attributes, other = _parse_query(parts.query)
    return DigitalLink(
        key_ai, key, qualifiers, attributes, other, host, _resolve_dates(attributes, today)
    )


def build_digital_link(
    gtin: str,
    *,
    lot: str | None = None,
    serial: str | None = None,
    cpv: str | None = None,
    attributes: Mapping[str, str] | None = None,
    host: str = CANONICAL_HOST,
) -> str:
    """Build a checked product Digital Link (GTIN + optional qualifiers and attributes)."""
    qualifiers = [(ai, v) for ai, v in (("22", cpv), ("10", lot), ("21", serial)) if v is not None]
    query = "&".join(f"{ai}={quote(v, safe='')}" for ai, v in (attributes or {}).items())
    path = "/".join(f"{ai}/{quote(v, safe='')}" for ai, v in [("01", gtin), *qualifiers])
    link = parse_digital_link(f"{host.rstrip('/')}/{path}" + (f"?{query}" if query else ""))
    return link.uri()


def constrained_digital_link(uri: str) -> str:
    """Constrained canonical form of a Digital Link (as the CBV 2.0 event hash writes it)."""
    return parse_digital_link(uri).constrained()


def is_digital_link(value: str) -> bool:
    """True when ``value`` parses as a GS1 Digital Link (compressed or not)."""
    try:
        parse_digital_link(value)
    except InvalidDigitalLink:
        return False
    return True


def lot_uri(gtin: str, lot: str) -> str:
    """Canonical Digital Link of a lot: ``https://id.gs1.org/01/<GTIN-14>/10/<lot>``."""
    return build_digital_link(gtin, lot=lot)


def lot_id(gtin: str, lot: str) -> bytes:
    """32-byte on-chain identifier of a lot: SHA-256 of its canonical Digital Link."""
    return hashlib.sha256(lot_uri(gtin, lot).encode("utf-8")).digest()


def compress_digital_link(
    uri: str,
    *,
    keep_primary_key: bool = False,
    optimise: bool = False,
    compress_query: bool = False,
) -> str:
    """Compressed form of a checked Digital Link on the same host.

    ``keep_primary_key`` leaves ``/<key AI>/<key>`` readable; ``compress_query``
    also packs non-GS1 query parameters (otherwise they stay an ordinary query).
    """
    link = parse_digital_link(uri)
    ais = [(link.key_ai, link.key), *link.qualifiers, *link.attributes]
    head = ""
    if keep_primary_key:
        head = f"/{link.key_ai}/{quote(link.key, safe='')}"
        ais = ais[1:]
    other = list(link.other_query) if compress_query else []
    if not ais and not other:  # nothing left to compress
        return link.uri()
    segment = encode_compressed(ais, other, optimise=optimise)
    query = (
        ""
        if compress_query
        else "&".join(f"{quote(k, safe=':')}={quote(v, safe=':')}" for k, v in link.other_query)
    )
    return f"{link.host.rstrip('/')}{head}/{segment}" + (f"?{query}" if query else "")


# --- parsing helpers ----------------------------------------------------------


def _find_primary_key(segments: list[str]) -> int:
    """Index of the primary key AI (first known key, even-length tail); -1 if compressed."""
    for index, segment in enumerate(segments):
        if segment in KEYS and (len(segments) - index) % 2 == 0:
            return index
    last = segments[-1] if segments else ""
    partial = len(segments) >= 3 and segments[-3] in KEYS  # /01/<gtin>/<compressed rest>
    if _COMPRESSED.fullmatch(last) and not last.isdigit() and (partial or len(last) >= 8):
        return -1  # a compressed Digital Link (GS1 DL compression)
    raise InvalidDigitalLink("no GS1 primary key (such as /01/<gtin>) in the path", field="path")


def _path_pairs(segments: list[str]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for i in range(0, len(segments), 2):
        ai, raw = segments[i], segments[i + 1]
        if not raw:
            raise InvalidDigitalLink("empty value", field=f"path./{ai}")
        pairs.append((ai, _decode(raw, f"path./{ai}")))
    return pairs


def _check_qualifiers(key_ai: str, pairs: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    if not pairs:
        return ()
    used = [ai for ai, _ in pairs]
    for order in KEYS[key_ai].qualifier_orders:
        positions = [order.index(ai) if ai in order else -1 for ai in used]
        if -1 not in positions and positions == sorted(set(positions)):
            return tuple((ai, _check_value(ai, value, "path")) for ai, value in pairs)
    allowed = " or ".join("/".join(o) for o in KEYS[key_ai].qualifier_orders) or "none"
    raise InvalidDigitalLink(
        f"qualifiers {'/'.join(used)} not allowed after /{key_ai} (allowed, in order: {allowed})",
        field=f"path./{used[0]}",
    )


def _parse_query(query: str) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    attributes: dict[str, str] = {}
    other: list[tuple[str, str]] = []
    for item in filter(None, query.split("&")):
        key, _, raw = item.partition("=")
        value = _decode(raw, f"query.{key}")
        if not _DIGITS.fullmatch(key):
            other.append((_decode(key, "query"), value))
            continue
        if key in KEYS or key in QUALIFIERS:
            raise InvalidDigitalLink("keys and key qualifiers belong in the path", f"query.{key}")
        if key in attributes:
            raise InvalidDigitalLink("attribute given twice", field=f"query.{key}")
        attributes[key] = _check_value(key, value, "query")
    return tuple(attributes.items()), tuple(other)


def _decode(raw: str, where: str) -> str:
    if re.search(r"%(?![0-9A-Fa-f]{2})", raw):
        raise InvalidDigitalLink("malformed percent-encoding", field=where)
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError as exc:
        raise InvalidDigitalLink("percent-encoding is not UTF-8", field=where) from exc


def _pad_gtin(value: str) -> str:
    """GTIN-8/12/13 are written as GTIN-14 with leading zeros."""
    return value.zfill(14) if _DIGITS.fullmatch(value) and len(value) in (8, 12, 13) else value


def _check_value(ai: str, value: str, where: str) -> str:
    """Check ``value`` against the AI's GS1 format and check digit; return it."""
    place = f"{where}./{ai}" if where == "path" else f"{where}.{ai}"
    spec = known_ai(ai)
    if spec is None:
        raise InvalidDigitalLink(f"unknown GS1 Application Identifier {ai}", field=place)
    if not re.fullmatch(spec.pattern, ai + value):
        raise InvalidDigitalLink(f"{value!r} does not match the format {spec.format}", place)
    check_span = KEYS[ai].check_span if ai in KEYS else None
    if check_span is not None:
        _verify_check_digit(value[check_span[0] : check_span[1]], place)
    return value


def _verify_check_digit(digits: str, place: str) -> None:
    expected = gs1_standard_check_digit(digits[:-1])
    if int(digits[-1]) != expected:
        raise InvalidDigitalLink(f"check digit of {digits} should be {expected}", field=place)


def _resolve_dates(attributes: tuple[tuple[str, str], ...], today: date | None) -> dict[str, date]:
    dates: dict[str, date] = {}
    for ai, value in attributes:
        if ai in _DATE_AIS:
            dates[ai] = _yymmdd(value, ai, today)
    return dates


def _yymmdd(value: str, ai: str, today: date | None) -> date:
    yy, month, day = int(value[:2]), int(value[2:4]), int(value[4:6])
    year = 2000 + yy if today is None else _century_year(yy, today.year)
    if month == 0 or month > 12:
        raise InvalidDigitalLink(f"month {month:02d} is not valid", field=f"query.{ai}")
    last = calendar.monthrange(year, month)[1]
    if day > last:
        raise InvalidDigitalLink(f"day {day:02d} is not valid in {year}-{month:02d}", f"query.{ai}")
    return date(year, month, day or last)


def _century_year(yy: int, current_year: int) -> int:
    """GS1 General Specifications 7.12: a window from 49 years back to 50 years ahead."""
    century, current_yy = divmod(current_year, 100)
    difference = yy - current_yy
    if difference >= 51:
        return (century - 1) * 100 + yy
    if difference <= -50:
        return (century + 1) * 100 + yy
    return century * 100 + yy


def _describe_attribute(ai: str, value: str) -> dict[str, str]:
    spec = GS1ApplicationIdentifier.extract(ai)
    out = {"ai": ai, "title": spec.data_title, "value": value}
    if len(ai) == 4 and ai[:2] in {"31", "32", "33", "34", "35", "36"}:
        out["decimal"] = str(Decimal(value).scaleb(-int(ai[3])))
    return out


def _render(host: str, path: list[tuple[str, str]], query: list[tuple[str, str]]) -> str:
    tail = "".join(f"/{ai}/{quote(value, safe='')}" for ai, value in path)
    params = "&".join(f"{quote(k, safe=':')}={quote(v, safe=':')}" for k, v in query)
    return f"{host.rstrip('/')}{tail}" + (f"?{params}" if params else "")
