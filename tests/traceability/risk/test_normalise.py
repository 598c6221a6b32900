"""Addresses, telephone numbers and ID numbers compare in one normal form."""

from __future__ import annotations

import pytest

from traceability.risk import normalise_address, normalise_id_number, normalise_phone


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("浙江省杭州市西湖区文三路90号1栋301室", "浙江省杭州市西湖区文三路90号1栋301室"),
        ("浙江省杭州市西湖区文三路９０号１栋３０１室", "浙江省杭州市西湖区文三路90号1栋301室"),
        ("浙江省 杭州市 西湖区 文三路90号 1栋 301室", "浙江省杭州市西湖区文三路90号1栋301室"),
        ("浙江省杭州市西湖区，文三路90号（1栋）301室。", "浙江省杭州市西湖区文三路90号1栋301室"),
        ("浙江省杭州市西湖区文三路90号\u30001栋\t301室", "浙江省杭州市西湖区文三路90号1栋301室"),
        ("Room 301, Bldg A", "room301bldga"),
        ("ＲＯＯＭ　３０１，ＢＬＤＧ Ａ", "room301bldga"),
        ("  ", None),
        (None, None),
    ],
    ids=[
        "plain",
        "full-width",
        "spaces",
        "punctuation",
        "ideographic-space",
        "latin",
        "fw-latin",
        "blank",
        "none",
    ],
)
def test_normalise_address(written: str | None, normal: str | None) -> None:
    assert normalise_address(written) == normal


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("13800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("+86-138-0013-8000", "13800138000"),
        ("+8613800138000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("(0571) 8888-6666", "057188886666"),
        ("86-571-88886666", "8657188886666"),  # a landline written with 86: not a mobile, kept
        ("", None),
        (None, None),
    ],
)
def test_normalise_phone(written: str | None, normal: str | None) -> None:
    assert normalise_phone(written) == normal


@pytest.mark.parametrize(
    ("written", "normal"),
    [("11010119900307123x", "11010119900307123X"), (" 110101199003071234 ", "110101199003071234")],
)
def test_normalise_id_number(written: str, normal: str) -> None:
    assert normalise_id_number(written) == normal
