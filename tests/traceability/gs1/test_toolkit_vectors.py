"""Digital Links compressed by GS1's own compression toolkit, read by sandan.

``toolkit_vectors.json`` holds, for every optimisation code the toolkit emits, a link it
compressed from ``uncompressed`` (made by ``make_toolkit_vectors.js`` with npm
digital-link.js 1.4.3) and what the toolkit itself decodes it to.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from biip.checksums import gs1_standard_check_digit
from hypothesis import given, settings
from hypothesis import strategies as st

from traceability.gs1 import (
    OPTIMISATIONS,
    TOOLKIT_OPTIMISATIONS,
    InvalidDigitalLink,
    decode_compressed,
    decompress_digital_link,
    encode_compressed,
    parse_digital_link,
)

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).with_name("toolkit_vectors.json")).read_text(encoding="utf-8")
)["cases"]
CODED = [case for case in VECTORS if case["code"]]
#: AIs whose value has 18 digits: the toolkit turns them into a JavaScript double before
#: writing the bits, so it writes the nearest double (952012345678901233 -> ...1248).
EIGHTEEN_DIGITS = {"8017", "8018", "00"}


def _elements(uri: str) -> set[tuple[str, str]]:
    link = parse_digital_link(uri)
    return {(link.key_ai, link.key), *link.qualifiers, *link.attributes}


def _float_rounded(case: dict[str, Any]) -> bool:
    return any(f"/{ai}/" in case["uncompressed"] for ai in EIGHTEEN_DIGITS)


def test_the_vectors_cover_every_optimisation_code() -> None:
    assert {case["code"] for case in CODED} == set(OPTIMISATIONS)
    assert len([case for case in VECTORS if case["code"] is None]) == 2  # the SSCC cases


@pytest.mark.parametrize(
    "case", [c for c in CODED if not _float_rounded(c)], ids=lambda c: str(c["code"])
)
def test_sandan_reads_what_the_toolkit_wrote(case: dict[str, Any]) -> None:
    assert case["toolkitDecodes"] == {"ok": case["uncompressed"]}  # the toolkit agrees too
    assert _elements(decompress_digital_link(case["compressed"])) == _elements(case["uncompressed"])


@pytest.mark.parametrize("code", ["1A", "9D"])
def test_toolkit_sequences_differ_from_the_standard_only_by_its_in_place_sort(code: str) -> None:
    case = next(c for c in CODED if c["code"] == code)
    assert tuple(case["toolkitSequence"]) == TOOLKIT_OPTIMISATIONS[code]
    assert TOOLKIT_OPTIMISATIONS[code] == tuple(sorted(OPTIMISATIONS[code]))
    assert set(TOOLKIT_OPTIMISATIONS) == {"1A", "9D"}


@pytest.mark.parametrize("code", ["1A", "9D"])
def test_the_standard_order_still_reads_first(code: str) -> None:
    values = {"01": "09520123456788", "10": "ABC", "21": "7", "17": "251231"}
    values |= {"414": "9520123456788", "254": "A1"}
    ais = [(ai, values[ai]) for ai in OPTIMISATIONS[code]]
    segment = encode_compressed(ais, optimise=True)
    assert segment != encode_compressed(ais)  # the code was used
    assert dict(decode_compressed(segment).ais) == dict(ais)


def test_a_broken_segment_still_names_the_standard_readings_error() -> None:
    segment = next(c for c in CODED if c["code"] == "9D")["compressed"].rsplit("/", 1)[1]
    with pytest.raises(InvalidDigitalLink, match="compressed data ends inside"):
        decode_compressed(segment[:-3])


@pytest.mark.parametrize(
    "case", [c for c in VECTORS if _float_rounded(c)], ids=lambda c: str(c["code"] or "00")
)
def test_eighteen_digit_keys_are_the_toolkits_bug(case: dict[str, Any]) -> None:
    """The toolkit writes the nearest double of an 18-digit key and cannot read it back.

    sandan reads the bits as written: the nearest double, whose check digit is wrong, so
    the link is refused with the check digit named, as the toolkit refuses it.
    """
    key = parse_digital_link(case["uncompressed"]).key
    assert "INVALID CHECK DIGIT" in case["toolkitDecodes"]["error"]
    plain = decompress_digital_link(case["compressed"])
    written = plain.split("/")[4].split("?")[0]
    assert written != key
    assert int(written) == int(float(int(key)))  # what a JavaScript Number holds
    with pytest.raises(InvalidDigitalLink, match="check digit"):
        parse_digital_link(plain)


def _segment(code: str, values: dict[str, str], table: dict[str, tuple[str, ...]]) -> str:
    """``code`` followed by the values in ``table``'s order, each encoded as the standard says."""
    from traceability.gs1.compression import BASE64_ALPHABET, _encode_value

    bits = f"{int(code, 16):08b}" + "".join(_encode_value(ai, values[ai]) for ai in table[code])
    bits += "0" * (-len(bits) % 6)
    return "".join(BASE64_ALPHABET[int(bits[i : i + 6], 2)] for i in range(0, len(bits), 6))


def _read_back_or_refused(segment: str, values: dict[str, str]) -> bool:
    """Never a wrong value: the link reads back exactly, or is refused as reading two ways."""
    try:
        read = dict(decode_compressed(segment).ais)
    except InvalidDigitalLink as exc:
        refusal = str(exc)
    else:
        assert read == values
        return True
    assert "reads two ways" in refusal
    return False


_TEXT = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZabcdefghxyz0123456789-_", min_size=1, max_size=20)
_TABLES = st.sampled_from([OPTIMISATIONS, TOOLKIT_OPTIMISATIONS])
_GTIN = "09520123456788"


@settings(max_examples=400, deadline=None)
@given(
    table=_TABLES,
    lot=_TEXT,
    serial=_TEXT,
    expiry=st.dates().map(lambda d: d.strftime("%y%m%d")),
)
def test_1a_links_in_either_order_are_never_misread(
    table: dict[str, tuple[str, ...]], lot: str, serial: str, expiry: str
) -> None:
    values = {"01": _GTIN, "10": lot, "21": serial, "17": expiry}
    _read_back_or_refused(_segment("1A", values, table), values)


@settings(max_examples=400, deadline=None)
@given(table=_TABLES, extension=_TEXT, body=st.integers(0, 10**12 - 1))
def test_9d_links_in_either_order_are_never_misread(
    table: dict[str, tuple[str, ...]], extension: str, body: int
) -> None:
    gln = f"{body:012d}"
    values = {"414": gln + str(gs1_standard_check_digit(gln)), "254": extension}
    _read_back_or_refused(_segment("9D", values, table), values)


def test_almost_every_1a_link_reads_one_way() -> None:
    """Refusals are rare: count them over a fixed sample of both orders."""
    read = 0
    for i in range(200):
        values = {
            "01": _GTIN,
            "10": f"L{i}",
            "21": f"{i * 7919:x}",
            "17": f"2{i % 10}0{1 + i % 9}15",
        }
        for table in (OPTIMISATIONS, TOOLKIT_OPTIMISATIONS):
            read += _read_back_or_refused(_segment("1A", values, table), values)
    assert read >= 390
