"""Business keys name the signer: ``<kind>:<signer>:<natural key>``.

Until this revision a document's business key was ``<kind>:<natural key>``, so any
party naming the same numbers issued a "new version" of another party's document
(issue 12, finding 3). Keys now name the signing party; this revision rewrites the
stored keys to that form, so the next correction a party sends still supersedes its
own current version. Every stored key has the old form (kind, ``:``, natural key).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


#: The kind's ``:`` is the first one: the signer goes right after it. SQLite spells
#: "position of" ``instr``, PostgreSQL ``strpos``.
_UPGRADE = (
    "UPDATE document SET doc_key = substr(doc_key, 1, {at}) || party_code || ':' "
    "|| substr(doc_key, {at} + 1)"
)
_DOWNGRADE = (
    "UPDATE document SET doc_key = substr(doc_key, 1, {at}) "
    "|| substr(doc_key, {at} + length(party_code) + 2)"
)


def _run(template: str) -> None:
    bind = op.get_bind()
    at = "strpos(doc_key, ':')" if bind.dialect.name == "postgresql" else "instr(doc_key, ':')"
    bind.execute(text(template.replace("{at}", at)))


def upgrade() -> None:
    """Insert each document's signer into its business key."""
    _run(_UPGRADE)


def downgrade() -> None:
    """Take the signer out of each business key again."""
    _run(_DOWNGRADE)
