"""Return applications: ``trade_return`` (import CEB625 and retail export CEB213).

Each return is a signed document with its replay key, the trade it names, sandan's
verdict (accepted or refused, with the reasons), the amounts, what the chain recorded
and the CEB626/CEB214 receipt fixed when it was decided.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _table(metadata: sa.MetaData) -> sa.Table:
    """The table as this revision creates it (written out: the model may change later)."""
    return sa.Table(
        "trade_return", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("doc_type", sa.String(8), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("party_code", sa.String(64), nullable=False, index=True),
        sa.Column("key_id", sa.String(128), nullable=False),
        sa.Column("salt", sa.String(128), nullable=False),
        sa.Column("app_guid", sa.String(36), nullable=False),
        sa.Column("ebp_code", sa.String(64), nullable=False),
        sa.Column("order_no", sa.String(64), nullable=False, index=True),
        sa.Column("invt_no", sa.String(32), nullable=True),
        sa.Column("trade_id", sa.String(64), nullable=True),
        sa.Column("buyer_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("verdict", sa.Text, nullable=False),
        sa.Column("amount", sa.String(32), nullable=False),
        sa.Column("returned_total", sa.String(32), nullable=False),
        sa.Column("whole", sa.Boolean, nullable=False),
        sa.Column("currency", sa.String(8), nullable=True),
        sa.Column("chain_tx", sa.String(66), nullable=True),
        sa.Column("chain_block", sa.BigInteger, nullable=True),
        sa.Column("receipt_guid", sa.String(36), nullable=False),
        sa.Column("receipt_status", sa.String(8), nullable=False),
        sa.Column("receipt_info", sa.Text, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("envelope", sa.Text, nullable=False),
        sa.Column("source_xml", sa.Text, nullable=True),
        _time("received_at"),
        _time("decided_at", nullable=True),
        sa.UniqueConstraint("key_id", "salt", name="uq_trade_return_replay"),
        sa.Index("ix_trade_return_trade", "trade_id", "id"),
    )  # fmt: skip


def upgrade() -> None:
    """Create ``trade_return`` if it is missing (a database built by create_all has it)."""
    bind = op.get_bind()
    if "trade_return" not in set(sa.inspect(bind).get_table_names()):
        _table(sa.MetaData()).create(bind)


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("trade_return")
