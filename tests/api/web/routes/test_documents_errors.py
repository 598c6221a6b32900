"""Errors a person can act on: every schema problem at once, code lists explained, the
Content-Type named, and the envelope's own docType in the answer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.conftest import World, WorldStage, stage_fixtures
from tests.api.factories import Actor, registered_at
from tests.api.web.routes.test_documents_xml import DATA, KEYS_SINCE, post_xml
from traceability.limits import MAX_REPORTED_ISSUES
from traceability.trade import samples


def _platform(world: World) -> Actor:
    """The platform that signs the sample orders."""
    return world.actor(samples.PLATFORM[0], ["platform"])


world_stage, platform = stage_fixtures("platform", WorldStage("the platform", _platform))


def _bad_order() -> dict[str, Any]:
    """A CEB311 order with three schema problems, two of them code-list fields."""
    order = samples.import_order_json(samples.ImportTerms())
    order["currency"] = "CNY"
    order["buyerIdType"] = "9"
    order["OrderList"][0]["unit"] = "个"
    return order


def _fields(errors: list[dict[str, str]]) -> set[str]:
    return {e["field"] for e in errors}


BAD_FIELDS = {
    "payload.document.currency",
    "payload.document.buyerIdType",
    "payload.document.OrderList.0.unit",
}


def test_submit_reports_every_schema_problem_and_explains_code_lists(
    world: World, platform: Actor
) -> None:
    envelope = platform.envelope("order", _bad_order())
    response = world.client.post("/documents", json=envelope, headers=platform.headers)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_document"
    assert _fields(body["errors"]) == BAD_FIELDS
    assert body["errorCount"] == 3
    assert (body["field"], body["message"]) == (
        body["errors"][0]["field"],
        body["errors"][0]["message"],
    )
    messages = {e["field"]: e["message"] for e in body["errors"]}
    assert messages["payload.document.currency"] == (
        "currency must be a customs currency code: 142 (CNY) for import retail; got 'CNY'"
    )
    assert (
        "1 (身份证 resident identity card) or 2 (其它 other)"
        in messages["payload.document.buyerIdType"]
    )
    assert "007 (个 piece)" in messages["payload.document.OrderList.0.unit"]


def test_submit_caps_the_listed_problems_and_counts_them_all(world: World, platform: Actor) -> None:
    order = samples.import_order_json(samples.ImportTerms())
    extra = {f"unknown{i}": "x" for i in range(MAX_REPORTED_ISSUES + 5)}
    response = world.client.post(
        "/documents",
        json=platform.envelope("order", {**order, **extra}),
        headers=platform.headers,
    )
    assert response.status_code == 422, response.text
    assert len(response.json()["errors"]) == MAX_REPORTED_ISSUES
    assert response.json()["errorCount"] == MAX_REPORTED_ISSUES + 5


def test_bulk_line_carries_every_schema_problem(world: World, platform: Actor) -> None:
    good = platform.envelope("order", samples.import_order_json(samples.ImportTerms()))
    bad = platform.envelope("order", _bad_order())
    body = "\n".join(json.dumps(line) for line in (good, bad)).encode()
    response = world.client.post(
        "/documents/bulk",
        content=body,
        headers={**platform.headers, "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    first, second = response.json()["results"]
    assert first["status"] == 201
    assert "errors" not in (first["error"] or {})
    assert second["status"] == 422
    assert _fields(second["error"]["errors"]) == BAD_FIELDS
    assert second["error"]["errorCount"] == 3


def test_xml_schema_problems_come_in_one_list(world: World) -> None:
    with registered_at(KEYS_SINCE):
        actor = world.actor("3301960001", ["platform"])
    xml = (DATA / "order.xml").read_bytes()
    xml = xml.replace(b"<ceb:goodsValue>", b"<ceb:goodsValue>x", 1)
    xml = xml.replace(b"<ceb:currency>142</ceb:currency>", b"<ceb:currency>CNY</ceb:currency>", 1)
    response = post_xml(world, actor, xml)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["errorCount"] == len(body["errors"]) >= 2
    assert any("142 (CNY)" in e["message"] for e in body["errors"]), body["errors"]


def test_document_answer_names_the_envelope_doc_type_and_the_message_type(
    world: World, platform: Actor
) -> None:
    envelope = platform.envelope("order", samples.import_order_json(samples.ImportTerms()))
    created = world.client.post("/documents", json=envelope, headers=platform.headers).json()
    assert (created["docType"], created["messageType"]) == ("order", "CEB311")
    read = world.client.get(f"/documents/{created['contentHash']}", headers=platform.headers)
    assert (read.json()["docType"], read.json()["messageType"]) == ("order", "CEB311")


@pytest.mark.parametrize(
    ("path", "content_type", "expected"),
    [
        ("/documents", None, "application/json"),
        ("/documents", "text/plain", "application/json"),
        ("/documents/bulk", None, "application/x-ndjson"),
        ("/documents/bulk", "application/json", "application/x-ndjson"),
        ("/documents/xml", "text/plain", "application/xml or text/xml"),
    ],
)
def test_wrong_content_type_is_415_naming_the_expected_type(
    world: World, platform: Actor, path: str, content_type: str | None, expected: str
) -> None:
    headers = {**platform.headers, **({"Content-Type": content_type} if content_type else {})}
    response = world.client.post(path, content=b'{"payload": {}}', headers=headers)
    assert response.status_code == 415, response.text
    body = response.json()
    assert (body["error"], body["field"]) == ("unsupported_media_type", "Content-Type")
    assert f"must be {expected}" in body["message"]
    assert (repr(content_type) if content_type else "none was sent") in body["message"]


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/documents", "application/json; charset=utf-8"),
        ("/documents", "application/merge-patch+json"),
        ("/documents/bulk", "application/x-ndjson; charset=UTF-8"),
        ("/documents/xml", "text/xml"),
        ("/documents/xml", "application/xml; charset=utf-8"),
    ],
)
def test_accepted_content_types_pass_the_check(
    world: World, platform: Actor, path: str, content_type: str
) -> None:
    headers = {**platform.headers, "Content-Type": content_type}
    response = world.client.post(path, content=b'{"payload": {}}\n', headers=headers)
    assert response.status_code != 415, response.text


def test_json_routes_of_every_resource_name_the_content_type(world: World) -> None:
    body = json.dumps({"code": "P1", "name": "P1", "roles": ["platform"]}).encode()
    response = world.client.post("/parties", content=body, headers=world.admin)
    assert response.status_code == 415, response.text
    assert response.json()["field"] == "Content-Type"
