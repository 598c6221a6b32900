"""Signing keys registered by certificate: ``party_key.certificate`` and ``valid_until``.

A party may register an SM2 X.509 certificate (the e-port's enterprise certificate)
instead of a bare key; the key then carries the certificate's PEM and its notAfter,
after which the key signs nothing more. Both columns are empty for bare keys.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the two nullable columns to ``party_key`` where they are missing (a database
    adopted at the baseline from a newer schema may have them already)."""
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("party_key")}
    if "certificate" not in present:
        op.add_column("party_key", sa.Column("certificate", sa.Text(), nullable=True))
    if "valid_until" not in present:
        op.add_column(
            "party_key", sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("party_key") as batch:
        batch.drop_column("valid_until")
        batch.drop_column("certificate")
