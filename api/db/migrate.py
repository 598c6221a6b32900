"""Bring a database to the newest schema with the Alembic migrations shipped in the package.

:func:`upgrade_database` decides between three cases, under a lock so that an API
process and a worker starting together never migrate twice:

* an empty database is created from the models and stamped at head (fast: tests
  make hundreds of fresh databases);
* a database made before sandan used Alembic (sandan tables, no ``alembic_version``)
  is stamped at the baseline revision, which describes that schema, then upgraded;
* anything else is upgraded from the revision it records.

The lock is a transaction-scoped advisory lock on PostgreSQL (keyed by schema) and
``BEGIN IMMEDIATE`` on SQLite; the whole migration commits or rolls back as one.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

__all__ = [
    "BASELINE_REVISION",
    "MIGRATIONS_DIR",
    "alembic_config",
    "current_revision",
    "head_revision",
    "target_metadata",
    "upgrade_database",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: The schema of sandan before Alembic (commit 0c65177 and earlier deployments).
BASELINE_REVISION = "0001"
#: First key of PostgreSQL's two-key advisory lock: "sandan" in ASCII, folded to int4.
_PG_LOCK_CLASS = 0x73616E64


def target_metadata() -> MetaData:
    """The metadata of every sandan table (importing the model modules registers them)."""
    from api.db import (
        financing_models,  # noqa: F401
        fx_models,  # noqa: F401
        models,  # noqa: F401
        outbox_notify,  # noqa: F401
        receipt_models,  # noqa: F401
        returns_models,  # noqa: F401
        trace_models,  # noqa: F401
        trace_version,  # noqa: F401
        warehouse_models,  # noqa: F401
    )

    return SQLModel.metadata


def alembic_config(connection: Connection) -> Config:
    """An alembic configuration built in code, running on ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS_DIR))


def head_revision() -> str:
    """The newest revision shipped with this sandan."""
    head = _scripts().get_current_head()
    assert head is not None  # the package ships at least the baseline
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database records, or ``None`` when it has none."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_database(engine: Engine) -> None:
    """Create, adopt or upgrade the database behind ``engine`` to the head revision."""
    metadata = target_metadata()
    with engine.connect() as connection:
        _lock(connection)
        tables = set(inspect(connection).get_table_names())
        if "alembic_version" not in tables and not tables & set(metadata.tables):
            metadata.create_all(connection)
            MigrationContext.configure(connection).stamp(_scripts(), "head")
        elif "alembic_version" not in tables:
            command.stamp(alembic_config(connection), BASELINE_REVISION)
            command.upgrade(alembic_config(connection), "head")
        elif current_revision(connection) != head_revision():
            command.upgrade(alembic_config(connection), "head")
        connection.commit()


def _lock(connection: Connection) -> None:
    """Serialise migrations until this connection's transaction ends."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))"),
            {"key": _PG_LOCK_CLASS},
        )
    elif connection.dialect.name == "sqlite":
        # pysqlite defers BEGIN to the first write; take the write lock now instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
