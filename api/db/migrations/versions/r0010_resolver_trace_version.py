"""The resolver's trace version: a counter that triggers bump on every change a lot's answer reads.

An API process caches a lot's rendered answer and checks this one row on each
request, so a change committed by any process (or by hand) shows on the next
request. See :mod:`api.db.trace_version`.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.db.trace_version import global_trigger_statements

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The tables as this revision tracks them (a migration must not follow later constants).
_TABLES = (
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


def upgrade() -> None:
    """Create the counter (unless a database made from the models has it) and its triggers."""
    bind = op.get_bind()
    if "trace_version" not in sa.inspect(bind).get_table_names():
        op.create_table(
            "trace_version",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("version", sa.BigInteger, nullable=False),
        )
    for statement in global_trigger_statements(bind.dialect.name, _TABLES):
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    """Drop the triggers and the counter."""
    bind = op.get_bind()
    for table in _TABLES:
        if bind.dialect.name == "postgresql":
            for suffix in ("", "_insert", "_update", "_delete"):
                name = f"trace_version_{table}{suffix}"
                bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        else:
            for operation in ("insert", "update", "delete"):
                bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS trace_version_{table}_{operation}")
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql("DROP FUNCTION IF EXISTS sandan_bump_trace_version()")
    op.drop_table("trace_version")
