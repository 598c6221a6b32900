"""The zone's lasting choices: ``zone_setting``, and the digest profile of a ledger that has
documents already.

Every document stored before this revision was hashed with SHA-256, so a database that
holds any document records ``digest_profile = sha256``: a later start with
``SANDAN_DIGEST_PROFILE=sm3`` is then refused instead of mixing two meanings of a hash.
An empty ledger records nothing here; its first start records the configured profile.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "zone_setting"


def upgrade() -> None:
    """Create ``zone_setting`` where it is missing; record SHA-256 for a ledger with documents."""
    bind = op.get_bind()
    if _TABLE not in sa.inspect(bind).get_table_names():
        op.create_table(
            _TABLE,
            sa.Column("name", sa.String(64), primary_key=True),
            sa.Column("value", sa.String(255), nullable=False),
            sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        )
    has_documents = bind.execute(sa.text("SELECT 1 FROM document LIMIT 1")).first() is not None
    recorded = bind.execute(
        sa.text("SELECT 1 FROM zone_setting WHERE name = 'digest_profile'")
    ).first()
    if has_documents and recorded is None:
        bind.execute(
            sa.text("INSERT INTO zone_setting (name, value, set_at) VALUES (:n, :v, :t)"),
            {"n": "digest_profile", "v": "sha256", "t": datetime.now(UTC)},
        )


def downgrade() -> None:
    """Drop the table."""
    op.drop_table(_TABLE)
