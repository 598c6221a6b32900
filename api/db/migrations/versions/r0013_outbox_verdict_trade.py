"""Index the outbox's verdict rows by trade.

The anchoring worker holds a trade's verdict back while an older verdict of the same
trade is still on its way (so that each verdict names the position it supersedes). That
check looked up the trade's other verdicts by the first 64 characters of the outbox
subject, which no index covered: every candidate scanned every verdict ever queued, and a
busy outbox made each claim take hundreds of milliseconds. ``ix_outbox_verdict_trade``
indexes exactly that expression, for verdict rows only.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "ix_outbox_verdict_trade"
# The literal text the lanes' queries name (api.db.models.VERDICT_KIND_SQL, verdict_trade_of);
# written out here because a migration must not change when the models do.
_WHERE = "kind = 'verdict'"


def upgrade() -> None:
    """Create the index where it is missing (a database built by the models has it).

    Plain SQL, the same on SQLite and PostgreSQL: SQLAlchemy cannot reflect an expression
    index on SQLite, so "where missing" is the database's own ``IF NOT EXISTS``."""
    op.execute(
        sa.text(
            f"CREATE INDEX IF NOT EXISTS {_INDEX} ON outbox (substr(subject, 1, 64), id) "
            f"WHERE {_WHERE}"
        )
    )


def downgrade() -> None:
    """Drop the index."""
    op.drop_index(_INDEX, table_name="outbox")
