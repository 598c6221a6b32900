"""The backup drill: pg_dump a loaded database, pg_restore it into a fresh database, and
let the worker's re-check settle it with the chain (README "Operating it").

The machine's own ``pg_dump`` / ``pg_restore`` / ``psql`` do the backup, as an operator's
would. Each drill costs about a second: one dump, one restore, a few dozen blocks.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import typer
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.anchoring.gateway import LedgerGateway
from api.anchoring.worker import AnchorWorker
from api.cli.service import register
from api.config import ApiSettings
from api.db.engine import create_db_and_tables, make_engine
from api.db.models import AnchorBatchRecord, OutboxRecord, utcnow
from api.runtime import Runtime
from ledger_client.events import BatchAnchored, LotBatchAnchored
from tests.api.conftest import POSTGRES_URL, _named_postgres_schema
from tests.api.factories import app_settings
from tests.conftest import require_all_backends

pytestmark = pytest.mark.postgres

TOOLS = ("pg_dump", "pg_restore", "psql")
LOT_ID = "ab" * 32
LOT_LANE = f"lot:{LOT_ID}"


@pytest.fixture
def source(ledger: LedgerGateway, tmp_path: Path) -> Iterator[tuple[str, AnchorWorker]]:
    """A private PostgreSQL schema with sandan's tables and a worker on it (20 rows a batch)."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        message = f"the PostgreSQL client tools are missing: {', '.join(missing)}"
        if require_all_backends():
            pytest.fail(f"{message} (SANDAN_REQUIRE_ALL_BACKENDS=1)")
        pytest.skip(message)
    with _named_postgres_schema() as (url, schema):
        engine = make_engine(ApiSettings(database_url=url).resolved_database_url)
        create_db_and_tables(engine)
        try:
            yield schema, _worker(engine, ledger, tmp_path / "source")
        finally:
            engine.dispose()


def _worker(engine: Engine, ledger: LedgerGateway, data_dir: Path) -> AnchorWorker:
    settings = app_settings(data_dir, admin_token="drill", keystore_secret="drill", batch_size=20)
    runtime = Runtime.from_settings(settings, engine=engine, ledger_factory=lambda: ledger)
    return AnchorWorker(runtime)


def add_documents(engine: Engine, count: int, *, lane: str = "trade") -> list[str]:
    """Write ``count`` outbox rows of random document hashes (or, in a ``lot:`` lane, event
    hashes), as the ingest path does."""
    kind = "document" if lane == "trade" else "event"
    subjects = [secrets.token_hex(32) for _ in range(count)]
    with Session(engine) as session:
        for subject in subjects:
            session.add(OutboxRecord(kind=kind, subject=subject, lane=lane, created_at=utcnow()))
        session.commit()
    return subjects


def pg_dump(schema: str, path: Path) -> None:
    """``pg_dump --format=custom`` of one schema, as a backup job would take it."""
    assert POSTGRES_URL is not None
    subprocess.run(
        ["pg_dump", "--format=custom", f"--schema={schema}", f"--file={path}", POSTGRES_URL],
        check=True,
        capture_output=True,
    )


@contextmanager
def restored(dump: Path, schema: str) -> Iterator[Engine]:
    """A new, empty database that ``pg_restore`` fills from ``dump``; dropped afterwards."""
    assert POSTGRES_URL is not None
    name = f"sandan_restore_{secrets.token_hex(4)}"
    _psql(f'CREATE DATABASE "{name}"')
    parts = urlsplit(POSTGRES_URL)
    target = urlunsplit(parts._replace(path=f"/{name}", query=""))
    engine = None
    try:
        subprocess.run(
            ["pg_restore", "--exit-on-error", "--no-owner", f"--dbname={target}", str(dump)],
            check=True,
            capture_output=True,
        )
        url = f"{target}?options=-csearch_path%3D{schema}"
        engine = make_engine(ApiSettings(database_url=url).resolved_database_url)
        yield engine
    finally:
        if engine is not None:
            engine.dispose()
        _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _psql(command: str) -> None:
    assert POSTGRES_URL is not None
    subprocess.run(
        ["psql", "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", "-c", command, POSTGRES_URL],
        check=True,
        capture_output=True,
    )


def assert_every_proof_intact(engine: Engine, ledger: LedgerGateway, subjects: list[str]) -> None:
    """Every subject is in a confirmed batch whose root its stored proof reaches on chain, and
    the chain holds no root twice."""
    with Session(engine) as session:
        rows = {r.subject: r for r in session.exec(select(OutboxRecord)).all()}
        batches = {b.id: b for b in session.exec(select(AnchorBatchRecord)).all()}
    assert set(subjects) <= rows.keys()
    for subject in subjects:
        batch = batches[rows[subject].batch_id or ""]
        assert batch.state == "confirmed", subject
        check = ledger.trade.verify_document(subject, json.loads(rows[subject].proof or "[]"))
        assert check.anchored, subject
        assert check.root.hex() == batch.root
        assert check.block_number == batch.block_number
    roots = [e.root.hex() for e in ledger.trade.find_events(BatchAnchored, ledger.first_block)]
    assert len(roots) == len(set(roots))


def assert_every_event_proof_intact(
    engine: Engine, ledger: LedgerGateway, subjects: list[str]
) -> None:
    """Every event hash reaches, with its stored proof, a root the TraceRegistry holds for
    its lot, and the batch the database names."""
    with Session(engine) as session:
        for subject in subjects:
            row = session.exec(select(OutboxRecord).where(OutboxRecord.subject == subject)).one()
            batch = session.get(AnchorBatchRecord, row.batch_id)
            assert batch is not None, subject
            assert batch.state == "confirmed", subject
            check = ledger.trace.verify_event(subject, json.loads(row.proof or "[]"))
            assert check.anchored, subject
            assert check.root.hex() == batch.root
            assert check.lot_id is not None
            assert check.lot_id.hex() == LOT_ID


def _anchored_batches(ledger: LedgerGateway) -> tuple[int, int]:
    """How many document and lot batches the chain holds."""
    documents = ledger.trade.find_events(BatchAnchored, ledger.first_block)
    lots = ledger.trace.find_events(LotBatchAnchored, ledger.first_block)
    return len(documents), len(lots)


def _snapshot(ledger: LedgerGateway) -> object:
    return ledger.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]


def run_recheck_command(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """``sandan recheck`` in process, on ``runtime`` (its settings, database and chain)."""
    monkeypatch.setattr("api.config.get_settings", lambda: runtime.settings)
    monkeypatch.setattr("api.runtime.Runtime.from_settings", lambda settings: runtime)
    # The command's JSON log lines would replace pytest's own log capture.
    monkeypatch.setattr("api.web.logs.configure_logging", lambda: None)
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["recheck", "--timeout", "60"])
    assert result.exit_code == 0, result.output
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


def test_restore_rechecks_every_batch_and_reanchors_what_the_chain_lost(
    source: tuple[str, AnchorWorker],
    ledger: LedgerGateway,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schema, worker = source
    kept = add_documents(worker.runtime.engine, 40)
    worker.drain()
    # The node, too, comes back from a state older than the backup: the last batch the
    # dump has as confirmed is gone from the chain.
    before_last = _snapshot(ledger)
    forgotten = add_documents(worker.runtime.engine, 15)
    worker.drain()
    pg_dump(schema, tmp_path / "sandan.dump")
    ledger.w3.provider.make_request("evm_revert", [before_last])  # type: ignore[arg-type]

    with restored(tmp_path / "sandan.dump", schema) as engine:
        restored_worker = _worker(engine, ledger, tmp_path / "restored")
        report = run_recheck_command(restored_worker.runtime, monkeypatch)
        assert report == {
            "checked": 3,
            "intact": 2,
            "corrected": 0,
            "reanchored": 1,
            "learned": 0,
            "unknown": [],
            "drained": True,
        }
        assert_every_proof_intact(engine, ledger, kept + forgotten)
        assert restored_worker.recheck().intact == 3


def test_restore_after_the_chain_moved_on_learns_the_batches_anchored_since(
    source: tuple[str, AnchorWorker], ledger: LedgerGateway, tmp_path: Path
) -> None:
    schema, worker = source
    anchored = add_documents(worker.runtime.engine, 20)
    worker.drain()
    # In the backup, not yet anchored: two document batches and one of a lot's events.
    pending = add_documents(worker.runtime.engine, 30)
    lot_events = add_documents(worker.runtime.engine, 6, lane=LOT_LANE)
    pg_dump(schema, tmp_path / "sandan.dump")
    worker.drain()  # the chain moves on: the pending rows go out
    after_backup = add_documents(worker.runtime.engine, 5)
    worker.drain()
    with Session(worker.runtime.engine) as session:
        late = session.exec(
            select(OutboxRecord.batch_id).where(OutboxRecord.subject == after_backup[0])
        ).one()
    events = _anchored_batches(ledger)

    with restored(tmp_path / "sandan.dump", schema) as engine:
        restored_worker = _worker(engine, ledger, tmp_path / "restored")
        report = restored_worker.recheck()
        assert (report.checked, report.intact, report.learned) == (1, 1, 3)
        # Written after the backup: the chain has them, this database cannot; named.
        assert report.unknown == (late,)
        restored_worker.drain()
        assert_every_proof_intact(engine, ledger, anchored + pending)
        assert_every_event_proof_intact(engine, ledger, lot_events)
        # Nothing was anchored a second time: the lost batches were adopted, not resent.
        assert _anchored_batches(ledger) == events
