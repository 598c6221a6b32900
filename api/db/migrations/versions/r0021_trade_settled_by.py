"""The bank of record of a trade's settlement: ``trade.settled_by``.

The chain names the settling bank's address; the trade row kept only the transaction, so
neither a bank's own statistics nor who may see a settled trade could name the bank
without reading logs. Settlements confirmed before this revision keep ``NULL``.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``trade.settled_by`` where it is missing."""
    columns = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("trade")}
    if "settled_by" not in columns:
        op.add_column("trade", sa.Column("settled_by", sa.String(64), nullable=True))


def downgrade() -> None:
    """Drop the column."""
    op.drop_column("trade", "settled_by")
