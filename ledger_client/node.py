"""The embedded local chain: an anvil process whose state lives in sandan's data directory.

anvil loads ``anvil-state.json`` at start and dumps it every second and on SIGTERM, so
anchors survive a restart. A ``kill -9`` loses the blocks mined after the last dump,
which looks like a reorg to the anchoring worker (it must re-anchor what vanished).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import requests

from ledger_client.config import LedgerSettings
from ledger_client.errors import EmbeddedNodeError

__all__ = [
    "EmbeddedNode",
    "ensure_embedded_node",
    "find_anvil",
    "node_answers",
    "running_node_url",
    "stop_embedded_node",
]

_NODE_FILE = "node.json"
_STATE_FILE = "anvil-state.json"
_APPEND = os.O_WRONLY | os.O_CREAT | os.O_APPEND
_LOG_FILE = "anvil.log"
_HOST = "127.0.0.1"
_INSTALL_HINT = "run `make setup` (npm ci installs anvil) or set SANDAN_ANVIL_BINARY"


def find_anvil(settings: LedgerSettings) -> Path:
    """Return the anvil binary: the setting, then node_modules, then PATH."""
    if settings.anvil_binary is not None:
        if not os.access(settings.anvil_binary, os.X_OK):
            raise EmbeddedNodeError(
                f"SANDAN_ANVIL_BINARY {settings.anvil_binary} is not executable"
            )
        return settings.anvil_binary
    for candidate in sorted(settings.node_modules_dir.glob("@foundry-rs/anvil-*/bin/anvil")):
        if os.access(candidate, os.X_OK):
            return candidate
    from shutil import which

    on_path = which("anvil")
    if on_path:
        return Path(on_path)
    raise EmbeddedNodeError(f"anvil not found: {_INSTALL_HINT}")


def node_answers(url: str, timeout: float = 1.0) -> bool:
    """Tell whether a JSON-RPC node at ``url`` answers ``eth_chainId``."""
    payload = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    try:
        response = requests.post(url, json=payload, timeout=timeout)
        return response.ok and "result" in response.json()
    except (requests.RequestException, ValueError):
        return False


class EmbeddedNode:
    """One anvil process on ``127.0.0.1:port`` with its state file in ``data_dir``."""

    def __init__(self, data_dir: Path, port: int, *, anvil: Path, state: bool = True):
        self.data_dir = data_dir
        self.port = port
        self.anvil = anvil
        self.state = state
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def rpc_url(self) -> str:
        """The node's JSON-RPC URL."""
        return f"http://{_HOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The process id while running."""
        return self._process.pid if self._process else None

    def command(self) -> list[str]:
        """The anvil command line."""
        command = [str(self.anvil), "--host", _HOST, "--port", str(self.port)]
        if self.state:
            state = self.data_dir / _STATE_FILE
            command += ["--state", str(state), "--state-interval", "1"]
        return command

    def start(self, *, detach: bool = False, timeout: float = 30.0) -> None:
        """Start anvil and wait until it answers; ``detach`` lets it outlive this process."""
        if node_answers(self.rpc_url, timeout=0.5):
            raise EmbeddedNodeError(f"port {self.port} is already serving a node; pick another")
        # The data directory holds sandan's database and secrets: its owner's only (0700),
        # and anvil's state and log files likewise (umask 077: 0600).
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        log = os.fdopen(os.open(self.data_dir / _LOG_FILE, _APPEND, 0o600), "ab")
        try:
            self._process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=detach, umask=0o077,
            )  # fmt: skip
        except OSError as exc:
            raise EmbeddedNodeError(f"cannot start {self.anvil}: {exc.strerror}") from exc
        finally:
            log.close()
        self._wait_until_ready(timeout)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (anvil dumps its state), then SIGKILL if it does not exit in time."""
        if self._process is None:
            return
        _terminate(self._process.pid, timeout, self._process)
        self._process = None

    def __enter__(self) -> EmbeddedNode:
        if self._process is None:
            self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _wait_until_ready(self, timeout: float) -> None:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise EmbeddedNodeError(f"anvil exited at start: {self._last_log_line()}")
            if node_answers(self.rpc_url, timeout=0.5):
                return
            time.sleep(0.05)
        self.stop()
        raise EmbeddedNodeError(f"anvil did not answer on {self.rpc_url} within {timeout:.0f}s")

    def _last_log_line(self) -> str:
        lines = (self.data_dir / _LOG_FILE).read_text(errors="replace").strip().splitlines()
        return lines[-1] if lines else "(no output)"


@dataclass(frozen=True)
class RunningNode:
    """The detached embedded node recorded in the data dir: what to tell a user who wants
    to know what is still running (and stop it with ``sandan node --stop``)."""

    pid: int
    port: int | None
    url: str


def running_node(settings: LedgerSettings) -> RunningNode | None:
    """Return the detached embedded node recorded in the data dir, if it is still alive."""
    record = _read_record(settings.data_dir)
    if record is None or not _alive(record["pid"]):
        return None
    pid, port = record["pid"], record.get("port")
    assert isinstance(pid, int)  # _alive accepts nothing else
    return RunningNode(pid, port if isinstance(port, int) else None, str(record["url"]))


def running_node_url(settings: LedgerSettings) -> str | None:
    """Return the URL of the embedded node recorded in the data dir, if it still answers."""
    record = _read_record(settings.data_dir)
    if record is None or not _alive(record["pid"]):
        return None
    url = str(record["url"])
    return url if node_answers(url) else None


def ensure_embedded_node(settings: LedgerSettings, *, port: int | None = None) -> str:
    """Return the RPC URL of the embedded node, starting a detached one if none is running."""
    url = running_node_url(settings)
    if url is not None:
        return url
    chosen = port or settings.node_port
    if port is None and not _port_free(chosen):
        # Another data directory's node (or the user's own) has the default port: the
        # node record in this data dir remembers whichever port we take instead.
        chosen = _free_port()
    node = EmbeddedNode(settings.data_dir, chosen, anvil=find_anvil(settings))
    node.start(detach=True)
    _write_record(settings.data_dir, node)
    return node.rpc_url


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((_HOST, port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((_HOST, 0))
        return int(sock.getsockname()[1])


def stop_embedded_node(settings: LedgerSettings, timeout: float = 15.0) -> bool:
    """Stop the detached embedded node (its state is dumped); return False if none ran."""
    record = _read_record(settings.data_dir)
    (settings.data_dir / _NODE_FILE).unlink(missing_ok=True)
    pid = record.get("pid") if record else None
    if not isinstance(pid, int) or not _alive(pid):
        return False
    _terminate(pid, timeout, None)
    return True


def write_node_record(settings: LedgerSettings, node: EmbeddedNode) -> None:
    """Record a running node (pid, port, URL) so other commands reuse it."""
    _write_record(settings.data_dir, node)


def _write_record(data_dir: Path, node: EmbeddedNode) -> None:
    record = {"pid": node.pid, "port": node.port, "url": node.rpc_url}
    (data_dir / _NODE_FILE).write_text(json.dumps(record) + "\n", encoding="utf-8")


def _read_record(data_dir: Path) -> dict[str, object] | None:
    try:
        record = json.loads((data_dir / _NODE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and {"pid", "url"} <= record.keys() else None


def _alive(pid: object) -> bool:
    """Tell whether ``pid`` is a live anvil (a recycled pid of another program does not count)."""
    if not isinstance(pid, int):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"anvil" in cmdline


def _terminate(pid: int, timeout: float, process: subprocess.Popen[bytes] | None) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return
        if process is None and not _alive(pid):
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    if process is not None:
        process.wait()
