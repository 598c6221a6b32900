"""API fixtures: a fresh database (SQLite, and PostgreSQL when configured) and chain per test.

The chain is the session's in-process one, deployed once and reverted around each
test (see :func:`tests.chain.reverted`); each test gets a new ``Web3`` and a new
:class:`LedgerGateway` on it, so no nonce counter or chain answer cached by an
earlier test survives.

A world that many tests start from (parties registered, a trace chain captured and
anchored) is a :class:`WorldStage`: it is built once per session and database backend
on a chain of its own, and each test whose ``world_stage`` names it gets a copy of
that database and that chain reverted around the test, so every test still sees the
pristine built world and may change it freely.
"""

from __future__ import annotations

import copy
import os
import secrets
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Engine

from api.anchoring.gateway import LedgerGateway
from api.anchoring.worker import AnchorWorker
from api.config import ApiSettings, get_settings
from api.db.engine import create_db_and_tables, make_engine
from api.demo.parties import bearer, register_party
from api.runtime import Runtime
from api.services.auto_release import anchor_worker
from api.services.live_verify import provider_rpc
from api.verify.trust import load_trust_roots
from api.verify.verifier import Report, verify_bundle
from api.web.main import create_app
from tests.api.factories import Actor, app_settings, deployed_ledger
from tests.chain import reverted
from traceability import DigestProfile

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
    with _named_postgres_schema() as (url, _schema):
        yield url


@contextmanager
def _named_postgres_schema() -> Iterator[tuple[str, str]]:
    """:func:`postgres_schema`, with the schema's name."""
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
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}", schema
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
    empty: str  # deletes every row of the schema and restarts its sequences


@dataclass
class _PostgresLayout:
    """A schema's tables, parents before children (for the foreign keys), and its sequences
    with their last values (None: never used)."""

    tables: list[str]
    sequences: list[tuple[str, int | None]]

    @classmethod
    def of(cls, engine: Engine) -> _PostgresLayout:
        """The layout of the schema ``engine``'s connections work in."""
        tables = MetaData()
        tables.reflect(engine)
        with engine.connect() as connection:
            sequences = connection.execute(
                text(
                    "SELECT sequencename, last_value FROM pg_sequences"
                    " WHERE schemaname = current_schema()"
                )
            ).all()
        # trace_version is left as it is: the triggers of the tables copied in bump (and
        # re-create) its row, and a counter that only moves forward is all a test needs.
        skipped = ("alembic_version", "trace_version", "trace_lot_version")
        names = [t.name for t in tables.sorted_tables if t.name not in skipped]
        return cls(names, [(name, value) for name, value in sequences])

    def emptying(self) -> str:
        """One round trip that deletes every row (children first) and restarts the sequences.

        DELETE, not TRUNCATE: the tables hold a few rows, and TRUNCATE's new files for
        every table cost the server tens of times more per test than deleting them.
        """
        statements = [f'DELETE FROM "{name}"' for name in reversed(self.tables)]
        statements += [f"SELECT setval('\"{name}\"', 1, false)" for name, _ in self.sequences]
        return "; ".join(statements)

    def copying_from(self, schema: str) -> str:
        """One round trip that fills an emptied schema of this layout with ``schema``'s rows
        and sequence values."""
        statements = [f'INSERT INTO "{t}" SELECT * FROM "{schema}"."{t}"' for t in self.tables]
        statements += [
            f"SELECT setval('\"{name}\"', {value})"
            for name, value in self.sequences
            if value is not None
        ]
        return "; ".join(statements)


@pytest.fixture(scope="session")
def _postgres_session() -> Iterator[_PostgresSession]:
    """The session's private schema with every table, made once and emptied before each test."""
    with postgres_schema() as url:
        _create_schema(url)
        engine = make_engine(ApiSettings(database_url=url).resolved_database_url)
        try:
            yield _PostgresSession(url, engine, _PostgresLayout.of(engine).emptying())
        finally:
            engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database of each backend, as a URL: every table, no row, sequences at 1.

    The schema is made once per session (a template file copied for SQLite, one private
    schema whose rows are deleted and sequences restarted for PostgreSQL), not per test.
    """
    if request.param == "sqlite":
        path = tmp_path / "sandan.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    postgres: _PostgresSession = request.getfixturevalue("_postgres_session")
    with postgres.engine.begin() as connection:
        connection.execute(text("SET LOCAL lock_timeout = '30s'"))
        connection.execute(text(postgres.empty))
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


@contextmanager
def _reverted_gateway(chain: LedgerGateway) -> Iterator[LedgerGateway]:
    """``chain`` as it is now, on a new ``Web3``; whatever the caller changes is reverted."""
    with reverted(chain.w3) as w3:
        yield LedgerGateway(w3, chain.deployment, anchorer=chain.anchorer, confirmations=1)


@pytest.fixture
def ledger(_api_chain: LedgerGateway) -> Iterator[LedgerGateway]:
    """The session chain as freshly deployed: reverted after the test, on a new ``Web3``."""
    with _reverted_gateway(_api_chain) as gateway:
        yield gateway


T = TypeVar("T")


@dataclass
class World:
    """Everything an API test needs."""

    client: TestClient
    runtime: Runtime
    worker: AnchorWorker
    ledger: LedgerGateway
    stage: WorldStage[Any] | None = None
    built: Any = None  # what ``stage`` built: read it through ``stage.of(world)``

    @property
    def admin(self) -> dict[str, str]:
        """Admin authorization header."""
        return bearer(ADMIN_TOKEN)

    def actor(self, code: str, roles: list[str], **kwargs: Any) -> Actor:
        """Register a party with a signing key."""
        return register_party(self.client, self.admin, code, roles, **kwargs)

    def submit(self, actor: Actor, kind: str, document: Mapping[str, Any]) -> str | None:
        """POST ``document`` signed by ``actor`` as its ``kind``; expect 201; the id of the
        trade that took it (None for a document no trade has taken yet)."""
        response = self.client.post(
            "/documents", json=actor.envelope(kind, dict(document)), headers=actor.headers
        )
        assert response.status_code == 201, response.text
        trade_id: str | None = response.json()["tradeId"]
        return trade_id

    def verify(self, bundle: Any, *, registries: list[str] | None = None) -> Report:
        """``sandan verify`` of ``bundle`` on this chain, trusting this deployment's registries
        (or ``registries``)."""
        pinned = registries or [
            self.ledger.trade_registry_address,
            self.ledger.party_registry_address,
        ]
        trust = load_trust_roots(registries=pinned)
        return verify_bundle(bundle, provider_rpc(self.ledger.w3), trust)


@dataclass(frozen=True, eq=False)
class WorldStage(Generic[T]):
    """A world built on an empty one by ``build`` (which returns what tests read of it, such
    as the parties it registered), once per session and database backend.

    A test starts from it when its ``world_stage`` fixture returns it; ``stage.of(world)``
    is then what ``build`` returned. Treat that value as read-only: tests share it.
    """

    name: str
    build: Callable[[World], T]

    def of(self, world: World) -> T:
        """What ``build`` returned for the stage ``world`` started from."""
        if world.stage is not self:
            started = world.stage.name if world.stage else "an empty world"
            raise pytest.UsageError(
                f"the world started from {started}, not {self.name}: the test's world_stage"
                " fixture (see stage_fixtures) does not name this stage"
            )
        value: T = world.built
        return value


@pytest.fixture
def zone_digest() -> DigestProfile | None:
    """The digest profile the test's zone is configured with: unset (SHA-256), unless a
    module overrides this."""
    return None


@pytest.fixture
def world_stage() -> WorldStage[Any] | None:
    """Where the test's ``world`` starts: empty, unless a conftest or module overrides this."""
    return None


def stage_by_fixture(
    request: pytest.FixtureRequest, stages: Sequence[tuple[str, WorldStage[Any]]]
) -> WorldStage[Any] | None:
    """The first of ``stages`` whose fixture the test uses, else none: for a ``world_stage``
    that gives each test of a module the cheapest world its fixtures need."""
    return next((stage for name, stage in stages if name in request.fixturenames), None)


def stage_fixtures(name: str, stage: WorldStage[T]) -> tuple[Any, Any]:
    """A module's ``world_stage`` and ``name`` fixtures, for a module whose tests that use
    ``name`` (a copy of what ``stage`` built) start from ``stage``; its other tests start
    from an empty world. Assign both: ``world_stage, parties = stage_fixtures(...)``."""

    @pytest.fixture(name="world_stage")
    def _world_stage(request: pytest.FixtureRequest) -> WorldStage[Any] | None:
        return stage_by_fixture(request, [(name, stage)])

    @pytest.fixture(name=name)
    def _built(world: World) -> T:
        return copy.copy(stage.of(world))  # a new container: tests may add to their own

    return _world_stage, _built


@contextmanager
def open_world(
    engine: Engine,
    ledger: LedgerGateway,
    data_dir: Path,
    stage: WorldStage[Any] | None = None,
    built: Any = None,
    digest: DigestProfile | None = None,
) -> Iterator[World]:
    """The app on ``engine`` and ``ledger``, with an anchoring worker (in a zone of the
    ``digest`` profile, when given)."""
    settings = app_settings(
        data_dir,
        admin_token=ADMIN_TOKEN,
        keystore_secret="test-keystore-secret",
        max_body_bytes=64 * 1024,
        digest_profile=digest,
    )
    runtime = Runtime.from_settings(settings, engine=engine, ledger_factory=lambda: ledger)
    app = create_app(runtime=runtime)
    with TestClient(app) as client:
        yield World(client, runtime, anchor_worker(runtime), ledger, stage, built)


@dataclass
class _StagedWorld:
    """A stage built once: its chain (left where the build left it), its database and value."""

    chain: LedgerGateway
    built: Any
    sqlite_file: Path | None = None
    postgres_restore: str = ""  # fills the session's emptied schema with the built rows

    def restore(self, database_url: str, request: pytest.FixtureRequest) -> None:
        """Make the test's fresh database (from ``database_url``) a copy of the built one."""
        if self.sqlite_file is not None:
            # No connection to the test's file is open yet: the engine connects lazily.
            shutil.copyfile(self.sqlite_file, database_url.removeprefix("sqlite:///"))
            return
        postgres: _PostgresSession = request.getfixturevalue("_postgres_session")
        with postgres.engine.begin() as connection:
            connection.execute(text(self.postgres_restore))


class _StagedWorlds:
    """Each stage built at its first use, per database backend, kept for the session."""

    def __init__(self, request: pytest.FixtureRequest, scratch: Path, stack: ExitStack):
        self._request = request
        self._scratch = scratch
        self._stack = stack
        self._built: dict[tuple[WorldStage[Any], str, Any], _StagedWorld] = {}

    def get(
        self, stage: WorldStage[Any], backend: str, digest: DigestProfile | None
    ) -> _StagedWorld:
        if (stage, backend, digest) not in self._built:
            self._built[stage, backend, digest] = self._build(stage, backend, digest)
        return self._built[stage, backend, digest]

    def _build(
        self, stage: WorldStage[Any], backend: str, digest: DigestProfile | None
    ) -> _StagedWorld:
        scratch = self._scratch / f"{backend}-{len(self._built)}"
        scratch.mkdir()
        chain = deployed_ledger()  # its own chain: the test chains stay as deployed
        path = scratch / "sandan.db"
        if backend == "sqlite":
            shutil.copyfile(self._request.getfixturevalue("_sqlite_template"), path)
            url, schema = f"sqlite:///{path}", ""
        else:
            url, schema = self._stack.enter_context(_named_postgres_schema())
            _create_schema(url)
        engine = make_engine(ApiSettings(database_url=url).resolved_database_url)
        try:
            with open_world(engine, chain, scratch, digest=digest) as world:
                built = stage.build(world)
            if backend != "sqlite":
                restore = _PostgresLayout.of(engine).copying_from(schema)
                return _StagedWorld(chain, built, postgres_restore=restore)
        finally:
            engine.dispose()
        # The last connection to close folds the write-ahead log into the file, so the
        # file alone is the database that tests copy.
        sqlite3.connect(path).close()
        assert not path.with_name("sandan.db-wal").exists()
        return _StagedWorld(chain, built, sqlite_file=path)


@pytest.fixture(scope="session")
def _staged_worlds(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[_StagedWorlds]:
    with ExitStack() as stack:
        yield _StagedWorlds(request, tmp_path_factory.mktemp("world-stages"), stack)


@pytest.fixture
def world(
    request: pytest.FixtureRequest,
    world_stage: WorldStage[Any] | None,
    database_url: str,
    engine: Engine,
    tmp_path: Path,
    zone_digest: DigestProfile | None,
) -> Iterator[World]:
    """The app on a fresh database and chain, with an anchoring worker: empty, or a copy of
    the ``world_stage`` built once for this database backend (and digest profile)."""
    if world_stage is None:
        ledger = request.getfixturevalue("ledger")
        with open_world(engine, ledger, tmp_path, digest=zone_digest) as world:
            yield world
        return
    if "ledger" in request.fixturenames:
        raise pytest.UsageError("a staged world has a chain of its own: use world.ledger")
    backend = "sqlite" if database_url.startswith("sqlite") else "postgres"
    staged = request.getfixturevalue("_staged_worlds").get(world_stage, backend, zone_digest)
    staged.restore(database_url, request)
    with (
        _reverted_gateway(staged.chain) as ledger,
        open_world(engine, ledger, tmp_path, world_stage, staged.built, zone_digest) as world,
    ):
        yield world
