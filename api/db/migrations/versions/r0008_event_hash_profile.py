"""Give ``trace_event`` a ``hash_profile`` column: the event hash rule each row was anchored with.

The default event hash rule became ``gs1-ref/2`` (what the GS1 reference generator, epcis2.js
and OpenEPCIS compute). Every row stored before was hashed, and anchored, with the old rule,
so existing rows get ``sandan-cbv/1`` and keep verifying under it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The profile of every row stored before this revision (traceability.epcis.hashing.LEGACY_PROFILE,
#: written out: a migration must not change when the code's constants do).
_LEGACY: str = "sandan-cbv/1"
_INDEX = "ix_trace_event_hash_profile"


def upgrade() -> None:
    """Add ``trace_event.hash_profile`` where it is missing (a database adopted at the baseline
    from an unmigrated one built by the models may have it already)."""
    inspector = sa.inspect(op.get_bind())
    columns = {c["name"] for c in inspector.get_columns("trace_event")}
    if "hash_profile" not in columns:
        op.add_column(
            "trace_event",
            sa.Column("hash_profile", sa.String(32), nullable=False, server_default=_LEGACY),
        )
    # Capture asks whether any legacy row is left: an index seek, not a scan of every event.
    indexes = {i["name"] for i in inspector.get_indexes("trace_event")}
    if _INDEX not in indexes:
        op.create_index(_INDEX, "trace_event", ["hash_profile"])


def downgrade() -> None:
    """Drop ``trace_event.hash_profile`` and its index."""
    op.drop_index(_INDEX, table_name="trace_event")
    op.drop_column("trace_event", "hash_profile")
