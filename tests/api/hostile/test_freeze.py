"""Finding 6: no request holds the event loop, and none buys an answer or a workload far
beyond its own size (issue 12)."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.demo.parties import RegisteredParty, register_party
from tests.api.conftest import World
from tests.api.hostile.attacks import ceb311, signed_xml_headers
from tests.api.hostile.server import BULK_STARTED, GATE_OPENED, Server, running_server
from tests.api.trace_fixtures import make_trace_parties, sub_document
from tests.api.web.adversarial import documents
from traceability import Algorithm
from traceability.signing import b64url_encode

#: Issue 12: "the first 100 issues and a count" (traceability.limits.MAX_REPORTED_ISSUES).
MAX_REPORTED_ISSUES = 100
SM2_LINES = 120


@pytest.fixture
def gated_server(tmp_path: Path) -> Iterator[Server]:
    """A subprocess server whose bulk submissions wait until /health has been answered."""
    with running_server(tmp_path, gate=True) as server:
        yield server


def _junk_sm2_lines(party: RegisteredParty, count: int) -> bytes:
    """Well-formed SM2 envelopes whose signatures are random: each costs a full SM2 check."""
    lines = []
    for _ in range(count):
        envelope = party.envelope("waybill", documents()["waybill"])
        envelope["signature"] = b64url_encode(secrets.token_bytes(64))
        lines.append(json.dumps(envelope))
    return "\n".join(lines).encode()


def test_health_answers_while_a_bulk_of_sm2_lines_is_in_flight(gated_server: Server) -> None:
    server = gated_server
    with server.client() as client:
        logistics = register_party(
            client, server.admin, "FREEZELOG1", ["logistics"], alg=Algorithm.SM2
        )  # type: ignore[arg-type]
    body = _junk_sm2_lines(logistics, SM2_LINES)
    outcome: dict[str, httpx.Response] = {}

    def send_bulk() -> None:
        headers = {**logistics.headers, "content-type": "application/x-ndjson"}
        try:
            with server.client() as client:
                outcome["bulk"] = client.post("/documents/bulk", content=body, headers=headers)
        except httpx.HTTPError:
            pass  # the server was stopped: the test has failed already

    sender = threading.Thread(target=send_bulk, daemon=True)
    sender.start()
    assert server.next_line() == BULK_STARTED  # the bulk is inside the service now
    # The bulk waits for /health to be answered. If the bulk held the event loop, /health
    # could not be answered before the server's fail-safe minute: this timeout, shorter,
    # is only there to fail instead of hanging.
    with server.client(timeout=20) as client:
        assert client.get("/health").json() == {"status": "ok"}
    assert server.next_line() == GATE_OPENED
    sender.join()
    result = outcome["bulk"].json()
    assert result["rejected"] == SM2_LINES
    # Every line's signature was checked (SM2 in C costs well under a millisecond) and
    # refused; the answer lists the first ones and counts the rest.
    assert [line["line"] for line in result["results"]] == list(range(1, MAX_REPORTED_ISSUES + 1))
    assert all(line["status"] == 401 for line in result["results"])
    assert result["unlisted"] == SM2_LINES - MAX_REPORTED_ISSUES


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A subprocess server with the default 1 MiB body limit."""
    with running_server(tmp_path_factory.mktemp("hostile-freeze")) as running:
        yield running


def test_xml_of_80000_empty_orders_answers_a_capped_error(server: Server) -> None:
    body = ceb311(b"<ceb:Order/>" * 80_000)
    assert len(body) > 900_000
    with server.client() as client:
        platform = register_party(client, server.admin, "FREEZEPLAT", ["platform"])  # type: ignore[arg-type]
        headers = signed_xml_headers(platform, body)
        response = client.post("/documents/xml", content=body, headers=headers)
    assert 400 <= response.status_code < 500, response.text[:500]
    assert len(response.content) < 64 * 1024
    answer = response.json()
    assert len(answer["issues"]) <= MAX_REPORTED_ISSUES
    assert answer["issueCount"] >= len(answer["issues"])
    assert any("at most 100" in issue["detail"] for issue in answer["issues"])


def test_validation_errors_are_capped_with_their_count(world: World) -> None:
    platform = world.actor("CAPPLAT001", ["platform"])
    glns = [f"bad-{n}" for n in range(150)]
    response = world.client.put(
        f"/parties/{platform.code}/locations", json={"glns": glns}, headers=world.admin
    )
    assert response.status_code == 422, response.text
    answer = response.json()
    assert len(answer["errors"]) == MAX_REPORTED_ISSUES
    assert answer["errorCount"] == 150


def test_capture_job_errors_are_capped_with_their_count(world: World) -> None:
    producer = make_trace_parties(world).producer
    document = sub_document([{"type": "ObjectEvent"} for _ in range(60)])
    response = world.client.post("/capture", json=document, headers=producer.headers)
    assert response.status_code == 202, response.text
    job = world.client.get(response.headers["Location"], headers=producer.headers).json()
    assert job["errorCount"] > MAX_REPORTED_ISSUES
    assert len(job["errors"]) == MAX_REPORTED_ISSUES
    assert job["counts"]["rejected"] == 60
