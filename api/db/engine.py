"""Database engine construction for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import create_engine


def make_engine(url: str) -> Engine:
    """Create an engine tuned for the backend named by ``url``."""
    if url.startswith("sqlite"):
        return _make_sqlite_engine(url)
    # Enough pooled connections for the threadpool under load, so they are not opened
    # and closed per request; pre-ping survives a database restart.
    return create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)


def _make_sqlite_engine(url: str) -> Engine:
    in_memory = url in ("sqlite://", "sqlite:///:memory:")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        poolclass=StaticPool if in_memory else None,
    )

    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection: object, _record: object) -> None:
        # WAL lets the API read while the worker writes; foreign keys are off
        # by default in SQLite and we rely on them.
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def create_db_and_tables(engine: Engine) -> None:
    """Bring the database to the newest schema: create, adopt or migrate (see api.db.migrate)."""
    from api.db.migrate import upgrade_database

    upgrade_database(engine)


def is_postgres(engine: Engine) -> bool:
    """Whether ``engine`` talks to PostgreSQL (row locks with SKIP LOCKED)."""
    return engine.dialect.name == "postgresql"
