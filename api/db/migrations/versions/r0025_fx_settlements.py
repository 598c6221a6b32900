"""Foreign-exchange settlements: ``fx_settlement`` (one per settlement a bank recorded) and
``fx_settlement_trade`` (each trade it covers, with its share in both currencies and the
keyed hash of the individual whose annual quota view it appears in).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The tables, in the order they are created (each refers only to those before it).
TABLES = ("fx_settlement", "fx_settlement_trade")


def _tables(metadata: sa.MetaData) -> list[sa.Table]:
    """The tables as this revision creates them (written out: the models may change later)."""
    return [
        sa.Table(
            "fx_settlement", metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("bank_code", sa.String(64), sa.ForeignKey("party.code"), nullable=False),
            sa.Column("reference", sa.String(64), nullable=True),
            sa.Column("currency", sa.String(3), nullable=False),
            sa.Column("rate", sa.String(32), nullable=False),
            sa.Column("amount", sa.String(32), nullable=False),
            sa.Column("value_date", sa.Date, nullable=False),
            sa.Column("account_hash", sa.String(64), nullable=False),
            sa.Column("account_masked", sa.String(16), nullable=False),
            sa.Column("record", sa.Text, nullable=False),
            sa.Column("settlement_hash", sa.String(64), nullable=False, unique=True),
            sa.Column("chain_settlement_id", sa.BigInteger, nullable=False),
            sa.Column("tx_hash", sa.String(66), nullable=False),
            sa.Column("block_number", sa.BigInteger, nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.UniqueConstraint("bank_code", "reference", name="uq_fx_settlement_reference"),
            sa.Index("ix_fx_settlement_bank", "bank_code", "id"),
        ),
        sa.Table(
            "fx_settlement_trade", metadata,
            sa.Column("settlement_id", sa.Integer, sa.ForeignKey("fx_settlement.id"),
                      primary_key=True),
            sa.Column("trade_id", sa.String(64), sa.ForeignKey("trade.trade_id"),
                      primary_key=True),
            sa.Column("amount", sa.String(32), nullable=False),
            sa.Column("trade_amount", sa.String(32), nullable=False),
            sa.Column("trade_currency", sa.String(8), nullable=False),
            sa.Column("individual", sa.String(64), nullable=True),
            sa.Column("value_date", sa.Date, nullable=False),
            sa.Index("ix_fx_settlement_trade_trade", "trade_id"),
            sa.Index("ix_fx_settlement_trade_individual", "individual", "value_date"),
        ),
    ]  # fmt: skip


def upgrade() -> None:
    """Create each table that is missing (a database built by create_all has them all)."""
    bind = op.get_bind()
    present = set(sa.inspect(bind).get_table_names())
    metadata = sa.MetaData()
    sa.Table("party", metadata, autoload_with=bind)  # what the foreign keys refer to
    sa.Table("trade", metadata, autoload_with=bind)
    for table in _tables(metadata):
        if table.name not in present:
            table.create(bind)


def downgrade() -> None:
    """Drop the tables, children first."""
    for name in reversed(TABLES):
        op.drop_table(name)
