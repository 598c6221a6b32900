"""A real ``sandan serve`` process for browser tests: its own anvil, its own database.

Unlike :func:`tests.browser.conftest.live_app` (uvicorn in a thread on the in-process
chain), this is the service as an operator runs it: a separate process started by the
``sandan`` command, configured only through ``SANDAN_*`` variables, anchoring with its own
worker on a real node. One process per database serves a whole test module; it runs in
its own process group, so stopping it can leave nothing behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from api.config import ApiSettings
from api.db.engine import make_engine
from api.demo.parties import RegisteredParty, bearer, register_party
from ledger_client import (
    DEV_PARTIES,
    EmbeddedNode,
    EmbeddedNodeError,
    LedgerSettings,
    deploy_registries,
    dev_accounts,
    dev_role_grants,
    find_anvil,
    make_web3,
)
from tests.conftest import free_port, require_all_backends

ROOT = Path(__file__).resolve().parents[2]
#: Generous for a busy 2-core machine: a cold start imports web3, pydantic and the app.
START_DEADLINE_SECONDS = 90.0
STOP_DEADLINE_SECONDS = 20.0


def require_anvil() -> Path:
    """The anvil binary; without it skip, or fail where every backend is required (CI)."""
    try:
        return find_anvil(LedgerSettings())
    except EmbeddedNodeError as exc:
        if require_all_backends():
            pytest.fail(f"anvil is required (SANDAN_REQUIRE_ALL_BACKENDS=1): {exc}")
        pytest.skip(f"anvil not available: {exc}")


@dataclass
class ServedSandan:
    """A running ``sandan serve``: where it answers, what it stores in, and its operator."""

    base_url: str
    database_url: str
    rpc_url: str
    admin_token: str
    settings: dict[str, str]
    log_path: Path
    #: An HTTP client on ``base_url``, for the API calls a test makes as the operator.
    http: httpx.Client

    def register(self, code: str, roles: Sequence[str], **options: Any) -> RegisteredParty:
        """Register a party through ``POST /parties`` as the operator (the admin token)."""
        return register_party(self.http, bearer(self.admin_token), code, roles, **options)

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        """An engine on the served process's own database, to look at or age its rows."""
        engine = make_engine(ApiSettings(database_url=self.database_url).resolved_database_url)
        try:
            yield engine
        finally:
            engine.dispose()

    def log(self) -> str:
        """What the process wrote so far (JSON log lines), for a failure's message."""
        return self.log_path.read_text(errors="replace")


def _deploy(rpc_url: str, data_dir: Path) -> None:
    """Deploy the registries with the dev accounts holding the service roles, as ``sandan
    deploy`` would: with SANDAN_RPC_URL set, ``sandan serve`` deploys nothing itself."""
    w3 = make_web3(rpc_url)
    accounts = dev_accounts(w3, len(DEV_PARTIES))
    deployment = deploy_registries(w3, accounts[0], grants=dev_role_grants(accounts))
    path = LedgerSettings(data_dir=data_dir, rpc_url=rpc_url).deployment_file
    path.parent.mkdir(parents=True, exist_ok=True)
    deployment.save(path)


def _environment(settings: dict[str, str]) -> dict[str, str]:
    """The test process's environment without its own SANDAN_* settings, plus ``settings``;
    PYTHONPATH makes the ``sandan`` script import this checkout's code."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("SANDAN_")}
    return {**inherited, "PYTHONPATH": str(ROOT), **settings}


def _wait_ready(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_DEADLINE_SECONDS
    while True:
        try:
            if httpx.get(f"{base_url}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"sandan serve did not become ready:\n{log_path.read_text()[-4000:]}")
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group (uvicorn shuts down, the worker stops), SIGKILL if stuck."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=STOP_DEADLINE_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_DEADLINE_SECONDS)


@contextmanager
def serve_sandan(
    tmp: Path,
    *,
    admin_token: str,
    database_url: str | None = None,
    extra_settings: dict[str, str] | None = None,
) -> Iterator[ServedSandan]:
    """Start anvil, deploy, and run ``sandan serve`` on a free port until the block ends.

    ``database_url`` None stores in a SQLite file in ``tmp``. ``extra_settings`` are more
    ``SANDAN_*`` variables for the process (a session length, a risk threshold ...).
    """
    node = EmbeddedNode(tmp / "anvil", free_port(), anvil=require_anvil(), state=False)
    node.start()
    try:
        data_dir = tmp / "data"
        _deploy(node.rpc_url, data_dir)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        database_url = database_url or f"sqlite:///{tmp / 'sandan.db'}"
        settings = {
            "SANDAN_DATA_DIR": str(data_dir),
            "SANDAN_RPC_URL": node.rpc_url,
            "SANDAN_DATABASE_URL": database_url,
            "SANDAN_ADMIN_TOKEN": admin_token,
            "SANDAN_KEYSTORE_SECRET": "served-browser-secret",
            "SANDAN_PUBLIC_BASE_URL": base_url,
            # Anchor as soon as a document arrives: the tests wait for anchors by polling.
            "SANDAN_BATCH_WAIT_SECONDS": "0.05",
            "SANDAN_RATE_LIMIT_PER_MINUTE": "0",
            **(extra_settings or {}),
        }
        log_path = tmp / "serve.log"
        sandan = Path(sys.executable).parent / "sandan"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [str(sandan), "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=_environment(settings),
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=tmp,
                start_new_session=True,  # its own process group, killed as one
            )
        try:
            _wait_ready(process, base_url, log_path)
            with httpx.Client(base_url=base_url, timeout=30) as http:
                yield ServedSandan(
                    base_url, database_url, node.rpc_url, admin_token, settings, log_path, http
                )
        finally:
            _stop(process)
    finally:
        node.stop()
