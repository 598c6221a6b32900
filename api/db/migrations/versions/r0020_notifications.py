"""Notifications: ``notification`` (the inbox), ``webhook``, ``webhook_delivery`` and
``webhook_attempt`` (the delivery log).

An event is written to each recipient's inbox, and queued for each of its webhooks, in the
transaction of the fact it reports; the service's deliverer sends what is due, signed, and
logs every attempt.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The tables, in the order they are created (each refers only to those before it).
TABLES = ("webhook", "notification", "webhook_delivery", "webhook_attempt")


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _tables(metadata: sa.MetaData) -> list[sa.Table]:
    """The tables as this revision creates them (written out: the models may change later)."""
    return [
        sa.Table(
            "webhook", metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("party_code", sa.String(64), sa.ForeignKey("party.code"), nullable=False,
                      index=True),
            sa.Column("url", sa.String(2048), nullable=False),
            sa.Column("kinds", sa.String(400), nullable=False),
            sa.Column("encrypted_secret", sa.Text, nullable=False),
            _time("created_at"),
            _time("deleted_at", nullable=True),
        ),
        sa.Table(
            "notification", metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("party_code", sa.String(64), sa.ForeignKey("party.code"), nullable=False),
            sa.Column("kind", sa.String(32), nullable=False),
            sa.Column("trade_id", sa.String(64), nullable=True),
            sa.Column("payload", sa.Text, nullable=False),
            _time("created_at"),
            _time("read_at", nullable=True),
            sa.Index("ix_notification_party", "party_code", "id"),
        ),
        sa.Table(
            "webhook_delivery", metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("webhook_id", sa.Integer, sa.ForeignKey("webhook.id"), nullable=False),
            sa.Column("notification_id", sa.Integer, sa.ForeignKey("notification.id"),
                      nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("attempts", sa.Integer, nullable=False),
            _time("next_attempt_at", nullable=True),
            sa.Column("last_status", sa.Integer, nullable=True),
            sa.Column("last_error", sa.Text, nullable=True),
            _time("delivered_at", nullable=True),
            _time("created_at"),
            sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
            sa.Index("ix_webhook_delivery_webhook", "webhook_id", "id"),
        ),
        sa.Table(
            "webhook_attempt", metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("delivery_id", sa.Integer, sa.ForeignKey("webhook_delivery.id"),
                      nullable=False),
            sa.Column("attempt", sa.Integer, nullable=False),
            _time("at"),
            sa.Column("status_code", sa.Integer, nullable=True),
            sa.Column("error", sa.Text, nullable=True),
            sa.Index("ix_webhook_attempt_delivery", "delivery_id", "attempt"),
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
    """Drop the tables, children first."""
    for name in reversed(TABLES):
        op.drop_table(name)
