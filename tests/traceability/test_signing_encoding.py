"""Strict base64url and RFC 3339 helpers of the signing package."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from traceability.signing._encoding import (
    b64url_decode,
    b64url_encode,
    format_rfc3339,
    parse_rfc3339,
)


@given(st.binary(max_size=80))
def test_b64url_round_trips(data: bytes) -> None:
    text = b64url_encode(data)
    assert "=" not in text
    assert b64url_decode(text) == data


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("AA==", id="padding"),
        pytest.param("AB", id="stray-bits"),
        pytest.param("A", id="impossible-length"),
        pytest.param("a+b/", id="standard-alphabet"),
        pytest.param("AA AA", id="whitespace"),
        pytest.param("AAAA\n", id="newline"),
    ],
)
def test_b64url_decode_rejects_non_canonical_text(text: str) -> None:
    with pytest.raises(ValueError, match="base64url"):
        b64url_decode(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-23T05:00:00.000Z", datetime(2026, 11, 23, 5, tzinfo=UTC)),
        ("2026-11-23T05:00:00Z", datetime(2026, 11, 23, 5, tzinfo=UTC)),
        ("2026-11-23T05:00:00.5Z", datetime(2026, 11, 23, 5, 0, 0, 500000, tzinfo=UTC)),
        ("2026-11-23T05:00:00.123456789Z", datetime(2026, 11, 23, 5, 0, 0, 123456, tzinfo=UTC)),
        ("2024-02-29T23:59:59.999Z", datetime(2024, 2, 29, 23, 59, 59, 999000, tzinfo=UTC)),
    ],
)
def test_parse_rfc3339_reads_utc_timestamps(text: str, expected: datetime) -> None:
    assert parse_rfc3339(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-23T05:00:00+00:00",
        "2026-11-23T05:00:00.000z",
        "2026-11-23t05:00:00Z",
        "2026-11-23",
        "2025-02-29T00:00:00Z",
        "2026-11-23T24:00:00Z",
        "2026-11-23T05:00:00.Z",
        " 2026-11-23T05:00:00Z",
    ],
)
def test_parse_rfc3339_rejects_other_forms(text: str) -> None:
    with pytest.raises(ValueError, match=r"RFC 3339|calendar"):
        parse_rfc3339(text)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 23, 5, tzinfo=UTC), "2026-11-23T05:00:00.000Z"),
        (
            datetime(2026, 11, 23, 13, 0, 0, 999999, tzinfo=timezone(timedelta(hours=8))),
            "2026-11-23T05:00:00.999Z",
        ),
    ],
)
def test_format_rfc3339_writes_utc_milliseconds(moment: datetime, expected: str) -> None:
    assert format_rfc3339(moment) == expected


def test_format_rfc3339_rejects_naive_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_rfc3339(datetime(2026, 11, 23, 5))
