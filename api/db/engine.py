"""Database engine construction for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
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


def private_directory(path: Path) -> Path:
    """Create ``path`` (and its parents) if missing, the last one readable by its owner only.

    sandan's data directory holds buyers' personal data and the encrypted custodial
    keys (the database) and the secrets that open them: nobody else may list it.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _private_sqlite_files(url: str) -> None:
    """Create the database file with mode 0600 before SQLite does, and keep it so.

    SQLite creates a new file 0644 and gives its -wal and -shm files the database
    file's own mode, so a database created 0600 keeps all three private.
    """
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    private_directory(path.parent)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if name.exists():
            name.chmod(0o600)


def _make_sqlite_engine(url: str) -> Engine:
    in_memory = url in ("sqlite://", "sqlite:///:memory:")
    if not in_memory:
        _private_sqlite_files(url)
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
