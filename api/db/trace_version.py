"""One database-wide counter of what a lot's public answer (page, JSON, linkset) depends on.

The resolver keeps a lot's rendered answer in memory and must not serve it one
request after anything it was built from changed, whichever process (another
API process, the worker, the CLI, someone editing rows by hand) made the change.
Triggers on every table such an answer reads bump ``trace_version.version`` in
the writing transaction, so a reader sees the new value exactly when it sees the
committed change, and checking it costs one primary-key read per request.

On PostgreSQL the triggers fire once per statement (a batch of a thousand rows
bumps the counter once); the outbox trigger fires per row, only for the ``event``
lane, so document ingest and its anchoring never take the counter's row lock.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Connection, Integer, MetaData, Table, event, text
from sqlmodel import SQLModel

__all__ = ["TRACKED_TABLES", "install_triggers", "read_version", "trace_version_table"]

#: Tables a lot's answer reads: events and their indexes, signing material, anchoring,
#: recalls and the names a page shows. ``outbox`` is filtered to the event lane.
TRACKED_TABLES = (
    "trace_event",
    "trace_event_lot",
    "trace_event_epc",
    "trace_envelope",
    "trace_container",
    "lot_recall",
    "party",
    "party_key",
    "party_location",
    "party_company_prefix",
    "product",
    "anchor_batch",
    "outbox",
)
_FILTERED = {"outbox": "kind = 'event'"}

trace_version_table = Table(
    "trace_version",
    SQLModel.metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
)

#: The row is made again if it went missing (a database emptied table by table): without
#: it the counter would stay put and a stored answer would outlive a change.
_BUMP = {
    "postgresql": "INSERT INTO trace_version (id, version) VALUES (1, 0) ON CONFLICT (id) "
    "DO NOTHING; UPDATE trace_version SET version = version + 1 WHERE id = 1",
    "sqlite": "INSERT OR IGNORE INTO trace_version (id, version) VALUES (1, 0); "
    "UPDATE trace_version SET version = version + 1 WHERE id = 1",
}
_VERSION = text("SELECT version FROM trace_version WHERE id = 1")


def read_version(connection: Connection) -> int:
    """The counter now (0 on a database whose counter row is missing)."""
    value = connection.execute(_VERSION).scalar()
    return int(value) if value is not None else 0


def trigger_statements(dialect: str, tables: tuple[str, ...] = TRACKED_TABLES) -> list[str]:
    """DDL creating the counter's row and its triggers (idempotent), for ``dialect``."""
    statements = [
        "INSERT INTO trace_version (id, version) SELECT 1, 0 "
        "WHERE NOT EXISTS (SELECT 1 FROM trace_version WHERE id = 1)"
    ]
    if dialect == "postgresql":
        statements.append(
            "CREATE OR REPLACE FUNCTION sandan_bump_trace_version() RETURNS trigger AS $$ "
            f"BEGIN {_BUMP[dialect]}; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        for table in tables:
            name = f"trace_version_{table}"
            statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            condition = _FILTERED.get(table)
            if condition is None:
                statements.append(
                    f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                    f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION sandan_bump_trace_version()"
                )
                continue
            for operation, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
                statements.append(f"DROP TRIGGER IF EXISTS {name}_{operation.lower()} ON {table}")
                statements.append(
                    f"CREATE TRIGGER {name}_{operation.lower()} AFTER {operation} ON {table} "
                    f"FOR EACH ROW WHEN ({row}.{condition}) "
                    "EXECUTE FUNCTION sandan_bump_trace_version()"
                )
        return statements
    for table in tables:
        for operation, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            condition = _FILTERED.get(table)
            when = f" WHEN {row}.{condition}" if condition else ""
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS trace_version_{table}_{operation.lower()} "
                f"AFTER {operation} ON {table}{when} BEGIN {_BUMP['sqlite']}; END"
            )
    return statements


def install_triggers(connection: Connection) -> None:
    """Create the counter's row and triggers on the tables of ``connection``'s database."""
    for statement in trigger_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


@event.listens_for(SQLModel.metadata, "after_create")
def _after_create(target: MetaData, connection: Connection, **_kw: object) -> None:
    # A database made from the models (``create_all``) gets the triggers a migration adds.
    if trace_version_table.name in target.tables:
        install_triggers(connection)
