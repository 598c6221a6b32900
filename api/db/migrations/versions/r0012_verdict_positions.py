"""Trades live at a position of a verdict batch (TradeRegistry v2).

TradeRegistry v2 keeps no storage slot per trade: each verdict batch gets a number on
chain, each verdict a position in it, and release, settlement and financing name
positions. So a confirmed verdict batch records its chain number
(``anchor_batch.chain_batch``), and a trade the batch and position of its current
verdict (``trade.verdict_batch``, ``trade.verdict_position``), the number of the
settlement that settled it (``trade.settlement_id``) and of its open financing
(``trade.financing_id``). Existing rows have none: a database anchored on a v1
registry is re-anchored on a v2 deployment (``sandan recheck``).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TRADE_COLUMNS = (
    ("verdict_batch", sa.BigInteger()),
    ("verdict_position", sa.Integer()),
    ("settlement_id", sa.BigInteger()),
    ("financing_id", sa.BigInteger()),
)


def upgrade() -> None:
    """Add the columns where they are missing (a database built by the models has them)."""
    inspector = sa.inspect(op.get_bind())
    batch_columns = {c["name"] for c in inspector.get_columns("anchor_batch")}
    if "chain_batch" not in batch_columns:
        op.add_column("anchor_batch", sa.Column("chain_batch", sa.BigInteger(), nullable=True))
        op.create_index("ix_anchor_batch_chain_batch", "anchor_batch", ["chain_batch"])
    trade_columns = {c["name"] for c in inspector.get_columns("trade")}
    for name, kind in _TRADE_COLUMNS:
        if name not in trade_columns:
            op.add_column("trade", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    """Drop the columns."""
    for name, _ in reversed(_TRADE_COLUMNS):
        op.drop_column("trade", name)
    op.drop_index("ix_anchor_batch_chain_batch", table_name="anchor_batch")
    op.drop_column("anchor_batch", "chain_batch")
