"""Overseas warehouses (9810): ``warehouse_stock_entry`` (the stock ledger built from the
warehouses' EPCIS events) and ``warehouse_receipt`` (warehouse receipts, 仓单, as the
LifecycleRegistry recorded them).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("warehouse_stock_entry", "warehouse_receipt")


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _tables(metadata: sa.MetaData) -> list[sa.Table]:
    """The tables as this revision creates them (written out: the models may change later)."""
    return [
        sa.Table(
            "warehouse_stock_entry", metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("warehouse_code", sa.String(64), sa.ForeignKey("party.code"),
                      nullable=False, index=True),
            sa.Column("event_hash", sa.String(64), nullable=False, index=True),
            sa.Column("trace_event_id", sa.Integer, sa.ForeignKey("trace_event.id"),
                      nullable=False),
            sa.Column("movement", sa.String(16), nullable=False),
            sa.Column("gtin", sa.String(14), nullable=False),
            sa.Column("lot", sa.String(20), nullable=False),
            sa.Column("quantity", sa.String(32), nullable=False),
            _time("event_time"),
            sa.UniqueConstraint("event_hash", "gtin", "lot", name="uq_warehouse_stock_entry"),
            sa.Index("ix_warehouse_stock_entry_lot", "warehouse_code", "gtin", "lot"),
        ),
        sa.Table(
            "warehouse_receipt", metadata,
            sa.Column("receipt_id", sa.String(64), primary_key=True),
            sa.Column("warehouse_code", sa.String(64), sa.ForeignKey("party.code"),
                      nullable=False, index=True),
            sa.Column("receipt_no", sa.String(64), nullable=False),
            sa.Column("owner_code", sa.String(64), sa.ForeignKey("party.code"), nullable=False,
                      index=True),
            sa.Column("gtin", sa.String(14), nullable=False),
            sa.Column("lot", sa.String(20), nullable=False),
            sa.Column("quantity", sa.String(32), nullable=False),
            sa.Column("value", sa.String(32), nullable=False),
            sa.Column("currency", sa.String(3), nullable=False),
            sa.Column("chain_value", sa.BigInteger, nullable=False),
            sa.Column("record", sa.Text, nullable=False),
            sa.Column("record_hash", sa.String(64), nullable=False),
            sa.Column("issue_tx", sa.String(66), nullable=False),
            sa.Column("issue_block", sa.BigInteger, nullable=False),
            _time("issued_at"),
            _time("cancelled_at", nullable=True),
            sa.Column("cancel_reason", sa.String(500), nullable=True),
            sa.Column("cancel_reason_hash", sa.String(64), nullable=True),
            sa.Column("cancel_tx", sa.String(66), nullable=True),
            sa.UniqueConstraint("warehouse_code", "receipt_no", name="uq_warehouse_receipt_no"),
            sa.Index("ix_warehouse_receipt_lot", "warehouse_code", "gtin", "lot"),
        ),
    ]  # fmt: skip


def upgrade() -> None:
    """Create each table that is missing (a database built by create_all has them all)."""
    bind = op.get_bind()
    present = set(sa.inspect(bind).get_table_names())
    metadata = sa.MetaData()
    sa.Table("party", metadata, autoload_with=bind)  # what the foreign keys refer to
    sa.Table("trace_event", metadata, autoload_with=bind)
    for table in _tables(metadata):
        if table.name not in present:
            table.create(bind)


def downgrade() -> None:
    """Drop the tables."""
    for name in reversed(TABLES):
        op.drop_table(name)
