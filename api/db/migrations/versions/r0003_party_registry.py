"""Parties and keys recorded on chain: the PartyRegistry columns, and the writes to catch up.

Until this revision, parties and keys lived only in sandan's database. The
PartyRegistry now holds them on chain, and a key signs nothing that gets anchored
until the registry has recorded it. So this revision adds the columns, then queues,
in the ``party`` outbox lane, the registry writes that a database of that age never
made: every party with its roles, every key, every revocation. The worker sends them
before any document still waiting; documents already anchored stay as they are (they
were anchored before their keys were recorded, and ``sandan verify`` says so).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from traceability import content_hash
from traceability.signing.registry_ids import role_mask

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PARTY_COLUMNS: dict[str, Any] = {
    "uscc": sa.String(length=18),
    "customs_code": sa.String(length=10),
    "chain_block": sa.BigInteger(),
}
_KEY_COLUMNS: dict[str, Any] = {
    "chain_block": sa.BigInteger(),
    "compromised_since_block": sa.BigInteger(),
    "revoked_chain_block": sa.BigInteger(),
}


def _add_missing(table: str, columns: dict[str, Any]) -> None:
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}
    for name, kind in columns.items():
        if name not in present:
            op.add_column(table, sa.Column(name, kind, nullable=True))


def _outbox(
    subject: str, op_name: str, args: dict[str, object], now: datetime
) -> dict[str, object]:
    payload = json.dumps({"op": op_name, "args": args}, sort_keys=True)
    return {
        "kind": "party",
        "subject": subject,
        "lane": "party",
        "payload": payload,
        "created_at": now,
    }


def upgrade() -> None:
    """Add the columns; queue the registry writes of existing parties, keys and revocations."""
    _add_missing("party", _PARTY_COLUMNS)
    _add_missing("party_key", _KEY_COLUMNS)
    bind = op.get_bind()
    now = datetime.now(UTC)
    rows: list[dict[str, object]] = []
    for code, name, roles in bind.execute(
        sa.text("SELECT code, name, roles FROM party ORDER BY code")
    ):
        record = {"code": code, "name": name, "uscc": None, "customsCode": None}
        role_names = [r for r in str(roles).split(",") if r]
        args = {
            "code": code,
            "recordHash": content_hash(record).hex(),
            "roles": role_mask(role_names),
        }
        rows.append(_outbox(f"party:{code}", "registerParty", args, now))
    keys = bind.execute(
        sa.text(
            "SELECT key_id, party_code, alg, public_key, revoked_at, revocation_reason "
            "FROM party_key ORDER BY key_id"
        )
    )
    for key_id, party_code, alg, public_key, revoked_at, reason in keys:
        args = {"code": party_code, "keyId": key_id, "alg": alg, "publicKey": public_key}
        rows.append(_outbox(f"key:{key_id}", "addKey", args, now))
        if revoked_at is not None:
            revoke = {"keyId": key_id, "compromisedSinceBlock": 0, "reason": reason or "revoked"}
            rows.append(_outbox(f"key:{key_id}:revoke", "revokeKey", revoke, now))
    if rows:
        outbox = sa.table(
            "outbox",
            sa.column("kind"),
            sa.column("subject"),
            sa.column("lane"),
            sa.column("payload"),
            sa.column("created_at", sa.DateTime(timezone=True)),
        )
        op.bulk_insert(outbox, rows)


def downgrade() -> None:
    """Drop the registry's outbox rows and the columns."""
    op.execute("DELETE FROM outbox WHERE lane = 'party'")
    for name in _KEY_COLUMNS:
        op.drop_column("party_key", name)
    for name in _PARTY_COLUMNS:
        op.drop_column("party", name)
