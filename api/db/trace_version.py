"""Versions of what a lot's public answer (page, JSON, linkset) depends on, kept per lot.

The resolver keeps a lot's rendered answer in memory and must not serve it one
request after anything it was built from changed, whichever process (another
API process, the worker, the CLI, someone editing rows by hand) made the change.
Triggers bump, in the writing transaction, so a reader sees the new value exactly
when it sees the committed change:

* ``trace_lot_version.version`` of each lot a changed row belongs to
  (:data:`LOT_SOURCES`: its events and their index rows, signing envelopes, its
  event lane's outbox rows and batches, containers and recalls). A capture, an
  anchoring or a recall of one lot leaves every other lot's answer warm, and
  captures of different lots never wait for each other's counter row;
* ``trace_version.version`` (row 1) for what many lots show (parties, their keys,
  places and prefixes, product names; :data:`GLOBAL_TABLES`), and on PostgreSQL
  for a TRUNCATE of any tracked table (it names no rows).

A lot's answer is checked against the versions of the lot itself, of the lots it
was made from (their events are on its page) and the global one: one query per
request (:func:`read_stamp`). Lot versions are drawn from one ever-growing
sequence (a PostgreSQL sequence; on SQLite, whose writers are serialized anyway,
row 0 of ``trace_version``), so a lot's version never returns to a value an old
answer was stamped with, even when its row is deleted and made again.

On PostgreSQL the triggers fire once per statement, over its transition tables,
and lock the lot rows in ``lot_id`` order; the outbox and batch triggers fire per
row and only for event lanes (:data:`ROW_FILTERS`), so document ingest and its
anchoring never run them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    text,
)
from sqlmodel import SQLModel

__all__ = [
    "GLOBAL_TABLES",
    "LOT_SOURCES",
    "POSTGRES_STAMP_QUERY",
    "ROW_FILTERS",
    "Stamp",
    "install_triggers",
    "read_stamp",
    "stamp_of",
    "stamp_request",
    "trace_lot_version_table",
    "trace_version_table",
]

#: Tables whose rows many lots' answers show (names, keys, places): the global version.
GLOBAL_TABLES = ("party", "party_key", "party_location", "party_company_prefix", "product")
#: For each table keyed to lots: its columns the lot is found from, and the lots of a set of
#: its rows ``r`` (``{rows}``), as ``lot_id``.
LOT_SOURCES: dict[str, tuple[tuple[str, ...], str]] = {
    "trace_event_lot": (("lot_id",), "SELECT r.lot_id AS lot_id FROM {rows} r"),
    "trace_container": (("lot_id",), "SELECT r.lot_id AS lot_id FROM {rows} r"),
    "lot_recall": (("lot_id",), "SELECT r.lot_id AS lot_id FROM {rows} r"),
    "outbox": (
        ("kind", "lane"),
        "SELECT substr(r.lane, 5) AS lot_id FROM {rows} r "
        "WHERE r.kind = 'event' AND substr(r.lane, 1, 4) = 'lot:'",
    ),
    "anchor_batch": (
        ("lane",),
        "SELECT substr(r.lane, 5) AS lot_id FROM {rows} r WHERE substr(r.lane, 1, 4) = 'lot:'",
    ),
    "trace_event": (
        ("id",),
        "SELECT l.lot_id AS lot_id FROM {rows} r JOIN trace_event_lot l ON l.event_id = r.id",
    ),
    "trace_event_epc": (
        ("event_id",),
        "SELECT l.lot_id AS lot_id FROM {rows} r JOIN trace_event_lot l ON l.event_id = r.event_id",
    ),
    "trace_envelope": (
        ("content_hash",),
        "SELECT l.lot_id AS lot_id FROM {rows} r "
        "JOIN trace_event e ON e.envelope_hash = r.content_hash "
        "JOIN trace_event_lot l ON l.event_id = e.id",
    ),
}
#: Tables whose lot triggers fire per row, for the rows picked by the filter (of a row
#: ``{row}``): event lanes only, so documents' outbox rows and batches fire nothing.
ROW_FILTERS = {
    "outbox": "{row}.kind = 'event' AND substr({row}.lane, 1, 4) = 'lot:'",
    "anchor_batch": ("substr({row}.lane, 1, 4) = 'lot:'"),
}

trace_version_table = Table(
    "trace_version",
    SQLModel.metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
)
trace_lot_version_table = Table(
    "trace_lot_version",
    SQLModel.metadata,
    Column("lot_id", String(64), primary_key=True),
    Column("version", BigInteger, nullable=False),
)
_SEQUENCE = "trace_lot_version_seq"

#: The row is made again if it went missing (a database emptied table by table): without
#: it the counter would stay put and a stored answer would outlive a change.
_BUMP = {
    "postgresql": "INSERT INTO trace_version (id, version) VALUES (1, 0) ON CONFLICT (id) "
    "DO NOTHING; UPDATE trace_version SET version = version + 1 WHERE id = 1",
    "sqlite": "INSERT OR IGNORE INTO trace_version (id, version) VALUES (1, 0); "
    "UPDATE trace_version SET version = version + 1 WHERE id = 1",
}

#: What an answer was built at: (lot id, version) of each lot it depends on (0: never
#: changed), then ("", global version). Equal stamps mean nothing it read has changed.
Stamp = tuple[tuple[str, int], ...]

_STAMP = text(
    "SELECT lot_id, version FROM trace_lot_version WHERE lot_id IN :lot_ids "
    "UNION ALL SELECT '', version FROM trace_version WHERE id = 1"
).bindparams(bindparam("lot_ids", expanding=True))


#: :data:`_STAMP` for a bare psycopg connection, the lot ids passed as one array.
POSTGRES_STAMP_QUERY = (
    "SELECT lot_id, version FROM trace_lot_version WHERE lot_id = ANY(%s) "
    "UNION ALL SELECT '', version FROM trace_version WHERE id = 1"
)


def read_stamp(connection: Connection, lot_ids: Iterable[str]) -> Stamp:
    """The versions of ``lot_ids`` (sorted, 0 for a lot never changed) and the global one."""
    wanted = stamp_request(lot_ids)
    return stamp_of(wanted, connection.execute(_STAMP, {"lot_ids": wanted}))


def stamp_request(lot_ids: Iterable[str]) -> list[str]:
    """The lot ids a stamp query asks for, in stamp order."""
    return sorted(set(lot_ids))


def stamp_of(wanted: list[str], rows: Iterable[Any]) -> Stamp:
    """The stamp of the (lot id, version) rows a stamp query answered for ``wanted``."""
    found = {str(lot): int(version) for lot, version in rows}
    return (*((lot, found.get(lot, 0)) for lot in wanted), ("", found.get("", 0)))


def global_trigger_statements(dialect: str, tables: tuple[str, ...] = GLOBAL_TABLES) -> list[str]:
    """DDL creating the global counter's row and its triggers on ``tables`` (idempotent)."""
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
            condition = {"outbox": "kind = 'event'"}.get(table)
            if condition is None:
                statements.append(
                    f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                    f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION sandan_bump_trace_version()"
                )
                continue
            # Revision 0010 tracked the event lane of the outbox in the global counter.
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
            condition = {"outbox": f"{row}.kind = 'event'"}.get(table)
            when = f" WHEN {condition}" if condition else ""
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS trace_version_{table}_{operation.lower()} "
                f"AFTER {operation} ON {table}{when} BEGIN {_BUMP['sqlite']}; END"
            )
    return statements


def drop_global_trigger_statements(dialect: str, tables: Iterable[str]) -> list[str]:
    """DDL dropping the global counter's triggers from ``tables``."""
    if dialect == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS trace_version_{table}{suffix} ON {table}"
            for table in tables
            for suffix in ("", "_insert", "_update", "_delete")
        ]
    return [
        f"DROP TRIGGER IF EXISTS trace_version_{table}_{operation}"
        for table in tables
        for operation in ("insert", "update", "delete")
    ]


_OPERATIONS = ("insert", "update", "delete")


def lot_trigger_statements(
    dialect: str,
    sources: dict[str, tuple[tuple[str, ...], str]] = LOT_SOURCES,
    row_filters: dict[str, str] = ROW_FILTERS,
) -> list[str]:
    """DDL creating the lot versions' triggers on the tables of ``sources`` (idempotent).

    The tables of ``row_filters`` fire per row, and only for rows their filter picks: most
    outbox rows and batches are documents', which must not pay for a lot trigger.
    """
    if dialect == "postgresql":
        return _postgres_lot_triggers(sources, row_filters)
    statements = ["INSERT OR IGNORE INTO trace_version (id, version) VALUES (0, 0)"]
    for table, (columns, source) in sources.items():
        for operation in _OPERATIONS:
            rows = _ROWS[operation]
            when = _when(row_filters.get(table), rows)
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS trace_lots_{table}_{operation} "  # noqa: S608
                f"AFTER {operation.upper()} ON {table}{f' WHEN {when}' if when else ''} BEGIN "
                "UPDATE trace_version SET version = version + 1 WHERE id = 0; "
                "INSERT INTO trace_lot_version (lot_id, version) "
                "SELECT DISTINCT lot_id, (SELECT version FROM trace_version WHERE id = 0) "
                f"FROM ({_row_lots(columns, source, rows)}) WHERE lot_id IS NOT NULL "
                "ON CONFLICT (lot_id) DO UPDATE SET version = excluded.version; END"
            )
    return statements


#: The trigger rows each operation has.
_ROWS = {"insert": ("NEW",), "update": ("NEW", "OLD"), "delete": ("OLD",)}


def _row_lots(columns: tuple[str, ...], source: str, rows: tuple[str, ...]) -> str:
    """The lots of a row trigger's ``rows`` (NEW, OLD), each read as a one-row table."""
    return " UNION ".join(
        source.format(rows="(SELECT " + ", ".join(f"{r}.{c} AS {c}" for c in columns) + ")")
        for r in rows
    )


def _when(row_filter: str | None, rows: tuple[str, ...]) -> str:
    if row_filter is None:
        return ""
    return " OR ".join(f"({row_filter.format(row=r)})" for r in rows)


def _upsert_lots(lots: str) -> str:
    """PL/pgSQL: give each lot of ``lots`` (a query of ``lot_id``) a new version."""
    return (
        "INSERT INTO trace_lot_version (lot_id, version) "  # noqa: S608 (constants only)
        f"SELECT lot_id, nextval('{_SEQUENCE}') FROM (SELECT DISTINCT lot_id "
        f"FROM ({lots}) s WHERE lot_id IS NOT NULL ORDER BY lot_id) d "
        "ON CONFLICT (lot_id) DO UPDATE SET version = EXCLUDED.version; "
    )


def _postgres_lot_triggers(
    sources: dict[str, tuple[tuple[str, ...], str]], row_filters: dict[str, str]
) -> list[str]:
    statements = [f"CREATE SEQUENCE IF NOT EXISTS {_SEQUENCE}"]
    for table, (columns, source) in sources.items():
        if table in row_filters:
            statements += _postgres_row_triggers(table, columns, source, row_filters[table])
        else:
            statements += _postgres_statement_triggers(table, source)
        # A TRUNCATE names no rows: every answer goes cold.
        statements.append(f"DROP TRIGGER IF EXISTS trace_lots_{table}_truncate ON {table}")
        statements.append(
            f"CREATE TRIGGER trace_lots_{table}_truncate AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION sandan_bump_trace_version()"
        )
    return statements


def _postgres_statement_triggers(table: str, source: str) -> list[str]:
    """Once per statement, over its transition tables (a capture's rows bump a lot once)."""
    statements = []
    for operation in _OPERATIONS:
        tables = {"insert": ("new_rows",), "update": ("new_rows", "old_rows")}.get(
            operation, ("old_rows",)
        )
        lots = " UNION ".join(source.format(rows=t) for t in tables)
        function = f"sandan_lot_versions_{table}_{operation}"
        statements.append(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$ BEGIN "
            f"{_upsert_lots(lots)}RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        referencing = " ".join(
            f"{'NEW' if t == 'new_rows' else 'OLD'} TABLE AS {t}" for t in tables
        )
        name = f"trace_lots_{table}_{operation}"
        statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        statements.append(
            f"CREATE TRIGGER {name} AFTER {operation.upper()} ON {table} "
            f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
    return statements


def _postgres_row_triggers(
    table: str, columns: tuple[str, ...], source: str, row_filter: str
) -> list[str]:
    """Per row, for the rows ``row_filter`` picks (OLD is NULL on INSERT, NEW on DELETE)."""
    function = f"sandan_lot_versions_{table}"
    lots = _row_lots(columns, source, ("NEW", "OLD"))
    statements = [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$ BEGIN "
        f"{_upsert_lots(lots)}RETURN NULL; END $$ LANGUAGE plpgsql"
    ]
    for operation in _OPERATIONS:
        name = f"trace_lots_{table}_{operation}"
        statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        statements.append(
            f"CREATE TRIGGER {name} AFTER {operation.upper()} ON {table} FOR EACH ROW "
            f"WHEN ({_when(row_filter, _ROWS[operation])}) EXECUTE FUNCTION {function}()"
        )
    return statements


def drop_lot_trigger_statements(dialect: str, tables: Iterable[str]) -> list[str]:
    """DDL dropping the lot versions' triggers (and PostgreSQL functions) from ``tables``."""
    statements = []
    for table in tables:
        for operation in (*_OPERATIONS, "truncate"):
            name = f"trace_lots_{table}_{operation}"
            if dialect == "postgresql":
                statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                if operation != "truncate":
                    statements.append(
                        f"DROP FUNCTION IF EXISTS sandan_lot_versions_{table}_{operation}()"
                    )
            elif operation != "truncate":
                statements.append(f"DROP TRIGGER IF EXISTS {name}")
        if dialect == "postgresql":
            statements.append(f"DROP FUNCTION IF EXISTS sandan_lot_versions_{table}()")
    if dialect == "postgresql":
        statements.append(f"DROP SEQUENCE IF EXISTS {_SEQUENCE}")
    return statements


def install_triggers(connection: Connection) -> None:
    """Create the counters' rows and triggers on the tables of ``connection``'s database."""
    dialect = connection.dialect.name
    for statement in (*global_trigger_statements(dialect), *lot_trigger_statements(dialect)):
        connection.exec_driver_sql(statement)


@event.listens_for(SQLModel.metadata, "after_create")
def _after_create(target: MetaData, connection: Connection, **_kw: object) -> None:
    # A database made from the models (``create_all``) gets the triggers a migration adds.
    if trace_version_table.name in target.tables:
        install_triggers(connection)
