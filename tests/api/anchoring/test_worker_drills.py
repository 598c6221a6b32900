"""Fault drills with real processes: kill -9 the worker, stop the node, revert the chain.

After each drill every outbox row is anchored exactly once with a proof that
verifies on chain, and nothing written before is lost.
"""

from __future__ import annotations

import json
import multiprocessing
import os
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

from api.anchoring.faults import STEPS
from api.anchoring.gateway import LedgerGateway
from api.anchoring.worker import AnchorWorker
from api.config import ApiSettings
from api.db.engine import create_db_and_tables, make_engine
from api.db.models import AnchorBatchRecord, OutboxRecord, utcnow
from api.runtime import Runtime
from api.verify.rpc import JsonRpc, contract_abi
from ledger_client import (
    DEV_PARTIES,
    EmbeddedNode,
    LedgerSettings,
    deploy_registries,
    dev_accounts,
    dev_role_grants,
    find_anvil,
    make_web3,
)
from ledger_client.events import BatchAnchored
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
def drill_anvil_url(tmp_path: Path) -> Iterator[str]:
    """A private anvil for the drill's processes (mining on each transaction: the named kill
    points, not block timing, decide where a worker dies)."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(find_anvil(LedgerSettings())),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
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
def drill(drill_anvil_url: str, database_url: str, tmp_path: Path) -> Iterator[Drill]:
    """A deployment on a slow-mining anvil and a fresh database."""
    _deploy(drill_anvil_url, tmp_path)
    url = ApiSettings(database_url=database_url).resolved_database_url
    engine = make_engine(url)
    create_db_and_tables(engine)
    yield Drill(drill_anvil_url, tmp_path, database_url, engine)
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


#: Worker processes are forked from a server that has already imported what ``sandan
#: worker`` imports (the command imports the runtime, the settings, the logs and the
#: migrations inside itself: about 0.45 s of CPU per start when not preloaded), so each
#: start costs milliseconds instead of the seconds a fresh interpreter spends importing
#: web3 and the service stack; they are still real, separate ``sandan worker`` processes.
_PROCESSES = multiprocessing.get_context("forkserver")
_PROCESSES.set_forkserver_preload(
    [
        "api.cli",
        "api.cli.service",
        "api.anchoring.worker",
        "api.config",
        "api.runtime",
        "api.web.logs",
        "api.provisioning",
        "api.db.migrate",
        "api.db.trace_version",
    ]
)


def _sandan_worker(env: dict[str, str], log_path: str) -> None:
    """Child process: ``sandan worker`` with ``env``, its output appended to ``log_path``."""
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.environ.clear()
    os.environ.update(env)
    sys.argv = ["sandan", "worker"]
    from api.cli import main

    main()


@dataclass
class WorkerProcess:
    """A ``sandan worker`` process, with the calls the drills make of ``subprocess.Popen``."""

    process: multiprocessing.process.BaseProcess

    def wait(self, timeout: float) -> int:
        """Its exit code (negative: killed by that signal), waiting at most ``timeout``."""
        self.process.join(timeout)
        if self.process.exitcode is None:
            raise subprocess.TimeoutExpired("sandan worker", timeout)
        return self.process.exitcode

    def poll(self) -> int | None:
        """Its exit code, or None while it runs."""
        return self.process.exitcode

    def kill(self) -> None:
        """SIGKILL it."""
        self.process.kill()

    def terminate(self) -> None:
        """SIGTERM it."""
        self.process.terminate()


def start_worker(drill: Drill, kill_after: str | None = None) -> WorkerProcess:
    """A real ``sandan worker`` process; with ``kill_after`` it SIGKILLs itself there."""
    env = drill.env()
    if kill_after is not None:
        env["SANDAN_TEST_KILL_AFTER"] = kill_after
    name = (kill_after or "worker").replace(":", "-")
    log = drill.data_dir / f"{name}.log"
    process = _PROCESSES.Process(target=_sandan_worker, args=(env, str(log)), daemon=True)
    process.start()
    return WorkerProcess(process)


def assert_anchored_exactly_once(drill: Drill, subjects: list[str]) -> None:
    """Every subject is in one confirmed batch, its proof verifies, and no root is doubled."""
    runtime = drill.runtime()
    ledger = runtime.ledger()
    with Session(drill.engine) as session:
        rows = {r.subject: r for r in session.exec(select(OutboxRecord)).all()}
        batches = {b.id: b for b in session.exec(select(AnchorBatchRecord)).all()}
    assert set(subjects) <= rows.keys()
    # The registry's own verifyDocument for every subject, in one JSON-RPC batch: the
    # drills check hundreds of proofs after each kill, one HTTP round trip each was most
    # of their time.
    registry = contract_abi("TradeRegistry")
    calls = [
        registry.call(
            ledger.trade_registry_address,
            "verifyDocument",
            bytes.fromhex(subject),
            [bytes.fromhex(p) for p in json.loads(rows[subject].proof or "[]")],
        )
        for subject in subjects
    ]
    answers = JsonRpc(drill.rpc_url, timeout=60).batch(calls)
    for subject, answer in zip(subjects, answers, strict=True):
        batch = batches[rows[subject].batch_id or ""]
        assert batch.state == "confirmed"
        check = registry.decode("verifyDocument", answer)
        assert check["anchored"], subject
        assert check["root"].hex() == batch.root
    events = ledger.trade.find_events(BatchAnchored, ledger.first_block)
    roots = [e.root.hex() for e in events]
    assert len(roots) == len(set(roots))
    assert sum(e.leaf_count for e in events) == len(rows)
    assert set(roots) == {b.root for b in batches.values()}


#: Every kill point of the worker, some also at their second occurrence (50 new rows
#: per step make two batches of at most 40: the second is built, sent and confirmed
#: after the first).
KILL_POINTS = [
    "batch_built",
    "batch_built:2",
    "batch_sending",
    "tx_sent",
    "tx_sent:2",
    "receipt_received",
    "anchor_found",
    "batch_confirmed",
    "batch_confirmed:2",
    "reorg_reset",
]


def test_kill_points_name_every_worker_step() -> None:
    assert {point.partition(":")[0] for point in KILL_POINTS} == set(STEPS)


@pytest.mark.timeout(1200)
def test_kill_worker_after_each_step_loses_nothing_and_anchors_once(drill: Drill) -> None:
    subjects = add_documents(drill.engine, 60)
    for point in KILL_POINTS:
        subjects += add_documents(drill.engine, 50)
        _prepare(drill, point.partition(":")[0])
        kill_worker_at(drill, point)
        run_worker_until_done(drill, subjects)
        assert_anchored_exactly_once(drill, subjects)


def _prepare(drill: Drill, step: str) -> None:
    """Bring the chain and the database to where ``step`` is reached on the next start."""
    if step == "anchor_found":
        # A batch on chain that the database still has as sent: a worker killed
        # between the receipt and its bookkeeping leaves exactly that.
        kill_worker_at(drill, "receipt_received")
    elif step == "reorg_reset":
        # Confirmed batches the chain then forgets, as a reorg or a node restored from
        # an older state dump makes it.
        w3 = drill.runtime().ledger().w3
        snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
        AnchorWorker(drill.runtime()).drain(timeout=120)
        assert w3.provider.make_request("evm_revert", [snapshot])["result"]  # type: ignore[arg-type]


def kill_worker_at(drill: Drill, point: str) -> None:
    """Start a worker that kills itself after ``point``; see it die by SIGKILL."""
    worker = start_worker(drill, kill_after=point)
    try:
        returncode = worker.wait(timeout=120)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
    log = (drill.data_dir / f"{point.replace(':', '-')}.log").read_text(errors="replace")
    assert returncode == -signal.SIGKILL, f"{point}: worker exited with {returncode}\n{log}"


def run_worker_until_done(drill: Drill, subjects: list[str]) -> None:
    """Restart a normal worker and let it finish every batch."""
    worker = start_worker(drill)
    try:
        _wait_until(
            lambda: _confirmed(drill.engine, subjects) and _open_batches(drill.engine) == 0, 120
        )
        assert worker.poll() is None, "the normal worker died"
    finally:
        worker.terminate()
        worker.wait(timeout=20)


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
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")
