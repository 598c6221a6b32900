"""Client fixtures: the app in process behind an httpx transport that can fail on cue."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.client import RetryPolicy, SandanClient
from tests.api.conftest import World, WorldStage
from tests.api.factories import Actor
from traceability import Algorithm
from traceability.trade import samples

BASE_URL = "http://sandan.test"


@dataclass
class AppTransport(httpx.BaseTransport):
    """Hands each request to the app (through its TestClient) and can fail on cue.

    ``faults`` are taken one per request: ``"503"`` answers 503 with ``Retry-After: 7``
    without reaching the app; ``"lost"`` lets the app handle the request, then drops the
    answer (a connection reset after the service stored the document); ``None`` passes.
    """

    app: TestClient
    faults: list[str | None] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        fault = self.faults.pop(0) if self.faults else None
        if fault == "503":
            body = {"error": "unavailable", "message": "busy", "field": None}
            return httpx.Response(503, headers={"Retry-After": "7"}, json=body)
        answer = self.app.send(request)
        if fault == "lost":
            raise httpx.ReadError("connection reset after the answer was sent", request=request)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    def posted(self, path: str) -> list[httpx.Request]:
        """The POST requests sent to ``path``."""
        return [r for r in self.requests if r.method == "POST" and r.url.path == path]


def _kit_parties(world: World) -> dict[str, Actor]:
    """The sample import trade's signers, customs and a bank."""
    return {
        "platform": world.actor(samples.PLATFORM[0], ["platform"]),
        "payment": world.actor(samples.PAYER_COMPANY[0], ["payment"], alg=Algorithm.ES256),
        "logistics": world.actor(samples.CARRIER[0], ["logistics"], alg=Algorithm.ES256K),
        "customs": world.actor("GACC-KIT", ["customs"], chain_account=True),
        "bank": world.actor("BANK-KIT", ["bank"], chain_account=True),
    }


KIT_PARTIES = WorldStage("the signing kit's parties", _kit_parties)


@pytest.fixture
def database_url(tmp_path: Path, _sqlite_template: Path) -> str:
    """SQLite only: the client and the CLI speak HTTP, and the service's storage is tested
    on both backends by the route tests, so a second backend would only double the time."""
    path = tmp_path / "sandan.db"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def transport(world: World) -> AppTransport:
    """A transport to this test's app."""
    return AppTransport(world.client)


@pytest.fixture
def sleeps() -> list[float]:
    """The waits the clients' retry policies asked for (nothing really sleeps)."""
    return []


@pytest.fixture
def connect(transport: AppTransport, sleeps: list[float]) -> Callable[..., SandanClient]:
    """``connect(actor)``: a client with ``actor``'s API key on the in-process app."""

    def make(actor: Actor, *, attempts: int = 5) -> SandanClient:
        policy = RetryPolicy(max_attempts=attempts, sleep=sleeps.append)
        return SandanClient(BASE_URL, actor.api_key, transport=transport, retry=policy)

    return make
