"""A PostgreSQL notification for every transaction that adds anchoring work.

The anchoring worker used to find new outbox rows by polling every 50 ms, which cost an
idle worker about a sixth of a core (a pass is two chain calls and a few queries). On
PostgreSQL a statement-level trigger on ``outbox`` now calls ``pg_notify`` on
:data:`CHANNEL`: the notification is delivered when the writing transaction commits (and
not at all if it rolls back), identical notifications of one transaction are folded
into one, and the worker sleeps on ``LISTEN`` until one arrives
(:mod:`api.anchoring.wakeup`). SQLite has no notifications: its worker polls as before.
"""

from __future__ import annotations

from sqlalchemy import Connection, MetaData, event
from sqlmodel import SQLModel

__all__ = [
    "CHANNEL",
    "install_notify_trigger",
    "notify_statements",
]

#: The channel the worker listens on.
CHANNEL = "sandan_outbox"
_FUNCTION = "sandan_outbox_notify"
_TRIGGER = "outbox_notify"


def notify_statements() -> list[str]:
    """The PostgreSQL function and trigger (idempotent: each run replaces them)."""
    return [
        f"CREATE OR REPLACE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        # The payload names the schema, so that a listener on a server several sandan
        # databases (or test runs) share can tell its own work from another's.
        f"BEGIN PERFORM pg_notify('{CHANNEL}', current_schema()); RETURN NULL; END $$",
        f"DROP TRIGGER IF EXISTS {_TRIGGER} ON outbox",
        f"CREATE TRIGGER {_TRIGGER} AFTER INSERT ON outbox "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {_FUNCTION}()",
    ]


def drop_notify_statements() -> list[str]:
    """Undo :func:`notify_statements`."""
    return [
        f"DROP TRIGGER IF EXISTS {_TRIGGER} ON outbox",
        f"DROP FUNCTION IF EXISTS {_FUNCTION}()",
    ]


def install_notify_trigger(connection: Connection) -> None:
    """Create the trigger on a PostgreSQL database (nothing on SQLite)."""
    if connection.dialect.name != "postgresql":
        return
    for statement in notify_statements():
        connection.exec_driver_sql(statement)


@event.listens_for(SQLModel.metadata, "after_create")
def _after_create(target: MetaData, connection: Connection, **_kw: object) -> None:
    # A database made from the models (``create_all``) gets the trigger the migration adds.
    if "outbox" in target.tables:
        install_notify_trigger(connection)
