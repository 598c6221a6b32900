"""Health, readiness (database, node, worker lag), Prometheus metrics, request ids in logs."""

from __future__ import annotations

import logging
import re

import pytest

from tests.api.conftest import World
from tests.api.web.adversarial import DOC_SIGNER, documents, trade_parties


def _metric(text: str, name: str, labels: str = "") -> float:
    pattern = rf"^{re.escape(name)}{re.escape(labels)}\s+([0-9.eE+-]+)$"
    values = [float(m.group(1)) for m in re.finditer(pattern, text, re.MULTILINE)]
    assert values, f"{name}{labels} missing from /metrics"
    return sum(values)


def test_health_answers_ok(world: World) -> None:
    response = world.client.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_ready_reports_database_node_and_worker(world: World) -> None:
    response = world.client.get("/ready")
    assert response.status_code == 200, response.text
    checks = response.json()["checks"]
    assert checks["database"]["ok"]
    assert checks["node"]["ok"]
    assert checks["node"]["blockNumber"] >= 1
    assert checks["worker"] == {
        "ok": True,
        "outboxDepth": 0,
        "lagSeconds": 0.0,
        "refusedBatches": 0,
    }


def test_ready_is_503_when_the_node_is_down(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable() -> None:
        raise ConnectionError("connection refused: 127.0.0.1:8545")

    monkeypatch.setattr(world.ledger, "block_number", unreachable)
    response = world.client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False
    assert body["checks"]["node"]["ok"] is False
    assert "connection refused" in body["checks"]["node"]["error"]
    assert body["checks"]["database"]["ok"] is True


def test_ready_reports_outbox_depth_before_the_worker_drains(world: World) -> None:
    parties = trade_parties(world)
    world.worker.drain()  # the parties' and keys' PartyRegistry writes
    platform = parties["platform"]
    world.client.post(
        "/documents",
        json=platform.envelope("order", documents()["order"]),
        headers=platform.headers,
    )
    worker = world.client.get("/ready").json()["checks"]["worker"]
    assert worker["outboxDepth"] == 1
    world.worker.drain()
    assert world.client.get("/ready").json()["checks"]["worker"]["outboxDepth"] == 0


def test_metrics_count_requests_latency_outbox_batches_and_gas(world: World) -> None:
    parties = trade_parties(world)
    world.worker.drain()  # the parties' and keys' PartyRegistry writes
    for kind, document in documents().items():
        actor = parties[DOC_SIGNER[kind]]
        response = world.client.post(
            "/documents", json=actor.envelope(kind, document), headers=actor.headers
        )
        assert response.status_code == 201, response.text
    before = world.client.get("/metrics", headers=world.admin).text
    assert _metric(before, "sandan_outbox_depth") == 4  # three documents and the verdict
    world.worker.drain()
    response = world.client.get("/metrics", headers=world.admin)
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert (
        _metric(
            text, "sandan_http_requests_total", '{method="POST",route="/documents",status="201"}'
        )
        == 3
    )
    assert _metric(text, "sandan_http_request_duration_seconds_count", '{route="/documents"}') == 3
    assert _metric(text, "sandan_outbox_depth") == 0
    assert _metric(text, "sandan_anchored_batches_total") >= 1
    assert _metric(text, "sandan_gas_spent_total") > 21_000


def test_request_id_is_echoed_and_generated(world: World) -> None:
    echoed = world.client.get("/health", headers={"X-Request-ID": "trace-abc-123"})
    assert echoed.headers["x-request-id"] == "trace-abc-123"
    first = world.client.get("/health").headers["x-request-id"]
    second = world.client.get("/health").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second
    long = world.client.get("/health", headers={"X-Request-ID": "x" * 500})
    assert long.headers["x-request-id"] == "x" * 64  # bounded: logs cannot be flooded


def test_structured_logs_carry_the_request_id(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="sandan.access"):
        world.client.get("/parties/me", headers={"X-Request-ID": "req-42"})
    records = [r for r in caplog.records if r.name == "sandan.access"]
    assert records, "no access log line"
    record = records[-1]
    assert record.request_id == "req-42"  # type: ignore[attr-defined]
    assert (record.method, record.path, record.status) == ("GET", "/parties/me", 401)  # type: ignore[attr-defined]
