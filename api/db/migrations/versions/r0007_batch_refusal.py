"""Give ``anchor_batch`` a ``refusal`` column: why the contract refused a batch.

A batch the contract refuses is split, down to single rows, and a single row it still
refuses is set aside (state ``refused``) with the contract's reason, so one bad write
no longer holds up the worker. Existing batches have no refusal.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``anchor_batch.refusal`` where it is missing (a database adopted at the baseline
    from an unmigrated one built by the models may have it already)."""
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("anchor_batch")}
    if "refusal" not in columns:
        op.add_column("anchor_batch", sa.Column("refusal", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop ``anchor_batch.refusal``."""
    op.drop_column("anchor_batch", "refusal")
