"""Lexical checks of one leaf value against its :class:`Field` (type, length, format, fixed)."""

from __future__ import annotations

import re
from datetime import datetime

from traceability.ceb.spec import Field, Kind
from traceability.trade.code_lists import explain_code

# xs:decimal lexical space; N19,5 adds totalDigits 19 and fractionDigits 5.
_DECIMAL = re.compile(r"[+-]?(?:(\d+)(?:\.(\d*))?|\.(\d+))")
_INTEGER = re.compile(r"[+-]?\d+")
_INT_MAX = 2**31 - 1
_FORMATS = {
    Kind.DATETIME: ("%Y%m%d%H%M%S", "YYYYMMDDhhmmss"),
    Kind.DATE: ("%Y%m%d", "YYYYMMDD"),
    Kind.MILLIS: ("%Y%m%d%H%M%S", "YYYYMMDDhhmmssSSS"),
}

Problem = tuple[str, str]  # (reason, detail)


def is_numeric(kind: Kind) -> bool:
    """Whether XSD collapses whitespace around this kind's values."""
    return kind is not Kind.TEXT


def check_value(spec: Field, value: str) -> list[Problem]:
    """Every problem with ``value`` for ``spec``; empty when the value is acceptable."""
    problems = _check_length(spec, value)
    checker = _CHECKERS.get(spec.kind)
    if checker is not None:
        problems += checker(spec, value)
    if spec.fixed is not None and value != spec.fixed:
        explained = explain_code(spec.name, [spec.fixed], value)
        problems.append(("schema.fixed", explained or f"must be {spec.fixed!r}, got {value!r}"))
    elif spec.choices and value not in spec.choices:
        allowed = ", ".join(spec.choices)
        explained = explain_code(spec.name, spec.choices, value)
        detail = explained or f"must be one of {allowed}; got {value!r}"
        problems.append(("schema.enumeration", detail))
    return problems


def _check_length(spec: Field, value: str) -> list[Problem]:
    if spec.kind in (Kind.DECIMAL, Kind.INT):
        return []  # digits, not characters, bound numbers
    n = len(value)
    if spec.max_length is not None and spec.min_length == spec.max_length and n != n_exact(spec):
        return [("schema.length", f"must be exactly {spec.max_length} characters, got {n}")]
    if spec.max_length is not None and n > spec.max_length:
        return [("schema.length", f"must be at most {spec.max_length} characters, got {n}")]
    if n < spec.min_length:
        return [("schema.length", f"must be at least {spec.min_length} characters, got {n}")]
    return []


def n_exact(spec: Field) -> int:
    """The exact length of a ``Cn`` field."""
    return spec.max_length if spec.max_length is not None else 0


def _check_decimal(_spec: Field, value: str) -> list[Problem]:
    match = _DECIMAL.fullmatch(value)
    if match is None:
        return [("schema.type", f"not a decimal number: {value!r}")]
    integer = (match.group(1) or "").lstrip("0")
    fraction = (match.group(2) or match.group(3) or "").rstrip("0")
    if len(fraction) > 5:
        return [("schema.decimal", f"at most 5 decimal places (N19,5), got {value!r}")]
    if len(integer) + len(fraction) > 19:
        return [("schema.decimal", f"at most 19 digits (N19,5), got {value!r}")]
    return []


def _check_int(spec: Field, value: str) -> list[Problem]:
    if _INTEGER.fullmatch(value) is None:
        return [("schema.type", f"not an integer: {value!r}")]
    digits = value.lstrip("+-").lstrip("0")
    if spec.digits is not None and len(digits) > spec.digits:
        return [("schema.length", f"at most {spec.digits} digits, got {value!r}")]
    if abs(int(value)) > _INT_MAX:
        return [("schema.type", f"out of the xs:int range: {value!r}")]
    return []


def _check_status(_spec: Field, value: str) -> list[Problem]:
    if _INTEGER.fullmatch(value) is None:
        return [("schema.type", f"returnStatus must be an integer code, got {value!r}")]
    return []


def _check_time(spec: Field, value: str) -> list[Problem]:
    pattern, shown = _FORMATS[spec.kind]
    digits = value[:14] if spec.kind is Kind.MILLIS else value
    if not value.isascii() or not value.isdigit():
        return [("schema.format", f"must be {shown}, got {value!r}")]
    try:
        datetime.strptime(digits, pattern)
    except ValueError:
        return [("schema.format", f"not a valid {shown} time: {value!r}")]
    return []


_CHECKERS = {
    Kind.DECIMAL: _check_decimal,
    Kind.INT: _check_int,
    Kind.STATUS: _check_status,
    Kind.DATETIME: _check_time,
    Kind.DATE: _check_time,
    Kind.MILLIS: _check_time,
}
