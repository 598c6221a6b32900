"""The workbench's browser sessions: ``portal_session``.

A signed-in browser holds a random token in an HttpOnly cookie; the table keeps its
SHA-256, the party (none for the operator), the CSRF token of its forms, and when it ends.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``portal_session`` where it is missing."""
    if "portal_session" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "portal_session",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("party_code", sa.String(64), sa.ForeignKey("party.code"), nullable=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("credential_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idle_until", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("portal_session")
