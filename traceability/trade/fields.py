"""Field types shared by the CEB document models: decimals, times, bounded strings.

The CEB XSDs (2022-05, see notes/ceb.md section 1) use a small set of types:

* ``C..n`` a string of 1..n characters (required strings may not be empty),
  ``Cn`` a string of exactly n characters;
* ``N19,5`` an ``xs:decimal`` with at most 19 digits in total and 5 after the point;
* ``C14`` a time ``YYYYMMDDhhmmss`` and ``C8`` a date ``YYYYMMDD``, both in China time.

Decimal input policy (decided for sandan): a decimal is accepted as a string in
the ``xs:decimal`` lexical form (``"12.50"``, ``"+3"``, ``".5"``; no exponent, no
spaces: an XML reader collapses whitespace first), an ``int`` or a ``Decimal``.
Python ``float`` (what a JSON number with a fraction becomes) and ``bool`` are
rejected, because a
binary float cannot say which decimal the sender meant (``0.1`` is not 1/10 and
a 19-digit amount does not survive a float). Senders put amounts in JSON
strings, exactly as the XML carries them. Values must be finite and not
negative: no CEB amount, quantity or weight is meaningfully negative [I].

Canonical output: :func:`canonical_decimal` writes a decimal in plain notation
with no exponent, no trailing fractional zeros, no trailing point and no
negative zero (``Decimal("100.00")`` → ``"100"``, ``Decimal("12.50")`` →
``"12.5"``), so equal amounts always canonicalise to equal bytes.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
)

from traceability.trade.field_docs import document_schema_extra
from traceability.trade.xml_form import XmlForm

CHINA_TZ = timezone(timedelta(hours=8), "CST")
"""China Standard Time (+08:00): CEB times carry no zone and are local to China."""

_DECIMAL_PATTERN = r"^\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
# xs:decimal lexical space (ASCII digits only); the sign is checked on the value.
_XSD_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


def canonical_decimal(value: Decimal) -> str:
    """Write ``value`` in sandan's canonical plain decimal form (see module docstring)."""
    if value.is_zero():
        return "0"
    return format(value.normalize(), "f")


def decimal_digits(value: Decimal) -> tuple[int, int]:
    """Return ``(totalDigits, fractionDigits)`` of ``value`` as XSD counts them."""
    if value.is_zero():
        return 1, 0
    _sign, digits, exponent = value.normalize().as_tuple()
    assert isinstance(exponent, int)  # finite: checked by the caller
    if exponent >= 0:
        return len(digits) + exponent, 0
    fraction = -exponent
    return max(len(digits), fraction), fraction


def parse_decimal(raw: object, total: int = 19, fraction: int = 5) -> Decimal:
    """Parse a CEB ``N{total},{fraction}`` value; raise ``ValueError`` naming the problem."""
    if isinstance(raw, float):
        raise ValueError(
            "decimal must be a string or an integer, not a float: send amounts as JSON strings"
        )
    if isinstance(raw, bool):
        raise ValueError("decimal must be a string or an integer, not a boolean")
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, str):
        value = _parse_decimal_text(raw)
    else:
        raise ValueError(f"decimal must be a string or an integer, got {type(raw).__name__}")
    if not value.is_finite():
        raise ValueError("decimal must be finite")
    if value < 0:
        raise ValueError("decimal must not be negative")
    _check_digits(value, total, fraction)
    return value


def _parse_decimal_text(raw: str) -> Decimal:
    """Parse the ``xs:decimal`` lexical form: no exponent, spaces, NaN or Infinity."""
    if _XSD_DECIMAL.fullmatch(raw) is None:
        raise ValueError(f"not a plain decimal number: {raw!r}")
    try:
        return Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - guarded by the pattern
        raise ValueError(f"not a decimal number: {raw!r}") from exc


def _check_digits(value: Decimal, total: int, fraction: int) -> None:
    """Enforce XSD ``totalDigits`` / ``fractionDigits`` on ``value``."""
    value_total, value_fraction = decimal_digits(value)
    if value_fraction > fraction:
        raise ValueError(f"at most {fraction} digits after the decimal point (N{total},{fraction})")
    if value_total > total:
        raise ValueError(f"at most {total} digits in total (N{total},{fraction})")


def _validate_n19_5(raw: object) -> Decimal:
    return parse_decimal(raw, 19, 5)


def _serialize_decimal(value: Decimal) -> str:
    return canonical_decimal(value)


Dec19_5 = Annotated[
    Decimal,
    PlainValidator(_validate_n19_5),
    PlainSerializer(_serialize_decimal, return_type=str, when_used="json"),
    XmlForm("decimal"),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _DECIMAL_PATTERN,
            "description": "CEB N19,5 decimal as a string (floats are rejected)",
        }
    ),
]
"""A CEB ``N19,5`` amount, quantity or weight: Decimal in, canonical string out."""


def parse_ceb_time(raw: object) -> datetime:
    """Parse a CEB C14 time ``YYYYMMDDhhmmss`` (China time) into an aware datetime.

    An aware ``datetime`` is accepted too and converted to China time; a naive
    one is rejected because its zone would be a guess.
    """
    if isinstance(raw, datetime):
        if raw.tzinfo is None or raw.utcoffset() is None:
            raise ValueError("datetime must be timezone-aware")
        if raw.microsecond:
            raise ValueError("CEB times have whole seconds")
        return raw.astimezone(CHINA_TZ)
    if not (isinstance(raw, str) and len(raw) == 14 and raw.isascii() and raw.isdigit()):
        raise ValueError("time must be 14 digits YYYYMMDDhhmmss (China time)")
    try:
        naive = datetime.strptime(raw, "%Y%m%d%H%M%S")  # zone added next
    except ValueError as exc:
        raise ValueError(f"not a valid time: {raw!r}") from exc
    return naive.replace(tzinfo=CHINA_TZ)


def format_ceb_time(value: datetime) -> str:
    """Write an aware datetime as a CEB C14 time in China time."""
    return value.astimezone(CHINA_TZ).strftime("%Y%m%d%H%M%S")


def parse_ceb_date(raw: object) -> date:
    """Parse a CEB C8 date ``YYYYMMDD``; a ``date`` (not a datetime) is accepted as is."""
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if not (isinstance(raw, str) and len(raw) == 8 and raw.isascii() and raw.isdigit()):
        raise ValueError("date must be 8 digits YYYYMMDD")
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError as exc:
        raise ValueError(f"not a valid date: {raw!r}") from exc


def format_ceb_date(value: date) -> str:
    """Write a date as CEB C8 ``YYYYMMDD``."""
    return value.strftime("%Y%m%d")


CebTime = Annotated[
    datetime,
    PlainValidator(parse_ceb_time),
    PlainSerializer(format_ceb_time, return_type=str, when_used="json"),
    XmlForm("datetime", 14, 14),
    WithJsonSchema(
        {"type": "string", "pattern": r"^[0-9]{14}$", "description": "YYYYMMDDhhmmss, China time"}
    ),
]
"""A CEB C14 time: aware datetime (+08:00) in Python, ``YYYYMMDDhhmmss`` in JSON."""

CebDate = Annotated[
    date,
    PlainValidator(parse_ceb_date),
    PlainSerializer(format_ceb_date, return_type=str, when_used="json"),
    XmlForm("date", 8, 8),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]{8}$", "description": "YYYYMMDD"}),
]
"""A CEB C8 date: ``date`` in Python, ``YYYYMMDD`` in JSON."""


#: The CEB fields that identify a party, a document or a thing (codes and numbers). They
#: are compared and hashed as exact strings (the tradeId, the business key, the links
#: between documents), so one must not have two spellings that print alike: the service
#: refuses a value of these fields that is not NFKC-normalised or carries leading or
#: trailing whitespace (and, in any field, invisible characters).
IDENTIFIER_FIELDS: frozenset[str] = frozenset(
    {
        "agentCode", "areaCode", "assureCode", "barCode", "billNo", "buyerIdNumber",
        "buyerRegNo", "copNo", "customsCode", "ebcCode", "ebpCode", "emsNo", "gcode",
        "guid", "iacCode", "invtNo", "itemNo", "itemRecordNo", "licenseNo", "loctNo",
        "logisticsCode", "logisticsNo", "orderNo", "ownerCode", "payCode", "payerIdNumber",
        "payNo", "payTransactionId", "portCode", "preNo", "totalPackageNo", "trafNo",
        "voyageNo",
    }
)  # fmt: skip


def _text(max_length: int, min_length: int = 1) -> Any:
    """A ``C..n`` (or ``Cn`` when both bounds are equal) string constraint."""
    return StringConstraints(min_length=min_length, max_length=max_length)


# Bounded strings by CEB length. Names say the XSD type: T60 = C..60, Fixed3 = C3.
T3 = Annotated[str, _text(3)]
T10 = Annotated[str, _text(10)]
T15 = Annotated[str, _text(15)]
T18 = Annotated[str, _text(18)]
T19 = Annotated[str, _text(19)]
T20 = Annotated[str, _text(20)]
T30 = Annotated[str, _text(30)]
T32 = Annotated[str, _text(32)]
T37 = Annotated[str, _text(37)]
T50 = Annotated[str, _text(50)]
T60 = Annotated[str, _text(60)]
T100 = Annotated[str, _text(100)]
T200 = Annotated[str, _text(200)]
T250 = Annotated[str, _text(250)]
T255 = Annotated[str, _text(255)]
T510 = Annotated[str, _text(510)]
T1000 = Annotated[str, _text(1000)]
T5000 = Annotated[str, _text(5000)]
Fixed1 = Annotated[str, _text(1, 1)]
Fixed3 = Annotated[str, _text(3, 3)]
Fixed4 = Annotated[str, _text(4, 4)]
Fixed6 = Annotated[str, _text(6, 6)]
Fixed10 = Annotated[str, _text(10, 10)]
Fixed18 = Annotated[str, _text(18, 18)]
PortCode = Annotated[str, _text(4, 3)]
"""``POD`` C..4 with at least 3 characters."""
Guid = Annotated[str, _text(36, 36)]
"""``guid`` C36: 36 characters (the XSD asks for upper-case letters)."""


def _parse_int9(raw: object) -> int:
    return _parse_int(raw, 9)


def _parse_int5(raw: object) -> int:
    return _parse_int(raw, 5)


Int9 = Annotated[
    int,
    PlainValidator(_parse_int9),
    XmlForm("int", digits=9),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 999_999_999}),
]
"""A CEB ``int`` of at most 9 digits (packNo, msgSeqNo), at least 1."""
Int5 = Annotated[
    int,
    PlainValidator(_parse_int5),
    XmlForm("int", digits=5),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 99_999}),
]
"""A CEB ``int`` of at most 5 digits (gnum), at least 1."""


def _parse_int(raw: object, digits: int) -> int:
    """Parse a positive CEB integer from an ``int`` or a digit string."""
    if isinstance(raw, bool):
        raise ValueError("integer expected, got a boolean")
    if isinstance(raw, str) and raw.isascii() and raw.isdigit():
        raw = int(raw)
    if not isinstance(raw, int):
        raise ValueError("integer expected")
    if not 1 <= raw < 10**digits:
        raise ValueError(f"integer must be between 1 and {10**digits - 1}")
    return raw


class CebModel(BaseModel):
    """Base of every CEB document model: frozen, unknown fields rejected."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        json_schema_extra=document_schema_extra,
    )

    def to_json_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict with CEB names, canonical decimals and C14 times.

        Absent optional fields are left out (never ``null``), so a document has
        one canonical JSON form for RFC 8785.
        """
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
