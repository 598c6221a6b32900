"""API fixtures: a fresh database (SQLite, and PostgreSQL when configured) and chain per test.

The chain is the session's in-process one, deployed once and reverted around each
test (see :func:`tests.chain.reverted`); each test gets a new ``Web3`` and a new
:class:`LedgerGateway` on it, so no nonce counter or chain answer cached by an
earlier test survives.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from api.anchoring.gateway import LedgerGateway
from api.anchoring.worker import AnchorWorker
from api.config import ApiSettings, get_settings
from api.db.engine import create_db_and_tables, make_engine
from api.demo.parties import bearer, register_party
from api.demo.trade import provider_rpc
from api.runtime import Runtime
from api.verify.trust import load_trust_roots
from api.verify.verifier import Report, verify_bundle
from api.web.main import create_app
from ledger_client import Deployment
from tests.api.factories import Actor, app_settings, deployed_ledger
from tests.chain import reverted

ADMIN_TOKEN = "test-admin-token"
POSTGRES_URL = os.environ.get("SANDAN_TEST_POSTGRES_URL")


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Forget the process-wide settings, so each test reads its own environment."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A database URL whose connections live in a fresh, private schema (dropped after).

    A schema per session keeps concurrent runs on one PostgreSQL server apart; the
    search path travels in the URL, so worker subprocesses land in it too.
    """
    if not POSTGRES_URL:
        if os.environ.get("SANDAN_REQUIRE_ALL_BACKENDS") == "1":
            pytest.fail("SANDAN_TEST_POSTGRES_URL is required when SANDAN_REQUIRE_ALL_BACKENDS=1")
        pytest.skip("set SANDAN_TEST_POSTGRES_URL to run the API suite on PostgreSQL")
    schema = f"t_{secrets.token_hex(6)}"
    admin = make_engine(ApiSettings(database_url=POSTGRES_URL).resolved_database_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _create_schema(url: str) -> None:
    """Create sandan's tables (as a first start of the service would) in ``url``'s database."""
    engine = make_engine(ApiSettings(database_url=url).resolved_database_url)
    try:
        create_db_and_tables(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with every table and no row, made once; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite-template") / "sandan.db"
    _create_schema(f"sqlite:///{path}")  # the last connection closed: no -wal file is left
    return path


@dataclass
class _PostgresSession:
    url: str
    engine: Engine
    truncate: str  # empties every table of the schema and restarts its sequences


@pytest.fixture(scope="session")
def _postgres_session() -> Iterator[_PostgresSession]:
    """The session's private schema with every table, made once and emptied before each test."""
    with postgres_schema() as url:
        _create_schema(url)
        engine = make_engine(ApiSettings(database_url=url).resolved_database_url)
        with engine.connect() as connection:
            tables = connection.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                    " AND tablename <> 'alembic_version' ORDER BY tablename"
                )
            ).scalars()
            names = ", ".join(f'"{name}"' for name in tables)
        try:
            yield _PostgresSession(url, engine, f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        finally:
            engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database of each backend, as a URL: every table, no row, sequences at 1.

    The schema is made once per session (a template file copied for SQLite, one private
    schema emptied by ``TRUNCATE ... RESTART IDENTITY`` for PostgreSQL), not per test.
    """
    if request.param == "sqlite":
        path = tmp_path / "sandan.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    postgres: _PostgresSession = request.getfixturevalue("_postgres_session")
    with postgres.engine.begin() as connection:
        connection.execute(text("SET LOCAL lock_timeout = '30s'"))
        connection.execute(text(postgres.truncate))
    yield postgres.url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the fresh database."""
    engine = make_engine(ApiSettings(database_url=database_url).resolved_database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def _api_chain() -> LedgerGateway:
    """The session's in-process chain with both registries deployed (admin anchors)."""
    return deployed_ledger()


@pytest.fixture
def ledger(_api_chain: LedgerGateway) -> Iterator[LedgerGateway]:
    """The session chain as freshly deployed: reverted after the test, on a new ``Web3``."""
    deployment: Deployment = _api_chain.deployment
    with reverted(_api_chain.w3) as w3:
        yield LedgerGateway(w3, deployment, anchorer=_api_chain.anchorer, confirmations=1)


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
        return bearer(ADMIN_TOKEN)

    def actor(self, code: str, roles: list[str], **kwargs: Any) -> Actor:
        """Register a party with a signing key."""
        return register_party(self.client, self.admin, code, roles, **kwargs)

    def verify(self, bundle: Any, *, registries: list[str] | None = None) -> Report:
        """``sandan verify`` of ``bundle`` on this chain, trusting this deployment's registries
        (or ``registries``)."""
        pinned = registries or [
            self.ledger.trade_registry_address,
            self.ledger.party_registry_address,
        ]
        trust = load_trust_roots(registries=pinned)
        return verify_bundle(bundle, provider_rpc(self.ledger.w3), trust)


@pytest.fixture
def world(engine: Engine, ledger: LedgerGateway, tmp_path: Path) -> Iterator[World]:
    """The app on a fresh database and chain, with an anchoring worker."""
    settings = app_settings(
        tmp_path,
        admin_token=ADMIN_TOKEN,
        keystore_secret="test-keystore-secret",
        max_body_bytes=64 * 1024,
    )
    runtime = Runtime.from_settings(settings, engine=engine, ledger_factory=lambda: ledger)
    app = create_app(runtime=runtime)
    with TestClient(app) as client:
        yield World(client, runtime, AnchorWorker(runtime), ledger)
