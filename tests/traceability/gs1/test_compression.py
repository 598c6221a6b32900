"""Compressed GS1 Digital Links: published examples, round trips, leading zeros, rejections."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from traceability.gs1 import (
    BASE64_ALPHABET,
    OPTIMISATIONS,
    CompressedElements,
    InvalidDigitalLink,
    UnsupportedCompression,
    compress_digital_link,
    decode_compressed,
    decompress_digital_link,
    encode_compressed,
    parse_digital_link,
)

GS1 = "https://id.gs1.org"

# Examples published with the GS1 Digital Link toolkits (uncompressed, compressed).
PUBLISHED = [
    ("00/998440410914660971", "AN2yxDhfaiaw"),
    ("01/05412345000013", "AQnYUc1gmg"),
    ("01/05412345000013/10/ABC123", "AQnYUc1gmiCNV4JG"),
    ("01/05412345000013/10/ABC123/21/72292641703", "AQnYUc1gmiCNV4JGQhcNT6K6c"),
    ("01/05412345000013/22/AJY3095721P49/10/ABC123/21/72292641703",
     "AQnYUc1gmiCNV4JGQhcNT6K6cibQCWN9Pee9tT-PQ"),
    ("01/05412345000013/22/AJY3095721P49/10/ABC123", "AQnYUc1gmiCNV4JGRNoBLG-nvPe2p_Ho"),
    ("01/05412345000013/235/8TFV883a904GH%263", "AQnYUc1gmkax7ipGrOHDPC5YNI8hMz"),
    ("01/05412345000013/21/72292641703", "AQnYUc1gmkIXDU-iun"),
    ("01/05412345000013/22/AJY3095721P49", "AQnYUc1gmkTaASxvp7z3tqfx6"),
    ("253/3060077601309", "JTLIetaiHYA"),
    ("255/5678409730535", "JVUqG5hJ5wA"),
    ("401/0541234537290A41%26GHpp33", "QBl2DVoxZM2jVm3ZOWEFoxTR5HDgzZg"),
    ("402/21173492661712079", "QCJZyW9mC6Z4"),
    ("414/5060917510004", "QUSaVjC_dA"),
    ("414/5060917510004/254/RP56J920471", "JUa0T-eifdtOO9UFEmlYwv3Q"),
    ("414/5060917510004/7040/5KFX", "QUSaVjC_dHBAVlCrg"),
    ("417/5060917510004/7040/5KFX", "QXSaVjC_dHBAVlCrg"),
    ("8003/04965031954585", "gAMJCAXukTMA"),
    ("8004/0541234537290A41%26GHpp33", "gASXYNWjFkzaNWbdk5YQWjFNHkcODNm"),
    ("8006/054123450000130201", "gAYMBI_bNGwJk"),
    ("8006/054123450000130201/10/ABC123", "EEarwSOABgwEj9s0bAmQ"),
    ("8006/054123450000130201/22/AJY3095721P49/21/72292641703",
     "IQuGp9FdORNoBLG-nvPe2p_HsADBgJH7Zo2BMg"),
    ("8010/0541234537290A41%23GH33/8011/6639047221",
     "gBCVYNWjFkzaNWbdk5YQWjFHHkM2cAI0xdvpGo"),
    ("8013/5060917511473062B98T", "gBN05060917511473062B98T"),
    ("8017/817019610850151481/8019/4003812", "gBe1ajAd9ATDmAGXPRfk"),
    ("8018/411369833821910265", "gBhbV6rzBENPk"),
]  # fmt: skip

PUBLISHED_PARTIAL = [
    ("01/05412345000013/10/ABC123", "01/05412345000013/EEarwSM"),
    ("01/05412345000013/22/AJY3095721P49/10/ABC123/21/72292641703",
     "01/05412345000013/EEarwSMhC4an0V05E2gEsb6e897an8eg"),
    ("414/5060917510004/7040/5KFX", "414/5060917510004/cEBWUKu"),
    ("8010/0541234537290A41%23GH33/8011/6639047221", "8010/0541234537290A41%23GH33/gBGmLt9I1"),
    ("8017/817019610850151481/8019/4003812", "8017/817019610850151481/gBlz0X5A"),
]  # fmt: skip

WITH_QUERY = f"{GS1}/01/05412345000013/10/ABC123?17=290331&arv=true&donor=bmgf"


def _segment(bits: str) -> str:
    """A compressed segment written straight from a bit string (zero-padded)."""
    bits += "0" * (-len(bits) % 6)
    return "".join(BASE64_ALPHABET[int(bits[i : i + 6], 2)] for i in range(0, len(bits), 6))


def _bits(segment: str) -> str:
    return "".join(f"{BASE64_ALPHABET.index(c):06b}" for c in segment)


@pytest.mark.parametrize(("plain", "compressed"), PUBLISHED)
def test_parse_digital_link_decompresses_published_examples(plain, compressed):
    link = parse_digital_link(f"{GS1}/{compressed}")
    assert link.uri() == parse_digital_link(f"{GS1}/{plain}").uri()


@pytest.mark.parametrize(("plain", "compressed"), PUBLISHED)
def test_compress_digital_link_reproduces_published_examples(plain, compressed):
    assert compress_digital_link(f"{GS1}/{plain}") == f"{GS1}/{compressed}"


@pytest.mark.parametrize(("plain", "partial"), PUBLISHED_PARTIAL)
def test_partially_compressed_links_match_published_examples(plain, partial):
    assert parse_digital_link(f"{GS1}/{partial}").uri() == f"{GS1}/{plain}"
    assert compress_digital_link(f"{GS1}/{plain}", keep_primary_key=True) == f"{GS1}/{partial}"


@pytest.mark.parametrize(
    ("compressed", "options"),
    [
        ("01/05412345000013/EEarwSMXRuGw?arv=true&donor=bmgf", {"keep_primary_key": True}),
        ("AQnYUc1gmiCNV4JGLo3DY?arv=true&donor=bmgf", {}),
        ("AQnYUc1gmiCNV4JGLo3Dfg2q72Etrue8K7RPRWwjc0D4", {"compress_query": True}),
        ("01/05412345000013/EEarwSMXRuG_BtV3sJbXc94V2ieithG5oHw",
         {"keep_primary_key": True, "compress_query": True}),
    ],
)  # fmt: skip
def test_compressed_links_carry_attributes_and_other_parameters(compressed, options):
    assert decompress_digital_link(f"{GS1}/{compressed}") == WITH_QUERY
    link = parse_digital_link(f"{GS1}/{compressed}")
    assert (link.lot, link.attribute("17"), link.other_query) == (
        "ABC123", "290331", (("arv", "true"), ("donor", "bmgf"))
    )  # fmt: skip
    assert compress_digital_link(WITH_QUERY, **options) == f"{GS1}/{compressed}"


@pytest.mark.parametrize(("ai", "field"), [("21", "serial"), ("10", "lot")])
@pytest.mark.parametrize("value", ["0", "007", "0012", "0000000000", "00000000000000000000"])
@pytest.mark.parametrize("options", [{}, {"keep_primary_key": True}, {"optimise": True}])
def test_decompression_keeps_leading_zeros(ai, field, value, options):
    plain = f"https://trace.example.cn/01/09506000134352/{ai}/{value}"
    compressed = compress_digital_link(plain, **options)
    assert compressed != plain
    assert parse_digital_link(compressed).to_json()[field] == value


def test_decompression_keeps_leading_zeros_of_a_key():
    compressed = compress_digital_link("https://trace.example.cn/00/006141410000000012")
    assert parse_digital_link(compressed).to_json()["sscc"] == "006141410000000012"


def test_all_digit_serial_is_packed_as_digits_with_its_length():
    segment = compress_digital_link(f"{GS1}/01/09506000134352/21/0012").rsplit("/", 1)[1]
    tail = _bits(segment)[8 + 47 :]  # after AI 01 and its 47-bit GTIN
    # AI 21, encoding 0 (digits), length 4, then 12 in 14 bits: the zeros live in the length.
    assert tail.startswith("00100001" + "000" + "00100" + f"{12:014b}")


@pytest.mark.parametrize(
    ("code", "plain"),
    [
        ("0B", "01/09506000134352/10/L%2F24"),
        ("1A", "01/09506000134352/10/L1/21/0012?17=261231"),
        ("1F", "01/09506000134352/10/L1?15=260101"),
        ("2D", "01/09506000134352?3103=001250"),
        ("9D", "414/6901234000016/254/7"),
        ("9B", "8017/817019610850151481/8019/0004003812"),
    ],
)
def test_optimisation_codes_round_trip(code, plain):
    compressed = compress_digital_link(f"{GS1}/{plain}", optimise=True)
    first = compressed.rsplit("/", 1)[1][:2]
    assert f"{int(_bits(first)[:4], 2):X}{int(_bits(first)[4:8], 2):X}" == code
    assert parse_digital_link(compressed).uri() == parse_digital_link(f"{GS1}/{plain}").uri()


def test_optimisation_table_uses_only_codes_with_a_letter():
    assert all(not code.isdigit() and not code.startswith("F") for code in OPTIMISATIONS)


@settings(max_examples=200, deadline=None)
@given(
    lot=st.text(
        st.sampled_from("0123456789abcdefABCDEFXYZ-_.!%&*+/:;<=>?"), min_size=1, max_size=20
    ),
    serial=st.text(st.sampled_from("0123456789AZaz"), min_size=1, max_size=20),
    expiry=st.sampled_from(["260131", "271200", "301231"]),
    optimise=st.booleans(),
    keep_primary_key=st.booleans(),
)
def test_compress_then_parse_round_trips(lot, serial, expiry, optimise, keep_primary_key):
    plain = (
        f"{GS1}/01/09506000134352/10/{quote(lot, safe='')}/21/{quote(serial, safe='')}"
        f"?17={expiry}&linkType=gs1:pip"
    )
    compressed = compress_digital_link(plain, optimise=optimise, keep_primary_key=keep_primary_key)
    again = parse_digital_link(compressed)
    assert (again.gtin, again.lot, again.serial, again.attribute("17"), again.other_query) == (
        "09506000134352", lot, serial, expiry, (("linkType", "gs1:pip"),)
    )  # fmt: skip
    assert again.uri() == parse_digital_link(plain).uri()


def test_optimised_compression_avoids_a_code_read_two_ways():
    # Found by the round-trip property: with these values the 1A segment also fits the
    # toolkit's order (01, 10, 17, 21), so the decoder would refuse it; the encoder then
    # spells the sequence out without 1A.
    plain = f"{GS1}/01/09506000134352/10/{quote('&92>-&&0:', safe='')}/21/18A4722?17=271200"
    compressed = compress_digital_link(plain, optimise=True)
    first = compressed.rsplit("/", 1)[1][:2]
    assert f"{int(_bits(first)[:4], 2):X}{int(_bits(first)[4:8], 2):X}" != "1A"
    assert parse_digital_link(compressed).uri() == parse_digital_link(plain).uri()


def test_decode_compressed_returns_elements_in_stream_order():
    segment = encode_compressed([("10", "L1"), ("01", "09506000134352")], [("k", "v")])
    assert decode_compressed(segment) == CompressedElements(
        (("01", "09506000134352"), ("10", "L1")), (("k", "v"),)
    )


GTIN_BITS = "00000001" + f"{9506000134352:047b}"


@pytest.mark.parametrize(
    ("uri", "error", "words"),
    [
        # an 8-bit code that is neither an AI nor in the optimisation table
        (f"{GS1}/{_segment(GTIN_BITS + '10110000')}", UnsupportedCompression, "B0"),
        # AI 10 with the reserved encoding indicator 5
        (f"{GS1}/{_segment(GTIN_BITS + '00010000' + '101' + '00010' + '0' * 14)}",
         UnsupportedCompression, "indicator 5"),
        # AI 4330's optional minus sign has no reading in the compression tables
        (f"{GS1}/{_segment(GTIN_BITS + '0100001100110000' + '0' * 40)}",
         UnsupportedCompression, "4330"),
        # the GTIN stops half-way
        (f"{GS1}/{_segment(GTIN_BITS[:50])}", InvalidDigitalLink, "ends inside"),
        # a 2-digit prefix no AI starts with
        (f"{GS1}/{_segment(GTIN_BITS + '01010000' + '0' * 20)}", InvalidDigitalLink, "5000"),
        # the same AI twice
        (f"{GS1}/{_segment(GTIN_BITS * 2)}", InvalidDigitalLink, "twice"),
        # no primary key at all, only a lot
        (f"{GS1}/{_segment('00010000' + '010' + '00010' + '00010001')}", InvalidDigitalLink,
         "primary key"),
        # a fixed 14-digit field holding a 15-digit number
        (f"{GS1}/{_segment('00000001' + f'{10**14:047b}')}", InvalidDigitalLink, "digits"),
        # stray one-bits after the last entry
        (f"{GS1}/AQnYUc1gmh", InvalidDigitalLink, "stray bits"),
        # decompresses, but the GTIN's check digit is wrong
        (f"{GS1}/{_segment('00000001' + f'{9506000134353:047b}')}", InvalidDigitalLink,
         "check digit"),
    ],
)  # fmt: skip
def test_parse_digital_link_rejects_bad_compressed_data_precisely(uri, error, words):
    with pytest.raises(error) as caught:
        parse_digital_link(uri)
    assert words in str(caught.value)
    assert caught.value.field is not None


@pytest.mark.parametrize(
    ("plain", "words"),
    [
        ("01/09506000134352?note=%E6%A9%99", "7-bit ASCII"),
        ("01/09506000134352?4330=001250-", "4330"),
        ("01/09506000134352?a.b=1", "cannot be compressed"),
    ],
)
def test_compress_digital_link_rejects_what_cannot_be_encoded(plain, words):
    with pytest.raises(InvalidDigitalLink, match=words):
        compress_digital_link(f"{GS1}/{plain}", compress_query=True)


def test_short_last_segments_are_not_taken_for_compressed_links():
    with pytest.raises(InvalidDigitalLink, match="primary key"):
        parse_digital_link("https://example.com/products/orange")
