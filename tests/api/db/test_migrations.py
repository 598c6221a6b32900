"""Alembic migrations: fresh databases match the models; databases made by main upgrade intact."""

from __future__ import annotations

import gzip
import sqlite3
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, insert, inspect, select, text
from sqlalchemy.engine import Engine

from api.db.engine import create_db_and_tables, make_engine
from api.db.migrate import alembic_config, current_revision, head_revision, target_metadata
from api.db.zone import ZoneMismatch, settle_digest_profile
from traceability import DigestProfile

DATA = Path(__file__).resolve().parents[2] / "data" / "db"
#: `sandan demo` of commit 0c65177 (main before Alembic), as `sqlite3 .dump` text.
MAIN_DUMP = DATA / "main-0c65177.sql.gz"
#: The PostgreSQL DDL that 0c65177's create_all emits (captured from that checkout).
MAIN_POSTGRES_SCHEMA = DATA / "main-0c65177.postgres.sql.gz"

#: What a demo run leaves behind, per table (read once from the dump; asserted unchanged).
SAMPLES = {
    "documents": "SELECT id, content_hash, doc_type, party_code, trade_id FROM document"
    " ORDER BY id",
    "envelopes": "SELECT content_hash, envelope FROM document ORDER BY id",
    "trades": "SELECT trade_id, status, verdict_hash, order_hash, waybill_hash FROM trade"
    " ORDER BY trade_id",
    "proofs": "SELECT id, kind, subject, batch_id, proof FROM outbox WHERE lane <> 'party'"
    " ORDER BY id",
    "batches": "SELECT id, root, tx_hash, block_number, state FROM anchor_batch ORDER BY id",
    "events": "SELECT id, event_hash, event_id, captured_by FROM trace_event ORDER BY id",
    "parties": "SELECT code, roles, api_key_hash, chain_address FROM party ORDER BY code",
}


def _dump_text(path: Path) -> str:
    """A frozen dump, kept gzipped: it is data from an old release, never edited."""
    return gzip.decompress(path.read_bytes()).decode("utf-8")


#: The tables of revision 0015, empty in a database made before it.
RISK_TABLES = (
    "risk_trade", "risk_group_member", "risk_dirty_group", "risk_alert", "risk_alert_trade",
    "risk_alert_review", "risk_decision", "credit_fact",
)  # fmt: skip

#: Indexes on an expression, which SQLAlchemy cannot reflect on SQLite (autogenerate skips
#: them with a warning): their presence is checked by name instead.
EXPRESSION_INDEXES = {"ix_outbox_verdict_trade"}


def _index_names(connection: Any) -> set[str]:
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'index'"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    return set(connection.execute(text(query)).scalars())


def schema_differences(engine: Engine) -> list[Any]:
    """What autogenerate would change to make the database match the models."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
            changes: list[Any] = list(compare_metadata(context, target_metadata()))
        missing = EXPRESSION_INDEXES - _index_names(connection)
        return changes + [("missing expression index", name) for name in sorted(missing)]


def snapshot(engine: Engine) -> dict[str, Any]:
    """Row counts of every sandan table the database has, and the sample rows."""
    with engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        counts = {
            name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
            for name in target_metadata().tables
            if name in present
        }
        rows = {key: [tuple(r) for r in connection.execute(text(q))] for key, q in SAMPLES.items()}
    return {"counts": counts, "rows": rows}


def load_main_dump(path: Path) -> None:
    """A SQLite file exactly as sandan 0c65177 left it after its demo."""
    with sqlite3.connect(path) as connection:
        connection.executescript(_dump_text(MAIN_DUMP))


def load_main_into_postgres(engine: Engine, tmp_path: Path) -> None:
    """0c65177's PostgreSQL schema, filled with the rows of the dump."""
    source = make_engine(f"sqlite:///{tmp_path / 'main-source.db'}")
    load_main_dump(tmp_path / "main-source.db")
    old = MetaData()
    old.reflect(source)
    with engine.begin() as connection:
        connection.exec_driver_sql(_dump_text(MAIN_POSTGRES_SCHEMA))
        connection.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")  # SQLite kept UTC, naive
        target = MetaData()
        target.reflect(connection)
        with source.connect() as reader:
            for table in target.sorted_tables:
                rows = [dict(r) for r in reader.execute(select(old.tables[table.name])).mappings()]
                if rows:
                    connection.execute(insert(table), rows)
        # As pg_dump's restore does: each serial column's sequence continues after the
        # rows copied with their ids (a migration that inserts rows relies on it).
        for table in target.sorted_tables:
            for column in table.columns:
                if column.autoincrement is True or (
                    column.primary_key and str(column.type) in ("INTEGER", "BIGINT")
                ):
                    connection.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', "
                        f"'{column.name}'), coalesce(max(\"{column.name}\"), 0) + 1, false) "
                        f'FROM "{table.name}" WHERE pg_get_serial_sequence(\'"{table.name}"\', '
                        f"'{column.name}') IS NOT NULL"
                    )
    source.dispose()


@pytest.fixture(scope="module")
def main_snapshot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("main") / "main.db"
    load_main_dump(path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        return snapshot(engine)
    finally:
        engine.dispose()


def test_main_dump_holds_a_whole_demo(main_snapshot):
    counts = main_snapshot["counts"]
    assert counts["document"] == 12
    assert counts["trade"] == 3
    assert counts["trace_event"] == 8
    proofs = [(kind, proof) for _, kind, _, _, proof in main_snapshot["rows"]["proofs"]]
    assert all(proof for kind, proof in proofs if kind in ("document", "event"))
    assert len(proofs) == 24


def test_upgrade_database_made_by_main_keeps_every_row(
    database_url, engine, tmp_path, main_snapshot
):
    if engine.dialect.name == "sqlite":
        engine.dispose()
        load_main_dump(Path(database_url.removeprefix("sqlite:///")))
    else:
        load_main_into_postgres(engine, tmp_path)
    assert snapshot(engine) == main_snapshot

    create_db_and_tables(engine)

    with engine.connect() as connection:
        assert current_revision(connection) == head_revision()
        # Revision 0003 queues the PartyRegistry writes such a database never made: every
        # party, every key (and every revocation), before any document still waiting.
        registry_writes = connection.execute(
            text("SELECT subject, payload FROM outbox WHERE lane = 'party' ORDER BY id")
        ).all()
    counts = main_snapshot["counts"]
    parties = [s for s, _ in registry_writes if s.startswith("party:")]
    keys = [s for s, _ in registry_writes if s.startswith("key:")]
    assert len(parties) == counts["party"]
    assert len(keys) >= counts["party_key"]
    upgraded = snapshot(engine)
    upgraded["counts"]["outbox"] -= len(registry_writes)
    # Revision 0006 adds the brand owners' company prefixes: none yet.
    assert upgraded["counts"].pop("party_company_prefix") == 0
    # Revision 0009 adds the brand owners' product master data: none yet either.
    assert upgraded["counts"].pop("product") == 0
    # Revision 0010 adds the resolver's trace version counter: one row, no data of its own.
    # Revision 0011 adds the lots' versions: none until a lot's rows change; on SQLite they are
    # drawn from a second counter row (PostgreSQL has a sequence).
    rows = 2 if engine.dialect.name == "sqlite" else 1
    assert upgraded["counts"].pop("trace_version") == rows
    assert upgraded["counts"].pop("trace_lot_version") == 0
    # Revision 0015 adds the risk alerts, grading decisions and credit facts: none yet.
    for table in RISK_TABLES:
        assert upgraded["counts"].pop(table) == 0, table
    # Revision 0016 adds customs' standing release policies and the automatic decisions.
    for table in ("release_policy", "auto_release"):
        assert upgraded["counts"].pop(table) == 0, table
    # Revision 0018 records that the ledger's documents were hashed with SHA-256, so a start
    # configured for SM3 is refused rather than mixing two meanings of a hash.
    assert upgraded["counts"].pop("zone_setting") == 1
    # Revision 0019 adds the workbench's browser sessions: none yet.
    assert upgraded["counts"].pop("portal_session") == 0
    # Revision 0020 adds the notifications: inboxes, webhooks and their delivery log, empty.
    for table in ("notification", "webhook", "webhook_delivery", "webhook_attempt"):
        assert upgraded["counts"].pop(table) == 0, table
    # Revision 0023 adds the return applications: none yet.
    assert upgraded["counts"].pop("trade_return") == 0
    # Revision 0026 adds the overseas warehouses' stock ledger and receipts: none yet.
    for table in ("warehouse_stock_entry", "warehouse_receipt"):
        assert upgraded["counts"].pop(table) == 0, table
    # Revision 0027 adds typed financing: the lines banks opened and their movements.
    for table in ("typed_financing", "typed_financing_movement"):
        assert upgraded["counts"].pop(table) == 0, table
    # Revision 0025 adds the banks' foreign-exchange settlements: none yet.
    for table in ("fx_settlement", "fx_settlement_trade"):
        assert upgraded["counts"].pop(table) == 0, table
    # Revision 0024 adds the customs receipts and the inventory cancellations: none yet.
    for table in ("customs_receipt", "inventory_cancel"):
        assert upgraded["counts"].pop(table) == 0, table
    assert settle_digest_profile(engine, None) is DigestProfile.SHA256
    with pytest.raises(ZoneMismatch, match="SANDAN_DIGEST_PROFILE=sm3, but this ledger's"):
        settle_digest_profile(engine, DigestProfile.SM3)
    assert upgraded == main_snapshot
    assert schema_differences(engine) == []


def test_migrations_from_empty_build_the_models_schema(engine):
    with engine.connect() as connection:
        command.upgrade(alembic_config(connection), "head")
        connection.commit()
    assert schema_differences(engine) == []


def test_create_db_on_empty_database_builds_the_models_schema_at_head(engine):
    create_db_and_tables(engine)
    with engine.connect() as connection:
        assert current_revision(connection) == head_revision()
    assert schema_differences(engine) == []


def test_create_db_adds_the_column_missing_from_a_database_before_ceb_xml(engine):
    create_db_and_tables(engine)
    with engine.begin() as connection:
        connection.execute(text('ALTER TABLE party DROP COLUMN "xml_certificate"'))
        connection.execute(text("DROP TABLE alembic_version"))
    create_db_and_tables(engine)
    assert "xml_certificate" in {c["name"] for c in inspect(engine).get_columns("party")}
    assert schema_differences(engine) == []


def test_create_db_from_two_processes_at_once_migrates_once(database_url, engine):
    engines = [make_engine(engine.url.render_as_string(hide_password=False)) for _ in range(4)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(engines))

    def boot(other: Engine) -> None:
        start.wait()
        try:
            create_db_and_tables(other)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=boot, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for other in engines:
        other.dispose()
    assert errors == []
    with engine.connect() as connection:
        assert current_revision(connection) == head_revision()
        versions = connection.execute(text("SELECT count(*) FROM alembic_version")).scalar_one()
    assert versions == 1
    assert schema_differences(engine) == []


def test_upgrade_puts_the_signer_in_every_business_key(database_url, engine, tmp_path):
    if engine.dialect.name == "sqlite":
        engine.dispose()
        load_main_dump(Path(database_url.removeprefix("sqlite:///")))
    else:
        load_main_into_postgres(engine, tmp_path)
    query = text("SELECT doc_key, party_code FROM document ORDER BY id")
    with engine.connect() as connection:
        before = connection.execute(query).all()

    create_db_and_tables(engine)

    with engine.connect() as connection:
        after = connection.execute(query).all()
    expected = [(f"{k.split(':', 1)[0]}:{p}:{k.split(':', 1)[1]}", p) for k, p in before]
    assert after == expected
    assert before
    assert all(k.count(":") == 1 for k, _ in before)
