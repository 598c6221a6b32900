"""Compressed GS1 Digital Link URIs (GS1 Digital Link 1.1, "compression"), both ways.

A compressed Digital Link carries its GS1 element strings as one path segment:
a bit string written in the URI-safe base64 alphabet (``A-Z a-z 0-9 - _``, six
bits per character, the last character padded with zero bits). Either the whole
identification is compressed (``https://host/AQnYUc1gmiCNV4JG``) or the primary
key stays readable and only the rest is (``https://host/01/<gtin>/EEarwSM``);
an ordinary query string may follow either form.

The bit string is a sequence of entries, each starting with eight bits read as
two hexadecimal digits ``h1 h2``:

* both digits 0-9: a GS1 Application Identifier. ``h1 h2`` are its first two
  digits; the AI's length (2, 3 or 4 digits, fixed by those two digits) says how
  many further 4-bit digits follow. Its value follows, encoded by the AI's format.
* a code of the optimisation table (``0A`` = AI 01 then 22, ``9D`` = 414 then
  254, ...): the values of that fixed AI sequence follow, in that order.
* ``h1`` = ``F``: a non-GS1 ``key=value`` pair. ``h2`` and three more bits give
  the key length (7 bits); the key follows at six bits per base64 character,
  then a 3-bit encoding indicator, a 7-bit character count and the value.

A value is a sequence of format components (AI 8003 = a fixed 14-digit number,
then up to 16 characters):

* fixed-length numeric (N14): the number in ``ceil(n·log2 10 + 0.01)`` bits;
* variable-length numeric (N..12): the digit count in ``ceil(log2 max + 0.01)``
  bits, then the number as above;
* fixed-length alphanumeric (X3): a 3-bit encoding indicator, then the characters;
* variable-length alphanumeric (X..20): the indicator, the character count, the
  characters.

Encoding indicators: 0 digits (as one number), 1 lower-case hexadecimal (4 bits
a character), 2 upper-case hexadecimal, 3 URI-safe base64 (6 bits), 4 seven-bit
ASCII; 5-7 are reserved and rejected. Every all-digit value is written back
with exactly the number of digits its length says: leading zeros are kept
(``/21/0012`` stays ``0012``, where the GS1 prototype toolkit prints ``12``).

Formats come from the AI table that ``biip`` ships (GS1 General Specifications),
read the way the standard's own table reads them: adjacent fixed numeric parts
join (8006 = N18), an optional part becomes variable-length (253 = N13 + X..17),
``Y``/``Z`` character sets count as ``X``, and a fixed alphanumeric prefix joins
the variable part after it (7230 = X..30). AI 8007 keeps the standard table's
X..24. AIs whose format has no such reading (4330-4333 with an optional minus
sign, 8043) raise ``UnsupportedCompression`` naming the AI, as do reserved
encodings and unknown optimisation codes. The 2025 "compression for EPC binary
strings" standard is a different encoding and is not read here.

Compression writes the AIs in ascending order without optimisation codes unless
asked to, which reproduces the examples published with the GS1 toolkits. Codes 1A
and 9D are written in the standard's order; links that GS1's JavaScript toolkit
made with them (in its own order, see ``TOOLKIT_OPTIMISATIONS``) are read too. Its
18-digit keys (SSCC, GSRN) it writes wrongly, as the nearest JavaScript double: those
bits decode to a key whose check digit fails, and the Digital Link check says so.

This module needs only the AI tables (``_ai_tables``): it does not check a
Digital Link, so ``traceability.gs1.digital_link`` can import it to parse
compressed links and offers ``compress_digital_link`` (check, then encode).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from urllib.parse import quote, unquote, urlsplit

from biip.checksums import gs1_standard_check_digit
from biip.gs1_application_identifiers import GS1ApplicationIdentifier

from traceability.gs1._ai_tables import KEYS, QUALIFIERS, known_ai
from traceability.gs1.errors import InvalidDigitalLink, UnsupportedCompression

__all__ = [
    "BASE64_ALPHABET",
    "OPTIMISATIONS",
    "TOOLKIT_OPTIMISATIONS",
    "CompressedElements",
    "decode_compressed",
    "decompress_digital_link",
    "encode_compressed",
]

BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_HEX = "0123456789ABCDEF"
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")

#: The standard's optimisation table: one 8-bit code stands for a fixed AI sequence.
OPTIMISATIONS: dict[str, tuple[str, ...]] = {
    "0A": ("01", "22"), "0B": ("01", "10"), "0C": ("01", "21"), "0D": ("01", "17"),
    "0E": ("01", "7003"), "0F": ("01", "30"), "1A": ("01", "10", "21", "17"),
    "1B": ("01", "15"), "1C": ("01", "11"), "1D": ("01", "16"), "1E": ("01", "91"),
    "1F": ("01", "10", "15"),
    **{f"2{c}": ("01", f"310{i}") for i, c in enumerate("ABCDEF")},
    **{f"3{c}": ("01", f"320{i}") for i, c in enumerate("ABCDEF")},
    "9A": ("8010", "8011"), "9B": ("8017", "8019"), "9C": ("8018", "8019"),
    "9D": ("414", "254"),
    **{f"A{i}": ("01", f"392{i}") for i in range(10)},
    **{f"C{i}": ("255", f"390{i}") for i in range(10)},
    **{f"C{c}": ("255", f"394{i}") for i, c in enumerate("ABCD")},
}  # fmt: skip

#: The sequences GS1's compression toolkit (GS1DigitalLinkToolkit.js, bundled in npm
#: digital-link.js) really writes and reads. Its table literal equals the standard's (and
#: the Python port gs1-compression reads that literal), but building its reverse index
#: calls ``Array.prototype.sort`` on each sequence in place, so every sequence not already
#: in string order is sorted: 1A becomes 01, 10, 17, 21 and 9D becomes 254, 414.
TOOLKIT_OPTIMISATIONS: dict[str, tuple[str, ...]] = {
    code: tuple(sorted(sequence))
    for code, sequence in OPTIMISATIONS.items()
    if tuple(sorted(sequence)) != sequence
}
_TOOLKIT_TABLE = {**OPTIMISATIONS, **TOOLKIT_OPTIMISATIONS}

#: Where the standard's AI table differs from today's General Specifications.
_STANDARD_FORMATS = {"8007": "X..24"}

_ENC_DIGITS, _ENC_HEX_LOWER, _ENC_HEX_UPPER, _ENC_BASE64, _ENC_ASCII = range(5)


@dataclass(frozen=True)
class _Part:
    """One component of an AI's format: numeric or alphanumeric, fixed or variable length."""

    numeric: bool
    length: int
    fixed: bool


@dataclass(frozen=True)
class CompressedElements:
    """What a compressed segment holds: GS1 element strings and non-GS1 pairs, in order."""

    ais: tuple[tuple[str, str], ...]
    other: tuple[tuple[str, str], ...] = ()


# --- bit arithmetic -------------------------------------------------------------


def _value_bits(digits: int) -> int:
    """Bits holding a number of ``digits`` decimal digits (the standard's formula)."""
    return math.ceil(digits * math.log(10) / math.log(2) + 0.01)


def _length_bits(maximum: int) -> int:
    """Bits holding a length of at most ``maximum`` (the standard's formula)."""
    return math.ceil(math.log(maximum) / math.log(2) + 0.01)


class _Reader:
    """Reads unsigned integers off a string of '0'/'1' characters."""

    def __init__(self, bits: str) -> None:
        self.bits = bits
        self.pos = 0

    @property
    def left(self) -> int:
        return len(self.bits) - self.pos

    def read(self, count: int, what: str) -> int:
        if count > self.left:
            raise InvalidDigitalLink(f"compressed data ends inside {what}", field="path")
        chunk = self.bits[self.pos : self.pos + count]
        self.pos += count
        return int(chunk, 2) if chunk else 0


# --- AI formats ---------------------------------------------------------------


@cache
def _parts(ai: str) -> tuple[_Part, ...]:
    """The AI's value format as the compression standard reads it."""
    spec = known_ai(ai)
    if spec is None:
        raise InvalidDigitalLink(f"unknown GS1 Application Identifier {ai}", field="path")
    fmt = _STANDARD_FORMATS.get(ai) or spec.format.split("+", 1)[1]
    parts = [_read_token(spec, token) for token in fmt.replace("[+", "+[").split("+")]
    return tuple(_merge(parts))


def _read_token(spec: GS1ApplicationIdentifier, token: str) -> _Part:
    optional = token.startswith("[") and token.endswith("]")
    match = re.fullmatch(r"([NXYZ])(\.\.)?(\d+)", token.strip("[]"))
    if match is None:
        raise UnsupportedCompression(
            f"AI {spec.ai} has the format {spec.format}, which GS1 compression cannot encode",
            field="path",
        )
    kind, dots, size = match.groups()
    return _Part(kind == "N", int(size), fixed=not (dots or optional))


def _merge(parts: list[_Part]) -> list[_Part]:
    """Join adjacent fixed numerics (N14+N2+N2 = N18) and X-fixed + X-variable (X2+X..28)."""
    merged: list[_Part] = []
    for part in parts:
        last = merged[-1] if merged else None
        if (
            last
            and last.fixed
            and last.numeric == part.numeric
            and (part.fixed or not part.numeric)
        ):
            merged[-1] = _Part(part.numeric, last.length + part.length, part.fixed)
        else:
            merged.append(part)
    return merged


# --- decoding -----------------------------------------------------------------


def decode_compressed(segment: str) -> CompressedElements:
    """Decode one compressed path segment into its element strings and other pairs.

    Codes 1A and 9D mean one AI order in the standard and another in GS1's toolkit
    (``TOOLKIT_OPTIMISATIONS``). A segment using either is read both ways, and each
    reading must use up the bits and give values that fit their AIs (format, check
    digit, date). The one reading that does is taken; when both do and differ, the
    segment is refused rather than guessed; when neither does, the standard's error.
    """
    if not _SEGMENT.fullmatch(segment):
        raise InvalidDigitalLink("a compressed segment uses only A-Z a-z 0-9 - _", field="path")
    met: set[str] = set()  # the optimisation codes either reading came upon
    try:
        standard: CompressedElements | None = _decode_with(segment, OPTIMISATIONS, met)
    except InvalidDigitalLink as error:
        standard, standard_error = None, error
    try:
        toolkit: CompressedElements | None = _decode_with(segment, _TOOLKIT_TABLE, met)
    except InvalidDigitalLink:
        toolkit = None
    if met.isdisjoint(TOOLKIT_OPTIMISATIONS):  # then both readings are the same
        if standard is None:
            raise standard_error
        return standard
    readings = [r for r in (standard, toolkit) if r is not None and _fits(r)]
    if len({r.ais for r in readings}) > 1:
        codes = " and ".join(sorted(TOOLKIT_OPTIMISATIONS))
        raise InvalidDigitalLink(
            f"compressed data reads two ways: optimisation codes {codes} have one AI order in "
            "the standard and another in GS1's toolkit; compress it without them",
            field="path",
        )
    if readings:
        return readings[0]
    if standard is not None:
        return standard  # neither fits: the Digital Link's checks say which value is wrong
    raise standard_error


def _fits(elements: CompressedElements) -> bool:
    """Whether every value fits its AI: format (dates too) and the key's check digit."""
    for ai, value in elements.ais:
        spec = known_ai(ai)
        if spec is None or not re.fullmatch(spec.pattern, ai + value):
            return False
        span = KEYS[ai].check_span if ai in KEYS else None
        if span is not None:
            digits = value[span[0] : span[1]]
            if int(digits[-1]) != gs1_standard_check_digit(digits[:-1]):
                return False
    return True


def _decode_with(
    segment: str, table: dict[str, tuple[str, ...]], met: set[str]
) -> CompressedElements:
    reader = _Reader("".join(f"{BASE64_ALPHABET.index(c):06b}" for c in segment))
    ais: dict[str, str] = {}
    other: list[tuple[str, str]] = []
    while reader.left > 8:  # what remains after the last entry is padding
        h1, h2 = reader.read(4, "an AI"), reader.read(4, "an AI")
        if h1 <= 9 and h2 <= 9:
            _add(ais, _read_ai(reader, f"{h1}{h2}"), reader)
        elif (code := f"{_HEX[h1]}{_HEX[h2]}") in table:
            met.add(code)
            for ai in table[code]:
                _add(ais, ai, reader)
        elif h1 == 0xF:
            other.append(_read_other(reader, h2))
        else:
            raise UnsupportedCompression(f"optimisation code {code} is not defined", "path")
    if "1" in reader.bits[reader.pos :]:
        raise InvalidDigitalLink("compressed data has stray bits at the end", field="path")
    return CompressedElements(tuple(ais.items()), tuple(other))


def _read_ai(reader: _Reader, prefix: str) -> str:
    """Read digits after the two-digit prefix until they spell a known AI (2-4 digits)."""
    ai = prefix
    while known_ai(ai) is None:
        if len(ai) == 4:
            raise InvalidDigitalLink(f"unknown GS1 Application Identifier {ai}", field="path")
        digit = reader.read(4, f"AI {ai}…")
        if digit > 9:
            raise InvalidDigitalLink(f"AI {ai}{_HEX[digit]} is not all digits", field="path")
        ai += str(digit)
    return ai


def _add(ais: dict[str, str], ai: str, reader: _Reader) -> None:
    if ai in ais:
        raise InvalidDigitalLink(f"AI {ai} appears twice in the compressed data", field="path")
    ais[ai] = "".join(_read_part(reader, part, ai) for part in _parts(ai))


def _read_part(reader: _Reader, part: _Part, ai: str) -> str:
    if part.numeric:
        count = part.length if part.fixed else _read_count(reader, part.length, ai)
        return _read_digits(reader, count, ai)
    encoding = reader.read(3, f"the encoding of AI {ai}")
    count = part.length if part.fixed else _read_count(reader, part.length, ai)
    return _read_chars(reader, encoding, count, f"AI {ai}")


def _read_count(reader: _Reader, maximum: int, ai: str) -> int:
    count = reader.read(_length_bits(maximum), f"the length of AI {ai}")
    if count > maximum:
        raise InvalidDigitalLink(f"AI {ai} is {count} long; at most {maximum} allowed", "path")
    return count


def _read_digits(reader: _Reader, count: int, what: str) -> str:
    number = reader.read(_value_bits(count), f"the value of {what}")
    digits = str(number).zfill(count)  # zfill keeps the leading zeros the length implies
    if count == 0 and number == 0:
        return ""
    if len(digits) > count:
        raise InvalidDigitalLink(f"{what}: {number} has more than {count} digits", "path")
    return digits


def _read_chars(reader: _Reader, encoding: int, count: int, what: str) -> str:
    if encoding == _ENC_DIGITS:
        return _read_digits(reader, count, what)
    if encoding in (_ENC_HEX_LOWER, _ENC_HEX_UPPER):
        text = "".join(_HEX[reader.read(4, what)] for _ in range(count))
        return text.lower() if encoding == _ENC_HEX_LOWER else text
    if encoding == _ENC_BASE64:
        return "".join(BASE64_ALPHABET[reader.read(6, what)] for _ in range(count))
    if encoding == _ENC_ASCII:
        return "".join(chr(reader.read(7, what)) for _ in range(count))
    raise UnsupportedCompression(f"{what}: encoding indicator {encoding} is reserved", "path")


def _read_other(reader: _Reader, high: int) -> tuple[str, str]:
    key_length = (high << 3) | reader.read(3, "a key length")
    key = "".join(BASE64_ALPHABET[reader.read(6, "a key")] for _ in range(key_length))
    encoding = reader.read(3, f"the encoding of {key}")
    count = reader.read(7, f"the length of {key}")
    return key, _read_chars(reader, encoding, count, f"parameter {key!r}")


# --- encoding -----------------------------------------------------------------


def encode_compressed(
    ais: Iterable[tuple[str, str]], other: Sequence[tuple[str, str]] = (), *, optimise: bool = False
) -> str:
    """Encode element strings (and non-GS1 pairs) as one compressed path segment.

    With ``optimise``, codes 1A and 9D are used only where the segment cannot also be read
    in GS1 toolkit's order of them: some values fit both orders, and ``decode_compressed``
    then refuses the segment rather than guess. Those are encoded without the two codes.
    """
    elements = sorted(ais)
    segment = _encode(elements, other, optimise=optimise, codes=OPTIMISATIONS)
    if optimise and _uses_toolkit_code(elements):
        try:
            decode_compressed(segment)
        except InvalidDigitalLink:
            unambiguous = {c: s for c, s in OPTIMISATIONS.items() if c not in TOOLKIT_OPTIMISATIONS}
            segment = _encode(elements, other, optimise=True, codes=unambiguous)
    return segment


def _uses_toolkit_code(ais: Sequence[tuple[str, str]]) -> bool:
    present = {ai for ai, _ in ais}
    return any(present.issuperset(seq) for seq in TOOLKIT_OPTIMISATIONS.values())


def _encode(
    ais: Sequence[tuple[str, str]],
    other: Sequence[tuple[str, str]],
    *,
    optimise: bool,
    codes: dict[str, tuple[str, ...]],
) -> str:
    pending = dict(ais)
    bits: list[str] = []
    if optimise:
        bits.extend(_encode_optimised(pending, codes))
    for ai, value in pending.items():
        bits.append("".join(f"{int(d):04b}" for d in ai))
        bits.append(_encode_value(ai, value))
    bits.extend(_encode_other(key, value) for key, value in other)
    stream = "".join(bits)
    stream += "0" * (-len(stream) % 6)
    return "".join(BASE64_ALPHABET[int(stream[i : i + 6], 2)] for i in range(0, len(stream), 6))


def _encode_optimised(pending: dict[str, str], codes: dict[str, tuple[str, ...]]) -> list[str]:
    """Use the longest optimisation sequences whose AIs are all present; remove them."""
    bits: list[str] = []
    for code, sequence in sorted(codes.items(), key=lambda item: -len(item[1])):
        if all(ai in pending for ai in sequence):
            bits.append(f"{_HEX.index(code[0]):04b}{_HEX.index(code[1]):04b}")
            bits.extend(_encode_value(ai, pending.pop(ai)) for ai in sequence)
    return bits


def _encode_value(ai: str, value: str) -> str:
    out: list[str] = []
    rest = value
    parts = _parts(ai)
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        piece, rest = (
            (rest, "") if last or not part.fixed else (rest[: part.length], rest[part.length :])
        )
        out.append(_encode_part(ai, part, piece))
    return "".join(out)


def _encode_part(ai: str, part: _Part, piece: str) -> str:
    too_long = len(piece) > part.length
    if (
        too_long
        or (part.fixed and len(piece) != part.length)
        or (part.numeric and not piece.isdigit() and piece)
    ):
        raise InvalidDigitalLink(f"{piece!r} does not fit the format of AI {ai}", field="path")
    count = "" if part.fixed else f"{len(piece):0{_length_bits(part.length)}b}"
    if part.numeric:
        return count + _encode_digits(piece)
    encoding, chars = _encode_chars(piece)
    return f"{encoding:03b}" + count + chars


def _encode_digits(digits: str) -> str:
    return f"{int(digits or '0'):0{_value_bits(len(digits))}b}"


def _encode_chars(text: str) -> tuple[int, str]:
    """Pick the tightest encoding for ``text`` and return (indicator, bits)."""
    if text.isdigit() and text.isascii():
        return _ENC_DIGITS, _encode_digits(text)
    if re.fullmatch(r"[0-9a-f]+", text):
        return _ENC_HEX_LOWER, "".join(f"{_HEX.index(c.upper()):04b}" for c in text)
    if re.fullmatch(r"[0-9A-F]+", text):
        return _ENC_HEX_UPPER, "".join(f"{_HEX.index(c):04b}" for c in text)
    if _SEGMENT.fullmatch(text):
        return _ENC_BASE64, "".join(f"{BASE64_ALPHABET.index(c):06b}" for c in text)
    if not text.isascii():
        raise InvalidDigitalLink(f"{text!r} is not 7-bit ASCII; it cannot be compressed", "path")
    return _ENC_ASCII, "".join(f"{ord(c):07b}" for c in text)


def _encode_other(key: str, value: str) -> str:
    if not _SEGMENT.fullmatch(key) or len(key) > 127 or len(value) > 127:
        raise InvalidDigitalLink(f"query parameter {key!r} cannot be compressed", field="query")
    encoding, chars = _encode_chars(value)
    keybits = "".join(f"{BASE64_ALPHABET.index(c):06b}" for c in key)
    return f"1111{len(key):07b}{keybits}{encoding:03b}{len(value):07b}{chars}"


# --- whole URIs -----------------------------------------------------------------


def decompress_digital_link(uri: str) -> str:
    """The uncompressed form of a (fully or partially) compressed Digital Link, unchecked."""
    parts = urlsplit(uri.strip())
    segments = parts.path.split("/")[1:]
    if not segments or not _SEGMENT.fullmatch(segments[-1]):
        raise InvalidDigitalLink("no compressed segment at the end of the path", field="path")
    elements = decode_compressed(segments[-1])
    ais = dict(elements.ais)
    stem = segments[:-1]
    if len(stem) >= 2 and stem[-2] in KEYS:  # partially compressed: /<key AI>/<key>/<data>
        ais = {stem[-2]: unquote(stem[-1]), **ais}
        stem = stem[:-2]
    host = f"{parts.scheme}://{parts.netloc}" + "".join(f"/{s}" for s in stem)
    return _render(host, ais, elements.other, parts.query)


def _render(host: str, ais: dict[str, str], other: Sequence[tuple[str, str]], query: str) -> str:
    keys = [ai for ai in ais if ai in KEYS]
    if len(keys) != 1:
        found = ", ".join(keys) or "none"
        raise InvalidDigitalLink(f"compressed data needs one primary key (found {found})", "path")
    key = keys[0]
    order = next((o for o in KEYS[key].qualifier_orders if set(o) >= set(ais) & QUALIFIERS), ())
    path = [(key, ais[key])] + [(ai, ais[ai]) for ai in order if ai in ais]
    path_ais = {ai for ai, _ in path}
    extra = [(ai, v) for ai, v in ais.items() if ai not in path_ais]  # qualifiers out of place stay
    pairs = [
        f"{ai}={quote(v, safe='')}" for ai, v in sorted(extra, key=lambda p: (len(p[0]), p[0]))
    ]
    pairs += [f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in other]
    pairs += [query] if query else []
    tail = "".join(f"/{ai}/{quote(value, safe='')}" for ai, value in path)
    return f"{host}{tail}" + (f"?{'&'.join(pairs)}" if pairs else "")
