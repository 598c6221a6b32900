"""GS1 Digital Link: parsing, building, canonical forms and lot ids."""

from __future__ import annotations

import hashlib
import string
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from traceability.gs1 import (
    InvalidDigitalLink,
    UnsupportedCompression,
    build_digital_link,
    constrained_digital_link,
    is_digital_link,
    lot_id,
    lot_uri,
    parse_digital_link,
)

GTIN = "06901234123456"


def test_parse_digital_link_reads_key_qualifiers_and_attributes():
    link = parse_digital_link(
        "https://trace.example.cn/gz/01/6901234123456/10/GN%2F2411A/21/0012"
        "?17=251200&3103=001250&linkType=gs1:pip"
    )
    assert (link.gtin, link.lot, link.serial) == (GTIN, "GN/2411A", "0012")
    assert link.expiry == date(2025, 12, 31)
    assert link.host == "https://trace.example.cn/gz"
    assert link.other_query == (("linkType", "gs1:pip"),)
    data = link.to_json()
    assert data["attributes"][1] == {
        "ai": "3103", "title": "NET WEIGHT (kg)", "value": "001250", "decimal": "1.250"
    }  # fmt: skip
    assert data["expiry"] == "2025-12-31"
    assert link.canonical() == (
        f"https://id.gs1.org/01/{GTIN}/10/GN%2F2411A/21/0012?17=251200&3103=001250"
    )
    assert link.constrained() == f"https://id.gs1.org/01/{GTIN}/21/0012"


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("https://a.cn/01/12345670", "https://id.gs1.org/01/00000012345670"),
        ("https://a.cn/01/614141007349", "https://id.gs1.org/01/00614141007349"),
        ("https://a.cn/00/069012340000000177", "https://id.gs1.org/00/069012340000000177"),
        ("https://a.cn/414/6901234000016/254/7", "https://id.gs1.org/414/6901234000016/254/7"),
        ("https://a.cn/417/6901234000016", "https://id.gs1.org/417/6901234000016"),
        ("https://a.cn/8004/6901234ABC", "https://id.gs1.org/8004/6901234ABC"),
        ("https://a.cn/01/06901234123456/22/V1/10/L1", "https://id.gs1.org/01/06901234123456/10/L1"),
        ("https://a.cn/01/06901234123456/235/T1", "https://id.gs1.org/01/06901234123456/235/T1"),
    ],
)  # fmt: skip
def test_constrained_digital_link_keeps_finest_key(uri, expected):
    assert constrained_digital_link(uri) == expected


REJECTED = {
    "not-http": ("urn:epc:id:sgtin:1.2.3", "uri", "http"),
    "unknown-primary-key": ("https://a.cn/gtin/06901234123456", "path", "primary key"),
    "gtin-check-digit": ("https://a.cn/01/06901234123457", "path./01", "check digit"),
    "sscc-check-digit": ("https://a.cn/00/069012340000000178", "path./00", "check digit"),
    "gtin-too-short": ("https://a.cn/01/06901234123", "path./01", "format"),
    "disordered": ("https://a.cn/01/06901234123456/21/S1/10/L1", "path./21", "in order"),
    "extension-without-gln": ("https://a.cn/01/06901234123456/254/X", "path./254", "not allowed"),
    "date-in-path": ("https://a.cn/01/06901234123456/17/251231", "path./17", "not allowed"),
    "qualifier-in-query": ("https://a.cn/01/06901234123456?10=L1", "query.10", "path"),
    "date-month-13": ("https://a.cn/01/06901234123456?17=251301", "query.17", "format"),
    "date-day-31": ("https://a.cn/01/06901234123456?17=250231", "query.17", "day 31"),
    "attribute-twice": ("https://a.cn/01/06901234123456?17=250101&17=250102", "query.17", "twice"),
    "lot-not-cset82": ("https://a.cn/01/06901234123456/10/%E6%A9%99", "path./10", "format"),
    "lot-bad-percent": ("https://a.cn/01/06901234123456/10/A%2", "path./10", "percent"),
    "lot-long": ("https://a.cn/01/06901234123456/10/123456789012345678901", "path./10", "format"),
    "unknown-ai": ("https://a.cn/01/06901234123456?9999=1", "query.9999", "unknown"),
}  # fmt: skip


@pytest.mark.parametrize(("uri", "field", "words"), REJECTED.values(), ids=REJECTED)
def test_parse_digital_link_rejects_with_part_and_reason(uri, field, words):
    with pytest.raises(InvalidDigitalLink) as caught:
        parse_digital_link(uri)
    assert caught.value.field == field
    assert words in str(caught.value)
    assert not is_digital_link(uri)


@pytest.mark.parametrize(
    ("yymmdd", "today", "expected"),
    [
        ("251231", None, date(2025, 12, 31)),
        ("240200", None, date(2024, 2, 29)),
        ("991231", date(2025, 6, 1), date(1999, 12, 31)),
        ("751231", date(2025, 6, 1), date(2075, 12, 31)),
        ("051231", date(2060, 6, 1), date(2105, 12, 31)),
    ],
)
def test_parse_digital_link_resolves_expiry_century(yymmdd, today, expected):
    link = parse_digital_link(f"https://id.gs1.org/01/{GTIN}?17={yymmdd}", today=today)
    assert link.expiry == expected


def test_build_digital_link_orders_qualifiers_and_encodes_values():
    uri = build_digital_link(
        "6901234123456", serial="S-1", lot="L/1", cpv="2", attributes={"17": "251231"}
    )
    assert uri == f"https://id.gs1.org/01/{GTIN}/22/2/10/L%2F1/21/S-1?17=251231"


def test_lot_id_is_sha256_of_canonical_lot_link():
    assert lot_uri("6901234123456", "GN2411A") == f"https://id.gs1.org/01/{GTIN}/10/GN2411A"
    expected = hashlib.sha256(f"https://id.gs1.org/01/{GTIN}/10/GN2411A".encode()).digest()
    assert lot_id(GTIN, "GN2411A") == expected
    assert len(expected) == 32


_AI82 = string.ascii_letters + string.digits + "!\"%&'()*+,-./:;<=>?_"


@settings(max_examples=100, deadline=None)
@given(
    payload=st.text("0123456789", min_size=12, max_size=12),
    lot=st.text(_AI82, min_size=1, max_size=20),
    serial=st.none() | st.text(_AI82, min_size=1, max_size=20),
)
def test_build_then_parse_digital_link_round_trips(payload, lot, serial):
    from biip.checksums import gs1_standard_check_digit

    gtin = "0" + payload + str(gs1_standard_check_digit("0" + payload))
    link = parse_digital_link(build_digital_link(gtin, lot=lot, serial=serial))
    assert (link.gtin, link.lot, link.serial) == (gtin, lot, serial)
    assert parse_digital_link(link.canonical()) == link


def test_parse_digital_link_rejects_unsupported_compression_clearly():
    # GTIN, then the 8-bit code B0: neither an AI nor in the optimisation table.
    with pytest.raises(UnsupportedCompression) as caught:
        parse_digital_link("https://id.gs1.org/ARFKk4XBoWA")
    assert caught.value.field == "path"
    assert "optimisation code B0" in str(caught.value)
