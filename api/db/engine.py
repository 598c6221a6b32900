"""Database engine construction for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel, create_engine


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
    """Create every table that does not exist yet, and add columns newer versions added."""
    from api.db import (
        models,  # noqa: F401  (registers the tables on SQLModel.metadata)
        trace_models,  # noqa: F401
    )

    SQLModel.metadata.create_all(engine)
    _add_missing_columns(engine)


def _add_missing_columns(engine: Engine) -> None:
    """Bring a database made by an earlier sandan up to date, one nullable column at a time.

    sandan only ever adds nullable columns between versions, which ``ALTER TABLE ...
    ADD COLUMN`` handles on SQLite and PostgreSQL alike; anything else is refused
    with a clear message rather than failing later with "no such column".
    """
    inspector = inspect(engine)
    for table in SQLModel.metadata.sorted_tables:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            if not column.nullable:
                raise RuntimeError(
                    f"the database's table {table.name} lacks the required column "
                    f"{column.name}: it was made by an incompatible sandan version"
                )
            kind = column.type.compile(dialect=engine.dialect)
            with engine.begin() as connection:
                connection.execute(
                    text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}')
                )


def is_postgres(engine: Engine) -> bool:
    """Whether ``engine`` talks to PostgreSQL (row locks with SKIP LOCKED)."""
    return engine.dialect.name == "postgresql"
