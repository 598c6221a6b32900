"""Finding 1: no body or file nests deep enough to crash the service, and none is parsed
before its depth is measured (issue 12).

The HTTP attacks run against a server in a subprocess (:mod:`tests.api.hostile.server`):
on a service that still segfaults, the crash fails these tests instead of killing pytest.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from api.demo.parties import RegisteredParty, register_party
from api.web.main import create_app
from tests.api.conftest import World
from tests.api.factories import app_settings
from tests.api.hostile.attacks import ceb311, signed_xml_headers
from tests.api.hostile.server import Server, running_server
from traceability import Algorithm
from traceability.limits import MAX_JSON_DEPTH, JsonTooDeep, check_json_depth

#: The issue's body: 100,000 ``[`` then 100,000 ``]`` (200 KB).
BOMB = b"[" * 100_000 + b"]" * 100_000
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _write_routes() -> list[tuple[str, str, bool]]:
    """(method, path with every parameter filled in, whether it takes a body) of each write.

    Read from the app's own OpenAPI document, so a route added later is attacked too.
    """
    app = create_app(app_settings(Path("/nonexistent"), admin_token="x", database_url="sqlite://"))
    found = []
    for template, operations in app.openapi()["paths"].items():
        path = re.sub(r"\{[^}]+\}", "X", template)
        for method, operation in operations.items():
            if method.upper() in WRITES:
                found.append((method.upper(), path, "requestBody" in operation))
    return sorted(found)


WRITE_ROUTES = _write_routes()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One subprocess server for the module (every attack here leaves state unchanged)."""
    with running_server(tmp_path_factory.mktemp("hostile-depth")) as running:
        yield running


@pytest.fixture(scope="module")
def party(server: Server) -> RegisteredParty:
    """A registered platform with a key, on the subprocess server."""
    with server.client() as client:
        return register_party(client, server.admin, "DEEPPLAT01", ["platform"])  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def customs(server: Server) -> RegisteredParty:
    """A registered customs office: the receipts route reads its body only for customs."""
    with server.client() as client:
        return register_party(client, server.admin, "DEEPCUST01", ["customs"])  # type: ignore[arg-type]


def test_write_routes_are_enumerated() -> None:
    paths = {path for _method, path, _reads in WRITE_ROUTES}
    assert {"/documents", "/parties", "/parties/X/keys", "/banks/trades/X/settlement"} <= paths


@pytest.mark.parametrize("content_type", ["application/json", None])
@pytest.mark.parametrize(("method", "path", "reads"), WRITE_ROUTES)
def test_deep_body_without_credentials_is_refused_and_the_server_lives(
    server: Server, method: str, path: str, reads: bool, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    with server.client() as client:
        response = client.request(method, path, content=BOMB, headers=headers)
    assert response.status_code < 500, response.text
    assert server.alive(), f"the server died with {server.process.returncode}"
    body = response.json()
    assert set(body) >= {"error", "message", "field"}


#: Routes whose body is not JSON, and the type each reads (api.web.media refuses others).
_MEDIA = {
    "/documents/bulk": "application/x-ndjson",
    "/documents/xml": "application/xml",
    "/cancellations/xml": "application/xml",
}
#: Routes whose XML body is bounded by the XML parser, not measured as JSON.
_XML_ROUTES = frozenset(path for path, media in _MEDIA.items() if media == "application/xml")


@pytest.mark.parametrize(("method", "path", "reads"), WRITE_ROUTES)
def test_deep_body_with_credentials_answers_400_naming_the_depth(
    server: Server,
    party: RegisteredParty,
    customs: RegisteredParty,
    method: str,
    path: str,
    reads: bool,
) -> None:
    # Each route is sent the type it reads, so the body itself is what gets refused.
    media = _MEDIA.get(path, "application/json")
    with server.client() as client:
        for headers in (party.headers, customs.headers, server.admin):
            sent = {**headers, "content-type": media}
            response = client.request(method, path, content=BOMB, headers=sent)
            if response.status_code not in (401, 403):
                break
    assert server.alive(), f"the server died with {server.process.returncode}"
    assert response.status_code < 500, response.text
    if reads and path in _XML_ROUTES:
        # XML is not measured as JSON: its parser bounds the depth
        # (test_deep_xml_is_refused_cleanly); this bomb is refused on its headers first.
        assert 400 <= response.status_code < 500, response.text
    elif reads:
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "too_deep"
        assert response.json()["field"] == "body"
        assert str(MAX_JSON_DEPTH) in response.json()["message"]


@pytest.mark.parametrize(
    "path", [path for method, path, reads in WRITE_ROUTES if reads and method == "POST"]
)
def test_unknown_token_is_refused_before_the_body_is_read(server: Server, path: str) -> None:
    """Rule 3: a route that needs a bearer token answers 401 to a bad one, body unread."""
    headers = {"Authorization": "Bearer not-a-key", "content-type": "application/json"}
    with server.client() as client:
        response = client.post(path, content=BOMB, headers=headers)
    if response.status_code == 401:
        assert response.json()["error"] != "too_deep"
    else:  # a route anyone may call reads the body: it is refused for its depth
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "too_deep"


@pytest.mark.parametrize(
    "content_type", ["application/x-ndjson", "application/x-ndjson; charset=utf-8"]
)
def test_deep_ndjson_line_is_refused_per_line(
    server: Server, party: RegisteredParty, content_type: str
) -> None:
    # An unterminated string on line 1 must not hide line 2's brackets from the depth scan.
    body = b'"open\n' + b'{"a":' * 5_000 + b'"x"' + b"}" * 5_000 + b"\n"
    headers = {**party.headers, "content-type": content_type}
    with server.client() as client:
        response = client.post("/documents/bulk", content=body, headers=headers)
    assert server.alive()
    if response.status_code == 400:  # the whole body was measured first
        assert response.json()["error"] == "too_deep"
        return
    assert response.status_code == 200, response.text
    lines = {r["line"]: r for r in response.json()["results"]}
    assert lines[2]["status"] == 400
    assert lines[2]["error"]["error"] == "too_deep"
    assert lines[2]["error"]["field"] == "line[2]"


@pytest.fixture(scope="module")
def producer(server: Server) -> RegisteredParty:
    """A registered producer (it may capture EPCIS events) on the subprocess server."""
    with server.client() as client:
        return register_party(client, server.admin, "DEEPPROD01", ["producer"])  # type: ignore[arg-type]


@pytest.mark.parametrize("path", ["/capture", "/events"])
@pytest.mark.parametrize(
    ("content_type", "status", "error"),
    [
        ("application/json", 400, "too_deep"),
        # Not a type the route reads: refused for its header before the body is read.
        ("application/xml", 415, "unsupported_media_type"),
    ],
)
def test_deep_epcis_capture_is_refused(
    server: Server,
    producer: RegisteredParty,
    path: str,
    content_type: str,
    status: int,
    error: str,
) -> None:
    headers = {**producer.headers, "content-type": content_type}
    with server.client() as client:
        response = client.post(path, content=BOMB, headers=headers)
    assert server.alive()
    assert response.status_code == status, response.text
    assert response.json()["error"] == error


@pytest.mark.parametrize("depth", [40, 300, 20_000])
def test_deep_xml_is_refused_cleanly(server: Server, party: RegisteredParty, depth: int) -> None:
    inner = b"<ceb:X>" * depth + b"</ceb:X>" * depth
    body = ceb311(b"<ceb:Order>" + inner + b"</ceb:Order>")
    with server.client() as client:
        response = client.post(
            "/documents/xml", content=body, headers=signed_xml_headers(party, body)
        )
    assert server.alive()
    assert response.status_code in (400, 413, 422), response.text
    assert "deeper" in response.text or "depth" in response.text


@pytest.mark.parametrize(
    "entry_point",
    ["api.web.main", "api.anchoring.worker", "api.cli", "api.verify", "scripts.deploy_registry"],
)
def test_entry_point_keeps_the_default_recursion_limit(entry_point: str) -> None:
    """Rule 1: an entry point, then web3 (and with it py_ecc), leaves CPython's limit."""
    code = (
        f"import sys, {entry_point}\n"
        "import web3, eth_account, py_ecc.bn128\n"
        "print(sys.getrecursionlimit())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(done.stdout) <= 10_000


# --- property-based -------------------------------------------------------------

# The depth is drawn first: lists drawn directly are mostly short and would rarely pass the limit.
_SHAPES = st.integers(min_value=1, max_value=3 * MAX_JSON_DEPTH).flatmap(
    lambda depth: st.lists(st.sampled_from("[{"), min_size=depth, max_size=depth)
)
_AT_THE_LIMIT = ["{", "["] * (MAX_JSON_DEPTH // 2)


def _nest(shape: list[str]) -> str:
    opened = "".join('{"k":' if c == "{" else "[" for c in shape)
    return opened + "0" + "".join("}" if c == "{" else "]" for c in reversed(shape))


@given(shape=_SHAPES)
@example(shape=_AT_THE_LIMIT)
@example(shape=[*_AT_THE_LIMIT, "["])
def test_depth_scan_matches_the_real_nesting(shape: list[str]) -> None:
    text = _nest(shape)
    if len(shape) > MAX_JSON_DEPTH:
        with pytest.raises(JsonTooDeep):
            check_json_depth(text)
    else:
        check_json_depth(text)
        assert json.loads(text) is not None


DEEP_LINE = b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)


@pytest.mark.parametrize(
    "text",
    [
        b"]" * 1_000 + b"\n" + DEEP_LINE,  # closers first must not buy depth for what follows
        b'"open\n' + DEEP_LINE + b' "',  # an unterminated string cannot swallow the next line
        b"[]" * 1_000 + DEEP_LINE,
    ],
    ids=["leading-closers", "unterminated-string", "siblings"],
)
def test_depth_scan_cannot_be_hidden_from(text: bytes) -> None:
    with pytest.raises(JsonTooDeep):
        check_json_depth(text)


@pytest.fixture
def platform(world: World) -> RegisteredParty:
    """A platform of the in-process world (hypothesis runs every example on one world)."""
    return world.actor("PROPPLAT01", ["platform"], alg=Algorithm.ED25519)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(shape=_SHAPES)
@example(shape=_AT_THE_LIMIT)
@example(shape=[*_AT_THE_LIMIT, "{"])
def test_nested_bodies_never_answer_5xx(
    world: World, platform: RegisteredParty, shape: list[str]
) -> None:
    response = world.client.post(
        f"/parties/{platform.code}/keys",
        content=_nest(shape).encode(),
        headers={**platform.headers, "content-type": "application/json"},
    )
    assert response.status_code < 500, response.text
    if len(shape) > MAX_JSON_DEPTH:
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "too_deep"
    else:
        # Within the limit the body is parsed: it is refused for its content, not its depth.
        assert response.status_code == 422, response.text
