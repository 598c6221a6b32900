"""Typed financing: ``typed_financing`` (one line a bank opened on a trade or a warehouse
receipt, keyed by the LifecycleRegistry's financing id) and ``typed_financing_movement``
(its confirmed drawdowns, repayments, opening and closing; a bank's reference names at most
one movement of a line).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The tables, in the order they are created (each refers only to those before it).
TABLES = ("typed_financing", "typed_financing_movement")


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _tables(metadata: sa.MetaData) -> list[sa.Table]:
    """The tables as this revision creates them (written out: the models may change later)."""
    return [
        sa.Table(
            "typed_financing", metadata,
            sa.Column("financing_id", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("kind", sa.String(24), nullable=False),
            sa.Column("subject", sa.String(64), nullable=False),
            sa.Column("trade_id", sa.String(64), nullable=True, index=True),
            sa.Column("receipt_id", sa.String(64), nullable=True, index=True),
            sa.Column("bank_code", sa.String(64), sa.ForeignKey("party.code"), nullable=False,
                      index=True),
            sa.Column("currency", sa.String(8), nullable=False),
            sa.Column("limit_minor", sa.BigInteger, nullable=False),
            sa.Column("drawn_minor", sa.BigInteger, nullable=False),
            sa.Column("outstanding_minor", sa.BigInteger, nullable=False),
            sa.Column("terms", sa.Text, nullable=False),
            sa.Column("terms_hash", sa.String(64), nullable=False),
            sa.Column("state", sa.String(8), nullable=False),
            _time("opened_at"),
            _time("closed_at", nullable=True),
        ),
        sa.Table(
            "typed_financing_movement", metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("financing_id", sa.BigInteger,
                      sa.ForeignKey("typed_financing.financing_id"), nullable=False, index=True),
            sa.Column("kind", sa.String(16), nullable=False),
            sa.Column("amount_minor", sa.BigInteger, nullable=True),
            sa.Column("reference", sa.String(64), nullable=True),
            sa.Column("outstanding_minor", sa.BigInteger, nullable=False),
            sa.Column("tx_hash", sa.String(66), nullable=False),
            sa.Column("block_number", sa.BigInteger, nullable=False),
            _time("at"),
            sa.UniqueConstraint("financing_id", "reference",
                                name="uq_typed_financing_movement_ref"),
        ),
    ]  # fmt: skip


def upgrade() -> None:
    """Create each table that is missing (a database built by create_all has them all)."""
    bind = op.get_bind()
    present = set(sa.inspect(bind).get_table_names())
    metadata = sa.MetaData()
    sa.Table("party", metadata, autoload_with=bind)  # what the foreign key refers to
    for table in _tables(metadata):
        if table.name not in present:
            table.create(bind)


def downgrade() -> None:
    """Drop the tables, children first."""
    for name in reversed(TABLES):
        op.drop_table(name)
