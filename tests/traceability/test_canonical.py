"""Canonical JSON bytes (RFC 8785) and the hashes over them."""

from __future__ import annotations

import hashlib
import math
from decimal import Decimal
from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from traceability.canonical import canonical_json, content_hash, sha256_hex
from traceability.errors import InvalidDocument, NotCanonicalizable

# Examples from RFC 8785 section 3.2.2/3.2.3 and the JCS test data.
CANONICAL_CASES = [
    pytest.param({"b": 1, "a": 2}, b'{"a":2,"b":1}', id="keys-sorted"),
    pytest.param(
        {"numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001]},
        b'{"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27]}',
        id="rfc8785-numbers",
    ),
    pytest.param(
        {"string": '€$\u000f\nA\'B"\\\\"/'},
        b'{"string":"\xe2\x82\xac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
        id="rfc8785-string-escapes",
    ),
    pytest.param(
        {"literals": [None, True, False]}, b'{"literals":[null,true,false]}', id="literals"
    ),
    pytest.param(
        {
            "\u20ac": "Euro Sign",
            "\r": "Carriage Return",
            "\ufb33": "Hebrew",
            "1": "One",
            "\U0001f600": "Emoji",
            "\u0080": "Control",
            "\u00f6": "Latin",
        },
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin",'
        '"\u20ac":"Euro Sign","\U0001f600":"Emoji","\ufb33":"Hebrew"}'.encode(),
        id="rfc8785-utf16-key-order",
    ),
    pytest.param([1, (2, 3)], b"[1,[2,3]]", id="tuple-as-array"),
    pytest.param({"amount": "12.30"}, b'{"amount":"12.30"}', id="money-as-string"),
    pytest.param(2**53 - 1, b"9007199254740991", id="max-safe-int"),
]

REJECTED_CASES = [
    pytest.param(math.nan, id="nan"),
    pytest.param(math.inf, id="infinity"),
    pytest.param(2**53, id="int-beyond-safe-range"),
    pytest.param(-(2**53), id="negative-int-beyond-safe-range"),
    pytest.param({"goodsValue": Decimal("12.30")}, id="decimal-money"),
    pytest.param({1: "int key"}, id="non-string-key"),
    pytest.param("\ud800", id="lone-surrogate"),
    pytest.param({"when": object()}, id="unsupported-type"),
    pytest.param({"s": {1, 2}}, id="set"),
]


@pytest.mark.parametrize(("value", "expected"), CANONICAL_CASES)
def test_canonical_json_matches_rfc8785(value: Any, expected: bytes) -> None:
    assert canonical_json(value) == expected


@pytest.mark.parametrize("value", REJECTED_CASES)
def test_canonical_json_rejects_value_without_canonical_form(value: Any) -> None:
    with pytest.raises(NotCanonicalizable) as info:
        canonical_json(value)
    assert isinstance(info.value, InvalidDocument)
    assert isinstance(info.value, ValueError)
    assert info.value.reason == "not_canonicalizable"


def test_canonical_json_handles_deep_nesting_beyond_orjson_limit() -> None:
    value: Any = "leaf"
    for _ in range(300):
        value = [value]
    assert canonical_json(value) == b"[" * 300 + b'"leaf"' + b"]" * 300


def test_canonical_json_rejects_nesting_beyond_recursion_limit() -> None:
    value: Any = 0
    for _ in range(100_000):
        value = [value]
    with pytest.raises(NotCanonicalizable):
        canonical_json(value)


json_keys = st.text(max_size=8)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(json_keys, children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_canonical_json_agrees_with_reference_implementation(value: Any) -> None:
    # The orjson fast path must never change the bytes the reference prints.
    assert canonical_json(value) == rfc8785.dumps(value)


def test_content_hash_is_sha256_of_canonical_bytes() -> None:
    value = {"b": [1, "x"], "a": None}
    assert content_hash(value) == hashlib.sha256(b'{"a":null,"b":[1,"x"]}').digest()
    assert len(content_hash(value)) == 32


def test_content_hash_ignores_key_order() -> None:
    assert content_hash({"a": 1, "b": 2}) == content_hash({"b": 2, "a": 1})


def test_sha256_hex_returns_lowercase_hex() -> None:
    assert sha256_hex(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
