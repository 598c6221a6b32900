"""Finding 8 (rate-limit table, /metrics, file modes): smaller exposures (issue 12)."""

from __future__ import annotations

import secrets
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.demo.parties import register_party
from api.web.main import create_app
from api.web.ratelimit import RateLimiter
from ledger_client import EmbeddedNode, EmbeddedNodeError, LedgerSettings, find_anvil
from tests.api.conftest import World
from tests.api.factories import app_settings


def test_random_bearer_tokens_do_not_grow_the_rate_limit_table(world: World) -> None:
    platform = world.actor("RATEPLAT01", ["platform"])
    limiter = RateLimiter(per_minute=600)
    world.client.app.state.rate_limiter = limiter  # type: ignore[attr-defined]
    # No unknown token may leave a bucket behind: a thousand prove it as well as a million
    # (the table is exactly empty after them), at a thousandth of the cost.
    for _ in range(1_000):
        token = {"Authorization": f"Bearer {secrets.token_urlsafe(16)}"}
        response = world.client.post(f"/parties/{platform.code}/keys", json={}, headers=token)
        assert response.status_code == 401
    assert len(limiter) == 0
    # An authenticated party still gets its bucket, keyed by who it is.
    response = world.client.post(
        f"/parties/{platform.code}/keys", json={}, headers=platform.headers
    )
    assert response.status_code == 422
    assert len(limiter) == 1


def test_rate_limit_table_is_bounded_and_drops_refilled_buckets() -> None:
    limiter = RateLimiter(per_minute=60, max_buckets=100)
    for n in range(10_000):
        assert limiter.allow(f"client:{n}", now=0.0)
    assert len(limiter) == 100
    assert limiter.allow("client:late", now=120.0)
    assert len(limiter) == 1  # the others refilled long ago: the same as no bucket


@pytest.mark.parametrize("who", ["nobody", "party"])
def test_metrics_are_for_the_operator_only(world: World, who: str) -> None:
    headers = world.actor("METRPLAT01", ["platform"]).headers if who == "party" else {}
    refused = world.client.get("/metrics", headers=headers)
    assert refused.status_code in (401, 403), refused.text
    assert "sandan_http_requests_total" not in refused.text
    allowed = world.client.get("/metrics", headers=world.admin)
    assert allowed.status_code == 200
    assert "sandan_http_requests_total" in allowed.text


def _assert_private(data_dir: Path) -> None:
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert files
    modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
    assert set(modes.values()) == {"0o600"}, modes


def test_data_directory_and_database_files_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = app_settings(data_dir, admin_token="t0ken")  # the default SQLite file in data_dir
    with TestClient(create_app(settings)) as client:
        register_party(client, {"Authorization": "Bearer t0ken"}, "MODEPLAT01", ["platform"])
        names = {p.name for p in data_dir.iterdir()}
        assert {"sandan.db", "sandan.db-wal", "keystore-secret"} <= names
        _assert_private(data_dir)


def test_existing_database_file_is_made_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    (data_dir / "sandan.db").touch(mode=0o644)
    with TestClient(create_app(app_settings(data_dir, admin_token="t0ken"))) as client:
        assert client.get("/health").status_code == 200
    assert stat.S_IMODE((data_dir / "sandan.db").stat().st_mode) == 0o600


def test_embedded_node_state_is_private(tmp_path: Path) -> None:
    settings = LedgerSettings(data_dir=tmp_path / "node")
    try:
        anvil = find_anvil(settings)
    except EmbeddedNodeError:
        pytest.skip("anvil is not installed")
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with EmbeddedNode(settings.data_dir, port, anvil=anvil):
        pass  # started, then stopped: anvil dumps its state on SIGTERM
    assert (settings.data_dir / "anvil-state.json").exists()
    _assert_private(settings.data_dir)
