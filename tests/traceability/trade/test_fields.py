"""Decimal, time and integer field types of the CEB models."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from traceability.trade.fields import (
    CHINA_TZ,
    canonical_decimal,
    decimal_digits,
    format_ceb_time,
    parse_ceb_date,
    parse_ceb_time,
    parse_decimal,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12.50", Decimal("12.50")),
        ("0", Decimal(0)),
        ("+3", Decimal(3)),
        (".5", Decimal("0.5")),
        ("7.", Decimal(7)),
        (42, Decimal(42)),
        (Decimal("1.23"), Decimal("1.23")),
        ("99999999999999.99999", Decimal("99999999999999.99999")),  # 19 digits, 5 decimals
        ("9999999999999999999", Decimal("9999999999999999999")),  # 19 integer digits
        ("1.2300000000", Decimal("1.23")),  # trailing zeros do not count (value space)
        ("0.00001", Decimal("0.00001")),
        ("-0", Decimal(0)),
    ],
)
def test_parse_decimal_accepts_xsd_decimal(raw: object, expected: Decimal) -> None:
    assert parse_decimal(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (1.5, "not a float"),
        (0.1, "not a float"),
        (True, "not a boolean"),
        ("1e5", "not a plain decimal"),
        ("NaN", "not a plain decimal"),
        ("Infinity", "not a plain decimal"),
        (" 1", "not a plain decimal"),
        ("1,000", "not a plain decimal"),
        ("", "not a plain decimal"),
        ("１２", "not a plain decimal"),  # full-width digits
        ("-1", "must not be negative"),
        ("0.000001", "at most 5 digits after"),
        ("10000000000000000000", "at most 19 digits in total"),
        ("99999999999999.999991", "at most 5 digits after"),
        ("100000000000000.00001", "at most 19 digits in total"),
        (None, "string or an integer"),
        (Decimal("NaN"), "finite"),
    ],
)
def test_parse_decimal_rejects_bad_input(raw: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_decimal(raw)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("100.00"), "100"),
        (Decimal("12.50"), "12.5"),
        (Decimal("0.00"), "0"),
        (Decimal("-0"), "0"),
        (Decimal("1E+3"), "1000"),
        (Decimal("0.00001"), "0.00001"),
        (Decimal("99999999999999.99999"), "99999999999999.99999"),
    ],
)
def test_canonical_decimal_is_plain_and_minimal(value: Decimal, expected: str) -> None:
    assert canonical_decimal(value) == expected


@pytest.mark.parametrize(
    ("value", "digits"),
    [
        (Decimal("0.00012"), (5, 5)),
        (Decimal("1200"), (4, 0)),
        (Decimal("12.340"), (4, 2)),
        (Decimal(0), (1, 0)),
    ],
)
def test_decimal_digits_counts_like_xsd(value: Decimal, digits: tuple[int, int]) -> None:
    assert decimal_digits(value) == digits


def test_parse_ceb_time_is_china_time() -> None:
    parsed = parse_ceb_time("20250301100000")
    assert parsed == datetime(2025, 3, 1, 2, 0, 0, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(hours=8)
    assert format_ceb_time(parsed) == "20250301100000"


def test_parse_ceb_time_converts_aware_datetime() -> None:
    parsed = parse_ceb_time(datetime(2025, 3, 1, 2, 0, tzinfo=UTC))
    assert parsed.tzinfo is CHINA_TZ
    assert format_ceb_time(parsed) == "20250301100000"


@pytest.mark.parametrize(
    "raw",
    [
        "2025030110000",
        "202503011000001",
        "20250230100000",  # 30 February
        "20250301250000",
        "2025-03-01T10:00",
        20250301100000,
        datetime(2025, 3, 1, 10, 0),  # naive
        datetime(2025, 3, 1, 10, 0, 0, 500, tzinfo=CHINA_TZ),  # fractions of a second
    ],
)
def test_parse_ceb_time_rejects_bad_input(raw: object) -> None:
    with pytest.raises(ValueError, match=r"time|datetime|whole seconds"):
        parse_ceb_time(raw)


@pytest.mark.parametrize(
    ("raw", "ok"), [("20250301", True), ("20250229", False), ("2025031", False)]
)
def test_parse_ceb_date(raw: str, ok: bool) -> None:
    if ok:
        assert parse_ceb_date(raw) == date(2025, 3, 1)
    else:
        with pytest.raises(ValueError, match="date"):
            parse_ceb_date(raw)
