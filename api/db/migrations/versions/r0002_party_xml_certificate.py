"""Give databases from before CEB XML signing the ``party.xml_certificate`` column.

sandan added that column (commit e233e52) after its first deployments, and until
Alembic ``create_db_and_tables`` added it on start-up. Such a database is adopted at
the baseline, which already lists the column, so this revision adds it only where it
is missing; on every other database it changes nothing.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``party.xml_certificate`` where an early database lacks it."""
    columns = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("party")}
    if "xml_certificate" not in columns:
        op.add_column("party", sa.Column("xml_certificate", sa.Text(), nullable=True))


def downgrade() -> None:
    """Nothing to undo: the baseline schema has the column."""
