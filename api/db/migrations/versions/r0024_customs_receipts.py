"""The single-window receipts loop: ``customs_receipt`` and ``inventory_cancel``.

Each customs receipt (CEB312 ... CEB900) ingested from the customs party is kept as
received, linked to its trade and anchored like a document; each inventory cancellation
application (CEB623/CEB605) with customs' decision and the chain transaction after it.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("customs_receipt", "inventory_cancel")


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _tables(metadata: sa.MetaData) -> list[sa.Table]:
    """The tables as this revision creates them (written out: the models may change later)."""
    return [
        sa.Table(
            "customs_receipt", metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
            sa.Column("message_type", sa.String(8), nullable=False),
            sa.Column("guid", sa.String(36), nullable=False),
            sa.Column("trade_id", sa.String(64), nullable=False),
            sa.Column("party_code", sa.String(64), sa.ForeignKey("party.code"), nullable=False),
            sa.Column("status", sa.String(10), nullable=False),
            sa.Column("note", sa.Text, nullable=False),
            sa.Column("return_time", sa.String(17), nullable=False),
            _time("returned_at"),
            sa.Column("invt_no", sa.String(20), nullable=True),
            sa.Column("payload", sa.Text, nullable=False),
            sa.Column("source_xml", sa.Text, nullable=True),
            _time("received_at"),
            sa.UniqueConstraint("message_type", "guid", name="uq_customs_receipt_guid"),
            sa.Index("ix_customs_receipt_trade", "trade_id", "id"),
        ),
        sa.Table(
            "inventory_cancel", metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
            sa.Column("message_type", sa.String(8), nullable=False),
            sa.Column("guid", sa.String(36), nullable=False, unique=True),
            sa.Column("trade_id", sa.String(64), nullable=False),
            sa.Column("party_code", sa.String(64), sa.ForeignKey("party.code"), nullable=False),
            sa.Column("key_id", sa.String(128), nullable=False),
            sa.Column("invt_no", sa.String(20), nullable=False),
            sa.Column("reason", sa.Text, nullable=False),
            sa.Column("envelope", sa.Text, nullable=False),
            sa.Column("source_xml", sa.Text, nullable=False),
            sa.Column("state", sa.String(16), nullable=False),
            sa.Column("decided_by", sa.String(64), nullable=True),
            _time("decided_at", nullable=True),
            sa.Column("decision_hash", sa.String(64), nullable=True),
            sa.Column("decision_note", sa.Text, nullable=True),
            sa.Column("cancel_tx", sa.String(66), nullable=True),
            _time("received_at"),
            sa.Index("ix_inventory_cancel_trade", "trade_id", "id"),
        ),
    ]  # fmt: skip


def upgrade() -> None:
    """Create each table that is missing (a database built by create_all has them all)."""
    bind = op.get_bind()
    present = set(sa.inspect(bind).get_table_names())
    metadata = sa.MetaData()
    sa.Table("party", metadata, autoload_with=bind)  # what the foreign keys refer to
    for table in _tables(metadata):
        if table.name not in present:
            table.create(bind)


def downgrade() -> None:
    """Drop the tables."""
    for name in reversed(TABLES):
        op.drop_table(name)
