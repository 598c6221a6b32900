"""Finding 8d: identifiers have one spelling. A code or number that is not NFKC-normalised,
or that starts or ends with whitespace, is refused (422 naming the field), never rewritten:
the signed bytes are what was signed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import World, WorldStage, stage_by_fixture
from tests.api.factories import Actor
from tests.api.hostile.conftest import HOSTILE_PARTIES, Trade, post
from tests.api.web.routes.test_documents_xml import (  # noqa: F401 (fixture)
    XML_PARTIES,
    post_xml,
    xml_parties,
)

XML_ORDER = Path(__file__).parents[2] / "data" / "ceb" / "import" / "order.xml"

#: Identifier fields of the sample import order.
ORDER_IDENTIFIERS = [
    "orderNo",
    "ebpCode",
    "ebcCode",
    "payCode",
    "payTransactionId",
    "buyerIdNumber",
    "buyerRegNo",
]
SPACES = [" ", "\t", "\u00a0", "\u3000", "\u2003"]


@pytest.fixture
def world_stage(request: pytest.FixtureRequest) -> WorldStage[Any] | None:
    """The XML tests start from the sample messages' parties, the others from the hostile
    parties that ``parties`` copies (not registered again in every test)."""
    return stage_by_fixture(request, [("xml_parties", XML_PARTIES), ("parties", HOSTILE_PARTIES)])


def _fullwidth(value: str, index: int) -> str:
    """``value`` with its ``index``-th printable ASCII character in its fullwidth form."""
    c = value[index]
    return value[:index] + chr(ord(c) + 0xFEE0) + value[index + 1 :]


VARIANTS = {
    "trailing space": lambda v: v + " ",
    "leading space": lambda v: " " + v,
    "ideographic space": lambda v: v + "\u3000",
    "no-break space": lambda v: "\u00a0" + v,
    "fullwidth letter": lambda v: _fullwidth(v, 0),
    "fullwidth digit": lambda v: _fullwidth(v, len(v) - 1),
}


def _refused(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["field"] == field
    assert body["error"] in {"identifier_spaces", "identifier_not_normalised"}


@pytest.mark.parametrize(
    ("name", "variant"),
    [("orderNo", v) for v in VARIANTS] + [(n, "trailing space") for n in ORDER_IDENTIFIERS[1:]],
)
def test_submit_refuses_identifier_spelled_another_way(
    world: World, parties: dict[str, Actor], name: str, variant: str
) -> None:
    document = Trade.new().genuine("order")
    document[name] = VARIANTS[variant](document[name])
    _refused(post(world, parties["platform"], "order", document), f"payload.document.{name}")


def test_submit_refuses_identifier_inside_lines(world: World, parties: dict[str, Actor]) -> None:
    document = Trade.new().genuine("order")
    document["OrderList"][0]["itemNo"] += " "
    field = "payload.document.OrderList[0].itemNo"
    _refused(post(world, parties["platform"], "order", document), field)


def test_free_text_keeps_its_spaces_and_fullwidth_forms(
    world: World, parties: dict[str, Actor]
) -> None:
    document = Trade.new().genuine("order") | {"note": "全角ＡＢＣ 与空格 "}
    assert post(world, parties["platform"], "order", document).status_code == 201


def test_bulk_refuses_the_line_and_names_the_field(world: World, parties: dict[str, Actor]) -> None:
    platform = parties["platform"]
    good, bad = Trade.new().genuine("order"), Trade.new().genuine("order")
    bad["orderNo"] = bad["orderNo"] + "\u3000"
    body = "\n".join(json.dumps(platform.envelope("order", d)) for d in (good, bad))
    response = world.client.post(
        "/documents/bulk",
        content=body.encode(),
        headers={**platform.headers, "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    lines = response.json()["results"]
    assert [line["status"] for line in lines] == [201, 422]
    assert lines[1]["error"]["field"] == "payload.document.orderNo"


def test_xml_refuses_identifier_spelled_another_way(
    world: World,
    xml_parties: dict[str, Actor],  # noqa: F811
) -> None:
    platform = xml_parties["platform"]
    body = XML_ORDER.read_bytes().replace(
        b"<ceb:orderNo>SD20240315000001<", "<ceb:orderNo>ＳD20240315000001<".encode()
    )
    response = post_xml(world, platform, body)
    _refused(response, "documents[0].orderNo")  # type: ignore[arg-type]


@pytest.mark.parametrize("code", ["3301960A77 ", " 3301960A77", "３301960A77", "3301960A77\u3000"])
def test_register_refuses_party_code_spelled_another_way(world: World, code: str) -> None:
    response = world.client.post(
        "/parties", json={"code": code, "name": "某公司", "roles": ["payment"]}, headers=world.admin
    )
    assert response.status_code == 422, response.text
    assert "code" in (response.json()["field"] or "")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(ORDER_IDENTIFIERS),
    space=st.sampled_from(SPACES),
    where=st.sampled_from(["prefix", "suffix", "fullwidth"]),
    index=st.integers(min_value=0, max_value=9),
)
def test_random_confusable_identifiers_are_refused_with_the_field_named(
    world: World, parties: dict[str, Actor], name: str, space: str, where: str, index: int
) -> None:
    document = Trade.new().genuine("order")
    value = document[name]
    if where == "fullwidth":
        value = _fullwidth(value, index % len(value))
    else:
        value = space + value if where == "prefix" else value + space
    document[name] = value
    _refused(post(world, parties["platform"], "order", document), f"payload.document.{name}")
