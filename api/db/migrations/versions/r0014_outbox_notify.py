"""Notify the anchoring worker when outbox rows are added (PostgreSQL).

A statement-level trigger on ``outbox`` calls ``pg_notify('sandan_outbox', '')``; the
worker listens instead of polling every 50 ms (see :mod:`api.db.outbox_notify`). SQLite
has no notifications and gets nothing.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported: a migration must not change when the code does.
_UPGRADE = (
    "CREATE OR REPLACE FUNCTION sandan_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN PERFORM pg_notify('sandan_outbox', ''); RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS outbox_notify ON outbox",
    "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox "
    "FOR EACH STATEMENT EXECUTE FUNCTION sandan_outbox_notify()",
)
_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS outbox_notify ON outbox",
    "DROP FUNCTION IF EXISTS sandan_outbox_notify()",
)


def upgrade() -> None:
    """Create (or replace) the trigger on PostgreSQL."""
    if op.get_bind().dialect.name == "postgresql":
        for statement in _UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    """Drop the trigger."""
    if op.get_bind().dialect.name == "postgresql":
        for statement in _DOWNGRADE:
            op.execute(statement)
