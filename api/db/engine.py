"""Database engine construction for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

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


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL once; later connections find it so and skip the switch.

    Changing the journal mode needs the file to itself and SQLite answers "database is
    locked" at once, without its busy timeout, when another connection holds it: the
    first connections to a new file race for it, so the switch is retried briefly.
    """
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        return
    deadline = time.monotonic() + 30
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


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
            _use_wal(cursor)
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
