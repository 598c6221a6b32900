"""Customs' standing release policies and the automatic decisions taken under them (issue 16).

``release_policy`` mirrors each policy adopted on chain, with customs' signature;
``auto_release`` records each automatic decision (queued, released, refused or skipped,
with the grade, mode, value and the hash of the grade's inputs), once per trade, verdict
and policy.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _tables(metadata: sa.MetaData) -> list[sa.Table]:
    """The tables as this revision creates them (written out: the models may change later)."""
    return [
        sa.Table(
            "release_policy", metadata,
            sa.Column("policy_id", sa.String(64), primary_key=True),
            sa.Column("customs_code", sa.String(64), nullable=False, index=True),
            sa.Column("signer", sa.String(42), nullable=False),
            sa.Column("grades", sa.String(32), nullable=False),
            sa.Column("modes", sa.String(32), nullable=False),
            sa.Column("max_value_fen", sa.BigInteger, nullable=False),
            _time("valid_from"),
            _time("valid_until"),
            sa.Column("salt", sa.String(64), nullable=False),
            sa.Column("signature", sa.String(132), nullable=False),
            sa.Column("adopted_tx", sa.String(66), nullable=False),
            sa.Column("adopted_block", sa.BigInteger, nullable=False),
            _time("revoked_at", nullable=True),
            sa.Column("revoked_tx", sa.String(66), nullable=True),
            _time("created_at"),
        ),
        sa.Table(
            "auto_release", metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("trade_id", sa.String(64), nullable=False, index=True),
            sa.Column("verdict_hash", sa.String(64), nullable=False),
            sa.Column("policy_id", sa.String(64), nullable=False),
            sa.Column("outcome", sa.String(16), nullable=False),
            sa.Column("reason", sa.Text, nullable=True),
            sa.Column("grade", sa.String(8), nullable=False),
            sa.Column("mode", sa.String(8), nullable=True),
            sa.Column("value_fen", sa.BigInteger, nullable=True),
            sa.Column("decision_id", sa.Integer, nullable=True),
            sa.Column("inputs_hash", sa.String(64), nullable=False),
            sa.Column("verdict_batch", sa.BigInteger, nullable=True),
            sa.Column("verdict_position", sa.Integer, nullable=True),
            _time("created_at"),
            sa.UniqueConstraint("trade_id", "verdict_hash", "policy_id", name="uq_auto_release"),
            sa.Index("ix_auto_release_outcome", "outcome", "id"),
        ),
    ]  # fmt: skip


def upgrade() -> None:
    """Create the tables where they are missing (a database built by the models has them)."""
    bind = op.get_bind()
    present = set(sa.inspect(bind).get_table_names())
    for table in _tables(sa.MetaData()):
        if table.name not in present:
            table.create(bind)


def downgrade() -> None:
    """Drop the tables."""
    for table in reversed(_tables(sa.MetaData())):
        op.drop_table(table.name)
