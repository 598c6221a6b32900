"""Public keys are unique across parties: a fingerprint column per key, backfilled.

Until this revision a party could register another party's public key as its own
(and then claim, say, that party's signed CEB XML bytes). ``party_key.key_fingerprint``
holds :func:`traceability.public_key_fingerprint` (SHA-256 of the key's canonical
bytes, so a compressed and an uncompressed point are one key) under a unique index,
and ``party.xml_key_fingerprint`` does the same for the public key of the XML-signing
certificate.

Existing rows are backfilled. Where an old database already holds one key twice, the
earliest registration (by ``valid_from``, then key id) keeps it; each later one keeps a
NULL fingerprint and is revoked from now, with its revocation queued for the
PartyRegistry like revision 0003's. Documents it signed before stay as they are. A key
the stricter loader now refuses (an Ed25519 point of small order) keeps a NULL
fingerprint and is revoked the same way. A certificate whose key another party's
certificate already has is removed (XML from that party is then "unverified" until
it registers its own).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from traceability import Algorithm, InvalidKey, public_key_fingerprint
from traceability.ceb import certificate_key_fingerprint

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DUPLICATE = "public key registered earlier under another key id"
_INVALID = "public key refused by the stricter key checks of revision 0004"


def _revocation(key_id: str, reason: str, now: datetime) -> dict[str, object]:
    args = {"keyId": key_id, "compromisedSinceBlock": 0, "reason": reason}
    return {
        "kind": "party",
        "subject": f"key:{key_id}:revoke",
        "lane": "party",
        "payload": json.dumps({"op": "revokeKey", "args": args}, sort_keys=True),
        "created_at": now,
    }


def _fingerprint(alg: str, public_key: str) -> str | None:
    try:
        return public_key_fingerprint(Algorithm(alg), public_key)
    except (InvalidKey, ValueError):
        return None


def _backfill_keys(bind: sa.Connection, now: datetime) -> list[dict[str, object]]:
    """Set each key's fingerprint; revoke the later copies of a key and unreadable keys."""
    seen: set[str] = set()
    revocations = []
    rows = bind.execute(
        sa.text(
            "SELECT key_id, alg, public_key, revoked_at FROM party_key ORDER BY valid_from, key_id"
        )
    ).all()
    for key_id, alg, public_key, revoked_at in rows:
        fingerprint = _fingerprint(alg, public_key)
        if fingerprint is not None and fingerprint not in seen:
            seen.add(fingerprint)
            bind.execute(
                sa.text("UPDATE party_key SET key_fingerprint = :f WHERE key_id = :k"),
                {"f": fingerprint, "k": key_id},
            )
            continue
        if revoked_at is None:
            reason = _DUPLICATE if fingerprint is not None else _INVALID
            bind.execute(
                sa.text(
                    "UPDATE party_key SET revoked_at = :now, revocation_reason = :reason "
                    "WHERE key_id = :k"
                ),
                {"now": now, "reason": reason, "k": key_id},
            )
            revocations.append(_revocation(key_id, reason, now))
    return revocations


def _backfill_certificates(bind: sa.Connection) -> None:
    """Set each XML certificate's key fingerprint; drop a later party's copy of a key."""
    seen: set[str | None] = {None}
    rows = bind.execute(
        sa.text(
            "SELECT code, xml_certificate FROM party WHERE xml_certificate IS NOT NULL "
            "ORDER BY created_at, code"
        )
    ).all()
    for code, pem in rows:
        try:
            fingerprint: str | None = certificate_key_fingerprint(pem.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            fingerprint = None  # unreadable: XML from that party was never verifiable
        if fingerprint in seen:
            bind.execute(
                sa.text("UPDATE party SET xml_certificate = NULL WHERE code = :c"), {"c": code}
            )
            continue
        seen.add(fingerprint)
        bind.execute(
            sa.text("UPDATE party SET xml_key_fingerprint = :f WHERE code = :c"),
            {"f": fingerprint, "c": code},
        )


#: (table, column, unique index) added here.
_FINGERPRINTS = (
    ("party_key", "key_fingerprint", "ix_party_key_key_fingerprint"),
    ("party", "xml_key_fingerprint", "ix_party_xml_key_fingerprint"),
)


def upgrade() -> None:
    """Add and fill the fingerprint columns, then make them unique.

    A database adopted at the baseline after ``create_all`` made it (sandan before
    Alembic) may have the columns already: they are added and indexed only where missing.
    """
    bind = op.get_bind()
    for table, column, _ in _FINGERPRINTS:
        if column not in {c["name"] for c in sa.inspect(bind).get_columns(table)}:
            op.add_column(table, sa.Column(column, sa.String(length=64), nullable=True))
    revocations = _backfill_keys(bind, datetime.now(UTC))
    _backfill_certificates(bind)
    for table, column, index in _FINGERPRINTS:
        if index not in {i["name"] for i in sa.inspect(bind).get_indexes(table)}:
            op.create_index(index, table, [column], unique=True)
    if revocations:
        outbox = sa.table(
            "outbox",
            sa.column("kind"),
            sa.column("subject"),
            sa.column("lane"),
            sa.column("payload"),
            sa.column("created_at", sa.DateTime(timezone=True)),
        )
        op.bulk_insert(outbox, revocations)


def downgrade() -> None:
    """Drop the fingerprints (revocations made by the upgrade stand)."""
    for table, column, index in _FINGERPRINTS:
        op.drop_index(index, table_name=table)
        op.drop_column(table, column)
