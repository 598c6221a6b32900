"""API fixtures: a fresh database (SQLite, and PostgreSQL when configured) and chain per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from api.config import ApiSettings
from api.db import make_engine
from api.ledger import LedgerGateway
from api.main import create_app
from api.runtime import Runtime
from api.worker import AnchorWorker
from ledger_client import deploy_registries, dev_accounts, make_web3
from tests.api.factories import Actor, register_actor

ADMIN_TOKEN = "test-admin-token"
POSTGRES_URL = os.environ.get("SANDAN_TEST_POSTGRES_URL")


def _postgres_engine() -> Engine:
    if not POSTGRES_URL:
        if os.environ.get("SANDAN_REQUIRE_ALL_BACKENDS") == "1":
            pytest.fail("SANDAN_TEST_POSTGRES_URL is required when SANDAN_REQUIRE_ALL_BACKENDS=1")
        pytest.skip("set SANDAN_TEST_POSTGRES_URL to run the API suite on PostgreSQL")
    settings = ApiSettings(database_url=POSTGRES_URL)
    engine = make_engine(settings.resolved_database_url)
    import api.models  # noqa: F401

    SQLModel.metadata.drop_all(engine)
    return engine


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh, empty database of each backend."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'sandan.db'}")
    else:
        engine = _postgres_engine()
    yield engine
    if request.param == "postgres":
        SQLModel.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def ledger() -> LedgerGateway:
    """A fresh in-process chain with both registries deployed."""
    w3 = make_web3(None)
    admin = dev_accounts(w3, 1)[0]
    deployment = deploy_registries(w3, admin, grants={"ANCHORER_ROLE": [admin.address]})
    return LedgerGateway(w3, deployment, anchorer=admin, confirmations=1)


@dataclass
class World:
    """Everything an API test needs."""

    client: TestClient
    runtime: Runtime
    worker: AnchorWorker
    ledger: LedgerGateway

    @property
    def admin(self) -> dict[str, str]:
        """Admin authorization header."""
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    def actor(self, code: str, roles: list[str], **kwargs: Any) -> Actor:
        """Register a party with a signing key."""
        return register_actor(self.client, self.admin, code, roles, **kwargs)


@pytest.fixture
def world(engine: Engine, ledger: LedgerGateway, tmp_path: Path) -> Iterator[World]:
    """The app on a fresh database and chain, with an anchoring worker."""
    settings = ApiSettings(
        data_dir=tmp_path,
        admin_token=ADMIN_TOKEN,
        keystore_secret="test-keystore-secret",
        batch_wait_seconds=0.0,
        rate_limit_per_minute=0,
        max_body_bytes=64 * 1024,
    )
    runtime = Runtime.from_settings(settings, engine=engine, ledger_factory=lambda: ledger)
    app = create_app(runtime=runtime)
    with TestClient(app) as client:
        yield World(client, runtime, AnchorWorker(runtime), ledger)
