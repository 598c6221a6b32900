"""Risk alerts, their reviews, grading decisions and credit facts (issue 16).

``risk_trade`` keeps what the risk rules read of each trade and ``risk_group_member`` the
groups (buyer, address, phone, payer, item, company) it belongs to, so that a stored
document marks only its trade's groups dirty (``risk_dirty_group``) and only those are
judged again. ``risk_alert`` (with ``risk_alert_trade``) holds the alerts and
``risk_alert_review`` their review history; ``risk_decision`` records every grading
decision with its inputs and their hash; ``credit_fact`` the timestamped facts a party's
credit score is computed from at any date.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, *, index: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, index=index)


def _tables(metadata: sa.MetaData) -> list[sa.Table]:
    """The tables as this revision creates them (written out: the models may change later)."""
    return [
        sa.Table(
            "risk_trade", metadata,
            sa.Column("trade_id", sa.String(64), primary_key=True),
            sa.Column("trade_ref", sa.String(130), nullable=False, index=True),
            _time("app_time", index=True),
            sa.Column("record", sa.Text, nullable=False),
            sa.Column("record_hash", sa.String(64), nullable=False),
            _time("updated_at"),
        ),
        sa.Table(
            "risk_group_member", metadata,
            sa.Column("group_hash", sa.String(64), primary_key=True),
            sa.Column("trade_id", sa.String(64), primary_key=True),
            sa.Index("ix_risk_group_member_trade", "trade_id"),
        ),
        sa.Table(
            "risk_dirty_group", metadata,
            sa.Column("group_hash", sa.String(64), primary_key=True),
            sa.Column("rule", sa.String(64), nullable=False),
            sa.Column("group_key", sa.Text, nullable=False),
        ),
        sa.Table(
            "risk_alert", metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("rule", sa.String(64), nullable=False, index=True),
            sa.Column("group_hash", sa.String(64), nullable=False, index=True),
            sa.Column("group_key", sa.Text, nullable=False),
            sa.Column("trades", sa.Text, nullable=False),
            sa.Column("evidence", sa.Text, nullable=False),
            sa.Column("threshold", sa.Text, nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("active", sa.Boolean, nullable=False),
            _time("created_at"),
            _time("updated_at"),
            sa.Index("ix_risk_alert_status", "status", "updated_at"),
        ),
        sa.Table(
            "risk_alert_trade", metadata,
            sa.Column("alert_id", sa.Integer, sa.ForeignKey("risk_alert.id"), primary_key=True),
            sa.Column("trade_id", sa.String(64), primary_key=True),
            sa.Index("ix_risk_alert_trade_trade", "trade_id"),
        ),
        sa.Table(
            "risk_alert_review", metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column(
                "alert_id", sa.Integer, sa.ForeignKey("risk_alert.id"), nullable=False, index=True
            ),
            sa.Column("reviewer", sa.String(64), nullable=False),
            sa.Column("from_status", sa.String(16), nullable=False),
            sa.Column("to_status", sa.String(16), nullable=False),
            sa.Column("note", sa.Text, nullable=False),
            _time("created_at"),
        ),
        sa.Table(
            "risk_decision", metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("trade_id", sa.String(64), nullable=False),
            sa.Column("kind", sa.String(16), nullable=False),
            sa.Column("grade", sa.String(8), nullable=False),
            sa.Column("factors", sa.Text, nullable=False),
            sa.Column("inputs", sa.Text, nullable=False),
            sa.Column("inputs_hash", sa.String(64), nullable=False),
            sa.Column("party_code", sa.String(64), nullable=True),
            sa.Column("reason", sa.Text, nullable=True),
            _time("created_at"),
            sa.Index("ix_risk_decision_trade", "trade_id", "id"),
        ),
        sa.Table(
            "credit_fact", metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("party_code", sa.String(64), nullable=False),
            sa.Column("kind", sa.String(16), nullable=False),
            sa.Column("subject", sa.String(80), nullable=False),
            sa.Column("detail", sa.Text, nullable=False),
            _time("occurred_at"),
            sa.Index("ix_credit_fact_party", "party_code", "occurred_at"),
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
    """Drop the tables, children first."""
    for table in reversed(_tables(sa.MetaData())):
        op.drop_table(table.name)
