"""Real service processes for benches: the API under uvicorn, the anchoring worker, and RSS.

Each process gets a clean ``SANDAN_*`` environment pointing at the bench's own
data directory, database and node, so the user's settings and data are never used.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from api.bench._documents import BenchParty
from api.bench.context import free_port

__all__ = [
    "ServiceEnv",
    "ServiceProcess",
    "register_parties",
    "rss_kib",
    "start_api",
    "start_worker",
]

ADMIN_TOKEN = "sandan-bench-admin-token"  # noqa: S105 (a throwaway token of a private bench service)
_CLI = "import sys; from api.cli import main; sys.argv[0] = 'sandan'; main()"


@dataclass(frozen=True)
class ServiceEnv:
    """Settings of the bench service, passed as ``SANDAN_*`` variables."""

    data_dir: Path
    database_url: str
    rpc_url: str
    deployment_file: Path | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def environ(self) -> dict[str, str]:
        """The child environment: ours, without any inherited SANDAN_/LEDGER_ setting."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SANDAN_", "LEDGER_"))}
        env.update(
            {
                "SANDAN_DATA_DIR": str(self.data_dir),
                "SANDAN_DATABASE_URL": self.database_url,
                "SANDAN_RPC_URL": self.rpc_url,
                "SANDAN_ADMIN_TOKEN": ADMIN_TOKEN,
                "SANDAN_KEYSTORE_SECRET": "sandan-bench-keystore",
                "SANDAN_RATE_LIMIT_PER_MINUTE": "0",
                "SANDAN_MAX_BODY_BYTES": str(64 * 1024 * 1024),
                "SANDAN_MAX_CLOCK_SKEW_SECONDS": "3600",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.deployment_file is not None:
            env["SANDAN_DEPLOYMENT_FILE"] = str(self.deployment_file)
        env.update(self.extra)
        return env


class ServiceProcess:
    """A child process of the bench (API server or worker), stopped with SIGTERM."""

    def __init__(self, command: Sequence[str], env: ServiceEnv, log: Path, port: int | None):
        self.port = port
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                list(command),
                env=env.environ(),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The process id."""
        return self.process.pid

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until GET /health answers (raise with the log's tail if the process died)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"service exited: {self.tail()}")
            try:
                if httpx.get(self.base_url + "/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"service did not answer within {timeout:.0f}s: {self.tail()}")

    def tail(self, lines: int = 5) -> str:
        """The last lines of the process's log."""
        text = self.log.read_text(errors="replace").strip().splitlines()
        return " | ".join(text[-lines:]) or "(no output)"

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM the process group, then SIGKILL if it lingers."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def start_api(env: ServiceEnv, *, workers: int, log: Path) -> ServiceProcess:
    """The real app (the ``serve_app`` factory) under uvicorn with ``workers`` processes."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "api.web.main:serve_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    server = ServiceProcess(command, env, log, port)
    server.wait_ready()
    return server


def start_worker(env: ServiceEnv, *, log: Path) -> ServiceProcess:
    """``sandan worker``: the anchoring worker as its own process."""
    return ServiceProcess([sys.executable, "-c", _CLI, "worker"], env, log, None)


def register_parties(base_url: str, parties: Sequence[BenchParty]) -> dict[str, str]:
    """Register each party and its key through the API; return party code → API key."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    keys: dict[str, str] = {}
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for party in parties:
            body = {"code": party.code, "name": party.name, "roles": [party.role]}
            created = client.post("/parties", json=body, headers=admin)
            created.raise_for_status()
            api_key = str(created.json()["apiKey"])
            key_body = {
                "keyId": party.key_id,
                "alg": "Ed25519",
                "publicKey": party.public_key,
            }
            headers = {"Authorization": f"Bearer {api_key}"}
            client.post(
                f"/parties/{party.code}/keys", json=key_body, headers=headers
            ).raise_for_status()
            keys[party.code] = api_key
    return keys


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found.extend(int(c) for c in task.read_text().split())
        except OSError:
            continue
    return found


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    tree, queue = [], [pid]
    while queue:
        current = queue.pop()
        tree.append(current)
        queue.extend(_children(current))
    return tree


def rss_kib(pid: int, field_name: str = "VmRSS") -> int:
    """A process's resident set (VmRSS) or its peak (VmHWM) in KiB; 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of the API process and its workers so far, in seconds.

    CPU per request carries across load (four agents sharing two cores make wall
    figures noisy); uvicorn's worker processes live as long as the load, so their
    own counters (``/proc/<pid>/stat`` fields 14 and 15) are read, not their children's.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks
