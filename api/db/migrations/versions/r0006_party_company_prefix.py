"""The ``party_company_prefix`` table: which party owns the GTINs of a GS1 company prefix.

The capture policy lets a lot's brand owner record its events
(:mod:`api.services.trace.policy`); the administrator registers each party's
company prefixes. A database of an earlier revision has none: until they are
registered, only the lot's custody chain may add events to existing lots.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the table (where a database made from the models lacks it)."""
    if "party_company_prefix" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "party_company_prefix",
        sa.Column("prefix", sa.String(length=12), primary_key=True),
        sa.Column("party_code", sa.String(length=64), sa.ForeignKey("party.code"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_party_company_prefix_party_code", "party_company_prefix", ["party_code"])


def downgrade() -> None:
    """Drop the table."""
    op.drop_index("ix_party_company_prefix_party_code", table_name="party_company_prefix")
    op.drop_table("party_company_prefix")
