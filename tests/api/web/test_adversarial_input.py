"""Hostile input: oversized and malformed bodies, Unicode tricks, SQL-looking text, traversal.

Each gets a clear 4xx naming the field (never a 500) and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from tests.api.conftest import World, stage_fixtures
from tests.api.factories import Actor
from tests.api.web.adversarial import (
    TRADE_PARTIES,
    assert_error,
    documents,
    snapshot,
    stored_unchanged,
)

LIMIT = 64 * 1024  # max_body_bytes of the test world


world_stage, parties = stage_fixtures("parties", TRADE_PARTIES)


def _chunks(total: int, size: int = 8192) -> Iterator[bytes]:
    """A streamed body with no Content-Length (sent chunked)."""
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b" " * piece


@pytest.mark.parametrize("path", ["/documents", "/documents/bulk", "/events", "/capture"])
def test_oversized_body_with_content_length_is_413(
    world: World, parties: dict[str, Actor], path: str
) -> None:
    with stored_unchanged(world):
        body = b"{" + b" " * (LIMIT + 10) + b"}"
        response = world.client.post(
            path,
            content=body,
            headers={**parties["logistics"].headers, "content-type": "application/json"},
        )
        assert_error(response, 413, code="payload_too_large")


@pytest.mark.parametrize(
    ("path", "media"),
    [
        ("/documents", "application/json"),
        ("/documents/bulk", "application/x-ndjson"),
        ("/documents/xml", "application/xml"),
    ],
)
def test_oversized_chunked_body_without_length_is_413(
    world: World, parties: dict[str, Actor], path: str, media: str
) -> None:
    # Each route is sent the type it reads (another is refused, 415, before the body is read).
    with stored_unchanged(world):
        headers = {**parties["platform"].headers, "content-type": media,
                   "Sandan-Key-Id": "k", "Sandan-Signature": "s"}  # fmt: skip
        response = world.client.post(path, content=_chunks(LIMIT * 2), headers=headers)
        assert "content-length" not in {k.lower() for k in response.request.headers}
        assert_error(response, 413, code="payload_too_large")


@pytest.mark.parametrize(
    "raw",
    [b'{"payload": ', b"{'single': 'quotes'}", b'{"a": 1,}', b"\xff\xfe{}", b"[1, 2", b"NaN"],
)
def test_malformed_json_is_422_naming_the_body(
    world: World, parties: dict[str, Actor], raw: bytes
) -> None:
    with stored_unchanged(world):
        response = world.client.post(
            "/documents",
            content=raw,
            headers={**parties["platform"].headers, "content-type": "application/json"},
        )
        # The documents route reads the body itself (api/services/documents.parse_envelope):
        # undecodable or non-object JSON is one validation error naming the body.
        assert_error(response, 422, field="body")


@pytest.mark.parametrize(
    "body", [None, [], "text", 42, {"payload": None}, {"payload": {}, "alg": 1}]
)
def test_wrong_json_shape_is_4xx_with_field(
    world: World, parties: dict[str, Actor], body: Any
) -> None:
    with stored_unchanged(world):
        response = world.client.post("/documents", json=body, headers=parties["platform"].headers)
        assert 400 <= response.status_code < 500, response.text
        assert response.json()["field"], response.json()


def test_bulk_malformed_lines_do_not_stop_good_ones(
    world: World, parties: dict[str, Actor]
) -> None:
    logistics = parties["logistics"]
    good = json.dumps(logistics.envelope("waybill", documents()["waybill"])).encode()
    lines = [b'{"payload": ', good, b"\x00\x01garbage", b"[]", b'"just a string"']
    response = world.client.post(
        "/documents/bulk",
        content=b"\n".join(lines) + b"\n\n",
        headers={**logistics.headers, "content-type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["accepted"], result["rejected"]) == (1, 4)
    by_line = {r["line"]: r for r in result["results"]}
    assert by_line[2]["status"] == 201
    for number in (1, 3):
        assert by_line[number]["status"] == 422
        assert by_line[number]["error"]["field"] == f"line[{number}]"
    for number in (4, 5):
        assert 400 <= by_line[number]["status"] < 500
        assert by_line[number]["error"]["field"] == f"line[{number}]"
    assert snapshot(world)["document"] == 1


def test_bulk_empty_body_is_400(world: World, parties: dict[str, Actor]) -> None:
    response = world.client.post(
        "/documents/bulk",
        content=b"\n \n",
        headers={**parties["logistics"].headers, "content-type": "application/x-ndjson"},
    )
    assert_error(response, 400, field="body")


TRICKY_CODES = [
    "3301960АBC",  # Cyrillic А: a homoglyph of an existing-looking code
    "EVIL\u202eCBA",  # right-to-left override
    "EV\u200dIL",  # zero-width joiner
    "EVIL\u0000",  # NUL byte
    "A" * 65,  # over-long
    "Ｅｖｉｌ",  # fullwidth letters
    "",
]


@pytest.mark.parametrize("code", TRICKY_CODES)
def test_register_party_refuses_unicode_tricks_in_code(world: World, code: str) -> None:
    with stored_unchanged(world):
        body = {"code": code, "name": "x", "roles": ["platform"]}
        response = world.client.post("/parties", json=body, headers=world.admin)
        assert_error(response, 422, field="code")


@pytest.mark.parametrize("code", [c for c in TRICKY_CODES if c])
def test_party_lookup_with_unicode_tricks_is_404(
    world: World, parties: dict[str, Actor], code: str
) -> None:
    path = f"/parties/{quote(code, safe='')}"  # percent-encoded: a raw NUL never leaves httpx
    response = world.client.get(path, headers=parties["platform"].headers)
    assert response.status_code in (400, 404, 422), response.text
    assert_error(response, response.status_code)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("orderNo", "ORD\u202e1002"),
        ("orderNo", "ORD\u0000001"),
        ("orderNo", "O" * 5000),
        ("ebpCode", "3301960А01"),  # homoglyph of the platform's own code
        ("ebpCode", "3301960A01\u200d"),
    ],
)
def test_submit_document_refuses_unicode_tricks_in_identifiers(
    world: World, parties: dict[str, Actor], field: str, value: str
) -> None:
    platform = parties["platform"]
    order = {**documents()["order"], field: value}
    with stored_unchanged(world):
        response = world.client.post(
            "/documents", json=platform.envelope("order", order), headers=platform.headers
        )
        assert 400 <= response.status_code < 500, response.text
        assert field in (response.json()["field"] or ""), response.json()


SQL = [
    "' OR '1'='1",
    "1; DROP TABLE party;--",
    '" OR 1=1 --',
    "x') UNION SELECT api_key_hash FROM party--",
]


@pytest.mark.parametrize("text", SQL)
def test_sql_looking_query_parameters_change_nothing(
    world: World, parties: dict[str, Actor], text: str
) -> None:
    customs = parties["customs"].headers
    with stored_unchanged(world):
        period = {"periodStart": "2026-01-01T00:00:00Z", "periodEnd": "2026-12-31T00:00:00Z"}
        trade_filters = ("status", "mode", "direction", "ebpCode", "updatedFrom", "limit", "offset")
        queries = [("/trades", {name: text}) for name in trade_filters]
        queries += [("/customs/summary", {**period, "ebcCode": text})]
        queries += [("/events", {name: text}) for name in ("EQ_bizStep", "MATCH_epc", "eventType")]
        for path, params in queries:
            response = world.client.get(path, params=params, headers=customs)
            assert response.status_code < 500, (path, params, response.text)
            if response.status_code >= 400:
                assert_error(response, response.status_code)
                assert response.json()["field"], (path, response.json())
            else:
                body = response.json()
                assert body.get("count", 0) == 0, (path, body)
                assert not body.get("data"), (path, body)


@pytest.mark.parametrize("text", SQL)
def test_sql_looking_path_parameters_are_404(
    world: World, parties: dict[str, Actor], text: str
) -> None:
    customs = parties["customs"].headers
    with stored_unchanged(world):
        for template in ("/parties/{x}", "/parties/{x}/keys", "/documents/{x}",
                         "/documents/{x}/proof", "/trades/{x}", "/trades/{x}/verdict",
                         "/banks/trades/{x}/bundle", "/capture/{x}", "/events/{x}"):  # fmt: skip
            headers = parties["bank"].headers if template.startswith("/banks") else customs
            response = world.client.get(template.format(x=quote(text, safe="")), headers=headers)
            assert response.status_code in (404, 422), (template, response.text)
            assert_error(response, response.status_code)


@pytest.mark.parametrize("text", SQL)
def test_sql_looking_body_strings_are_stored_verbatim_or_refused(
    world: World, parties: dict[str, Actor], text: str
) -> None:
    # A party name may legitimately contain quotes: it must be stored as text, never executed.
    response = world.client.post(
        "/parties",
        json={"code": "SQLNAME01", "name": text, "roles": ["platform"]},
        headers=world.admin,
    )
    assert response.status_code == 201, response.text
    read = world.client.get("/parties/SQLNAME01", headers=parties["customs"].headers).json()
    assert read["name"] == text
    before = snapshot(world)
    platform = parties["platform"]
    for field in ("orderNo", "buyerName", "consignee"):  # free text up to 60 / 100 characters
        order = {**documents()["order"], field: text}
        posted = world.client.post(
            "/documents", json=platform.envelope("order", order), headers=platform.headers
        )
        assert posted.status_code == 201, posted.text
    # ebpCode is at most 18 characters; a valid one must still be the signing platform's code.
    order = {**documents()["order"], "ebpCode": text}
    posted = world.client.post(
        "/documents", json=platform.envelope("order", order), headers=platform.headers
    )
    if len(text) > 18:
        assert_error(posted, 422, field="payload.document.ebpCode")
    else:
        assert_error(posted, 403, field="payload.document.ebpCode", code="signer_not_named")
    bank = parties["bank"]
    refused = world.client.post(
        "/banks/trades/x/settlement", json={"settlementRef": text}, headers=bank.headers
    )
    assert_error(refused, 404)
    assert snapshot(world)["party"] == before["party"]


TRAVERSALS = [
    "../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "....//....//etc/passwd",
    "..\\..\\windows\\win.ini",
    "/etc/passwd",
    "%00",
]


@pytest.mark.parametrize("evil", TRAVERSALS)
def test_path_traversal_in_path_parameters_is_4xx(
    world: World, parties: dict[str, Actor], evil: str
) -> None:
    customs = parties["customs"].headers
    with stored_unchanged(world):
        for template in ("/parties/{x}", "/documents/{x}", "/documents/{x}/envelope", "/trades/{x}",
                         "/events/{x}", "/capture/{x}", "/lots/06901234123456/{x}", "/01/{x}",
                         "/qr?dl=https://id.gs1.org/01/{x}"):  # fmt: skip
            response = world.client.get(template.format(x=evil), headers=customs)
            assert 400 <= response.status_code < 500, (
                template,
                response.status_code,
                response.text,
            )
            assert "root:" not in response.text
            if response.headers.get("content-type", "").startswith("application/json"):
                assert_error(response, response.status_code)
