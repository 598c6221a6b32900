"""Revision 0004: key fingerprints backfilled, duplicates of one public key revoked."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from api.db.engine import create_db_and_tables
from api.db.migrate import alembic_config, head_revision
from tests.api.db.test_migrations import load_main_dump, load_main_into_postgres, schema_differences
from traceability import Algorithm, SigningKey, public_key_fingerprint
from traceability.signing import b64url_decode, b64url_encode

OLD = datetime(2026, 1, 1, tzinfo=UTC)


def _compressed(public_key: str) -> str:
    point = b64url_decode(public_key)
    return b64url_encode(bytes([2 + (point[-1] & 1)]) + point[1:33])


def _at_revision_0003(engine: Engine) -> None:
    with engine.connect() as connection:
        command.upgrade(alembic_config(connection), "0003")
        connection.commit()


def _insert(engine: Engine, keys: list[tuple[str, str, str, str, datetime]]) -> None:
    with engine.begin() as connection:
        for code in sorted({party for _, party, *_ in keys}):
            connection.execute(
                text(
                    "INSERT INTO party (code, name, roles, api_key_hash, created_at) "
                    "VALUES (:c, :c, 'platform', :h, :t)"
                ),
                {"c": code, "h": code.ljust(64, "0"), "t": OLD},
            )
        for key_id, party, alg, public_key, since in keys:
            connection.execute(
                text(
                    "INSERT INTO party_key (key_id, party_code, alg, public_key, valid_from) "
                    "VALUES (:k, :p, :a, :pk, :v)"
                ),
                {"k": key_id, "p": party, "a": alg, "pk": public_key, "v": since},
            )


def _upgrade(engine: Engine) -> None:
    with engine.connect() as connection:
        command.upgrade(alembic_config(connection), "head")
        connection.commit()


def test_upgrade_keeps_the_first_registration_of_a_key_and_revokes_later_copies(
    engine: Engine,
) -> None:
    _at_revision_0003(engine)
    shared = SigningKey.generate(Algorithm.ES256).public_key
    own = SigningKey.generate(Algorithm.ED25519).public_key
    _insert(
        engine,
        [
            ("victim-k1", "VICTIM", "ES256", shared, OLD),
            # the same point, compressed, a day later, by another party
            ("thief-k1", "THIEF", "ES256", _compressed(shared), OLD + timedelta(days=1)),
            ("victim-k2", "VICTIM", "ES256", shared, OLD + timedelta(days=2)),
            ("thief-k2", "THIEF", "Ed25519", own, OLD + timedelta(days=3)),
            # an Ed25519 point of small order (the identity): refused since 0004
            ("odd-k1", "THIEF", "Ed25519", b64url_encode((1).to_bytes(32, "little")), OLD),
        ],
    )

    _upgrade(engine)

    with engine.connect() as connection:
        rows = {
            key_id: (fingerprint, revoked_at is not None, reason)
            for key_id, fingerprint, revoked_at, reason in connection.execute(
                text("SELECT key_id, key_fingerprint, revoked_at, revocation_reason FROM party_key")
            )
        }
        revocations = [
            (subject, json.loads(payload))
            for subject, payload in connection.execute(
                text("SELECT subject, payload FROM outbox WHERE subject LIKE :pattern"),
                {"pattern": "%:revoke"},
            )
        ]
    assert rows["victim-k1"] == (public_key_fingerprint(Algorithm.ES256, shared), False, None)
    assert rows["thief-k2"] == (public_key_fingerprint(Algorithm.ED25519, own), False, None)
    for copy in ("thief-k1", "victim-k2", "odd-k1"):
        fingerprint, revoked, reason = rows[copy]
        assert fingerprint is None
        assert revoked
        assert reason
    assert sorted(subject for subject, _ in revocations) == [
        "key:odd-k1:revoke",
        "key:thief-k1:revoke",
        "key:victim-k2:revoke",
    ]
    assert all(p["op"] == "revokeKey" for _, p in revocations)
    assert schema_differences(engine) == []


def test_upgraded_database_refuses_a_second_copy_of_a_key(engine: Engine) -> None:
    _at_revision_0003(engine)
    key = SigningKey.generate(Algorithm.SM2).public_key
    _insert(engine, [("a-k1", "A", "SM2", key, OLD)])
    _upgrade(engine)
    fingerprint = public_key_fingerprint(Algorithm.SM2, key)
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT key_fingerprint FROM party_key WHERE key_id = 'a-k1'")
        ).scalar_one()
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == (
            head_revision()
        )
    assert stored == fingerprint
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO party_key (key_id, party_code, alg, public_key, valid_from, "
                "key_fingerprint) VALUES ('a-k2', 'A', 'SM2', :pk, :v, :f)"
            ),
            {"pk": _compressed(key), "v": OLD, "f": fingerprint},
        )


def test_upgrade_database_made_by_main_fingerprints_every_key(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    """The demo's keys are all distinct and well formed: each gets its fingerprint, none
    is revoked by the upgrade."""
    if engine.dialect.name == "sqlite":
        engine.dispose()
        load_main_dump(Path(database_url.removeprefix("sqlite:///")))
    else:
        load_main_into_postgres(engine, tmp_path)
    create_db_and_tables(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT alg, public_key, key_fingerprint, revoked_at FROM party_key")
        ).all()
    assert len(rows) == 11
    for alg, public_key, fingerprint, revoked_at in rows:
        assert fingerprint == public_key_fingerprint(Algorithm(alg), public_key)
        assert revoked_at is None
