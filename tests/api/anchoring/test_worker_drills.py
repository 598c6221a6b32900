"""Fault drills with real processes: kill -9 the worker, stop the node, revert the chain.

After each drill every outbox row is anchored exactly once with a proof that
verifies on chain, and nothing written before is lost.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.anchoring.gateway import LedgerGateway
from api.anchoring.worker import AnchorWorker
from api.config import ApiSettings
from api.db.engine import create_db_and_tables, make_engine
from api.db.models import AnchorBatchRecord, OutboxRecord, utcnow
from api.runtime import Runtime
from ledger_client import (
    DEV_PARTIES,
    EmbeddedNode,
    LedgerSettings,
    TradeRegistryClient,
    deploy_registries,
    dev_accounts,
    dev_role_grants,
    find_anvil,
    make_web3,
)
from ledger_client.node import node_answers
from tests.conftest import free_port

pytestmark = [pytest.mark.slow, pytest.mark.node]


@dataclass
class Drill:
    """A chain, a deployment file and a database shared by test and worker processes."""

    rpc_url: str
    data_dir: Path
    database_url: str
    engine: Engine

    def env(self) -> dict[str, str]:
        """Environment of a worker process."""
        return {
            **os.environ,
            "SANDAN_RPC_URL": self.rpc_url,
            "SANDAN_DATA_DIR": str(self.data_dir),
            "SANDAN_DATABASE_URL": self.database_url,
            "SANDAN_ADMIN_TOKEN": "drill",
            "SANDAN_KEYSTORE_SECRET": "drill",
            "SANDAN_BATCH_SIZE": "40",
            "SANDAN_BATCH_WAIT_SECONDS": "0",
        }

    def runtime(self) -> Runtime:
        """An in-process runtime on the same database and chain."""
        settings = ApiSettings.model_validate(
            {
                "ledger": LedgerSettings(data_dir=self.data_dir, rpc_url=self.rpc_url),
                "database_url": self.database_url,
                "admin_token": "drill",
                "keystore_secret": "drill",
                "batch_size": 40,
                "batch_wait_seconds": 0,
            }
        )
        return Runtime.from_settings(settings, engine=self.engine)


def _deploy(rpc_url: str, data_dir: Path) -> None:
    w3 = make_web3(rpc_url)
    accounts = dev_accounts(w3, len(DEV_PARTIES))
    deployment = deploy_registries(w3, accounts[0], grants=dev_role_grants(accounts))
    deployment.save(data_dir / "deployment.json")


@pytest.fixture
def slow_anvil_url(tmp_path: Path) -> Iterator[str]:
    """An anvil that mines a block every second, so each batch spends time in flight."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(find_anvil(LedgerSettings())),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--block-time",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until(lambda: node_answers(url), 30)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def drill(slow_anvil_url: str, database_url: str, tmp_path: Path) -> Iterator[Drill]:
    """A deployment on a slow-mining anvil and a fresh database."""
    _deploy(slow_anvil_url, tmp_path)
    url = ApiSettings(database_url=database_url).resolved_database_url
    engine = make_engine(url)
    create_db_and_tables(engine)
    yield Drill(slow_anvil_url, tmp_path, database_url, engine)
    engine.dispose()


def add_documents(engine: Engine, count: int) -> list[str]:
    """Write ``count`` outbox rows of random document hashes, as the ingest path does."""
    subjects = [secrets.token_hex(32) for _ in range(count)]
    with Session(engine) as session:
        for subject in subjects:
            session.add(
                OutboxRecord(kind="document", subject=subject, lane="trade", created_at=utcnow())
            )
        session.commit()
    return subjects


def start_worker(drill: Drill) -> subprocess.Popen[bytes]:
    """A real ``sandan worker`` process."""
    return subprocess.Popen(
        [sys.executable, "-c", "from api.cli import main; main()", "worker"],
        env=drill.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def assert_anchored_exactly_once(drill: Drill, subjects: list[str]) -> None:
    """Every subject is in one confirmed batch, its proof verifies, and no root is doubled."""
    runtime = drill.runtime()
    ledger = runtime.ledger()
    reader = TradeRegistryClient(ledger.w3, ledger.trade_registry_address)
    with Session(drill.engine) as session:
        rows = {r.subject: r for r in session.exec(select(OutboxRecord)).all()}
        batches = {b.id: b for b in session.exec(select(AnchorBatchRecord)).all()}
    assert set(subjects) <= rows.keys()
    for subject in subjects:
        row = rows[subject]
        batch = batches[row.batch_id or ""]
        assert batch.state == "confirmed"
        check = reader.verify_document(
            bytes.fromhex(subject), [bytes.fromhex(p) for p in json.loads(row.proof or "[]")]
        )
        assert check.anchored, subject
        assert check.root.hex() == batch.root
    events = ledger._trade_contract.events.BatchAnchored().get_logs(
        from_block=ledger.deployment.trade_registry.block_number, to_block="latest"
    )
    roots = [bytes(e["args"]["root"]).hex() for e in events]
    assert len(roots) == len(set(roots))
    assert sum(int(e["args"]["leafCount"]) for e in events) == len(rows)
    assert set(roots) == {b.root for b in batches.values()}


def test_kill_worker_at_random_points_loses_nothing_and_anchors_once(drill: Drill) -> None:
    rng = random.Random(20261123)
    subjects = add_documents(drill.engine, 400)
    interrupted = 0
    for trial in range(20):
        worker = start_worker(drill)
        time.sleep(rng.uniform(1.0, 3.0))
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        assert worker.returncode == -signal.SIGKILL, f"trial {trial}: worker exited by itself"
        interrupted += _open_batches(drill.engine) > 0
        subjects += add_documents(drill.engine, rng.randint(20, 80))
    # The kill points must really fall inside batches, not only before or after them.
    assert interrupted >= 3, f"only {interrupted} kills interrupted a batch"
    AnchorWorker(drill.runtime()).drain(timeout=120)
    assert_anchored_exactly_once(drill, subjects)


def test_evm_revert_after_a_batch_was_seen_reanchors_it(drill: Drill) -> None:
    runtime = drill.runtime()
    w3 = runtime.ledger().w3
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    subjects = add_documents(drill.engine, 50)
    worker = AnchorWorker(runtime)
    worker.drain(timeout=60)
    with Session(drill.engine) as session:
        before = {b.id: b.tx_hash for b in session.exec(select(AnchorBatchRecord)).all()}
    w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
    stats = worker.run_once()
    assert stats.batches_reset == len(before)
    worker.drain(timeout=60)
    assert_anchored_exactly_once(drill, subjects)


def test_node_outage_delays_anchoring_then_resumes(tmp_path: Path) -> None:
    anvil = find_anvil(LedgerSettings())
    node_dir = tmp_path / "node"
    node_dir.mkdir()
    node = EmbeddedNode(node_dir, free_port(), anvil=anvil, state=True)
    node.start()
    drill = Drill(
        node.rpc_url,
        tmp_path,
        f"sqlite:///{tmp_path / 'outage.db'}",
        make_engine(f"sqlite:///{tmp_path / 'outage.db'}"),
    )
    create_db_and_tables(drill.engine)
    _deploy(node.rpc_url, tmp_path)
    ledger = LedgerGateway.from_settings(drill.runtime().settings)
    runtime = Runtime.from_settings(
        drill.runtime().settings, engine=drill.engine, ledger_factory=lambda: ledger
    )
    worker = AnchorWorker(runtime)
    thread = threading.Thread(target=worker.run_forever, daemon=True)
    thread.start()
    try:
        first = add_documents(drill.engine, 30)
        _wait_until(lambda: _confirmed(drill.engine, first), 60)
        node.stop()  # SIGTERM: anvil dumps its state
        during = add_documents(drill.engine, 30)
        time.sleep(3)
        assert not _confirmed(drill.engine, during)
        node.start()
        _wait_until(lambda: _confirmed(drill.engine, first + during), 90)
    finally:
        worker.stop_event.set()
        thread.join(timeout=20)
    assert_anchored_exactly_once(drill, first + during)
    node.stop()


def _open_batches(engine: Engine) -> int:
    with Session(engine) as session:
        stmt = select(AnchorBatchRecord.id).where(AnchorBatchRecord.state != "confirmed")
        return len(session.exec(stmt).all())


def _confirmed(engine: Engine, subjects: list[str]) -> bool:
    with Session(engine) as session:
        stmt = (
            select(OutboxRecord.subject)
            .join(AnchorBatchRecord, col(AnchorBatchRecord.id) == col(OutboxRecord.batch_id))
            .where(AnchorBatchRecord.state == "confirmed")
        )
        done = set(session.exec(stmt).all())
    return set(subjects) <= done


def _wait_until(condition: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")
