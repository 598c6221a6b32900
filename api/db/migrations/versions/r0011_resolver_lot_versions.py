"""Per-lot trace versions: a change to one lot no longer cools every lot's stored answer.

Revision 0010 bumped one database-wide counter for every change an answer reads,
so every capture on PostgreSQL queued on its row and any commit made every lot's
answer be built again. The tables keyed to lots now bump ``trace_lot_version`` of
the lots a changed row belongs to; parties, keys, places and products keep the
global counter. See :mod:`api.db.trace_version`.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.db.trace_version import (
    drop_global_trigger_statements,
    drop_lot_trigger_statements,
    global_trigger_statements,
    lot_trigger_statements,
)

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The lot tables as this revision tracks them (a migration must not follow later constants):
#: the columns a row's lots are found from, and the lots of a set of rows ``r``.
_LOT_SOURCES: dict[str, tuple[tuple[str, ...], str]] = {
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

#: Tables fired per row, for event lanes only (documents' rows fire nothing).
_ROW_FILTERS = {
    "outbox": "{row}.kind = 'event' AND substr({row}.lane, 1, 4) = 'lot:'",
    "anchor_batch": "substr({row}.lane, 1, 4) = 'lot:'",
}


def upgrade() -> None:
    """Create the lot versions (unless made from the models) and move the lot tables to them."""
    bind = op.get_bind()
    if "trace_lot_version" not in sa.inspect(bind).get_table_names():
        op.create_table(
            "trace_lot_version",
            sa.Column("lot_id", sa.String(64), primary_key=True),
            sa.Column("version", sa.BigInteger, nullable=False),
        )
    dialect = bind.dialect.name
    statements = drop_global_trigger_statements(dialect, _LOT_SOURCES)
    statements += lot_trigger_statements(dialect, _LOT_SOURCES, _ROW_FILTERS)
    # Answers stamped by the old counter alone must not match: move it once.
    statements.append("UPDATE trace_version SET version = version + 1 WHERE id = 1")
    for statement in statements:
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    """Back to one global counter for every tracked table."""
    bind = op.get_bind()
    dialect = bind.dialect.name
    for statement in drop_lot_trigger_statements(dialect, _LOT_SOURCES):
        bind.exec_driver_sql(statement)
    bind.exec_driver_sql("DELETE FROM trace_version WHERE id = 0")
    for statement in global_trigger_statements(dialect, (*_LOT_SOURCES, "party")):
        bind.exec_driver_sql(statement)
    op.drop_table("trace_lot_version")
