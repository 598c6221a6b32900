"""The app served by uvicorn in a subprocess, for attacks that could crash the process.

A test that sends a body able to segfault the server must not run the server in
pytest's own process: the crash would take pytest with it instead of failing one
test. ``python -m tests.api.hostile.server DATA_DIR PORT [--gate]`` serves a fresh
SQLite app. With ``--gate`` a bulk submission prints ``BULK-STARTED`` on stdout, waits
until ``/health`` has been answered, then prints ``GATE-OPENED`` (``GATE-TIMED-OUT``
if /health was not answered within a fail-safe minute): a test shows that ``/health``
answers while a bulk request is in flight, without timing anything.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ADMIN_TOKEN = "hostile-admin-token"
BULK_STARTED = "BULK-STARTED"
GATE_OPENED = "GATE-OPENED"
GATE_TIMED_OUT = "GATE-TIMED-OUT"
#: Only a fail-safe: a test never waits this long unless the server is broken.
_GATE_TIMEOUT = 60.0


@dataclass
class Server:
    """A running server subprocess and its base URL."""

    process: subprocess.Popen[str]
    url: str

    @property
    def admin(self) -> dict[str, str]:
        """The operator's authorization header."""
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    def client(self, **kwargs: Any) -> httpx.Client:
        """An HTTP client on the server."""
        return httpx.Client(base_url=self.url, **{"timeout": 120, **kwargs})

    def alive(self) -> bool:
        """Whether the process still runs (a segfault ends it with -11)."""
        return self.process.poll() is None

    def next_line(self) -> str:
        """The next line the server prints on stdout."""
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(f"the server ended (exit {self.process.poll()})")
        return line.strip()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_server(data_dir: Path, *, gate: bool = False) -> Iterator[Server]:
    """Start the server subprocess, wait until it answers, stop it afterwards."""
    port = _free_port()
    argv = [sys.executable, "-m", "tests.api.hostile.server", str(data_dir), str(port)]
    process = subprocess.Popen(
        [*argv, *(["--gate"] if gate else [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    server = Server(process, f"http://127.0.0.1:{port}")
    try:
        _wait_until_up(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not server.alive():
            raise RuntimeError(f"the server exited with {server.process.returncode}")
        try:
            httpx.get(f"{server.url}/health", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def _gated(app: Any) -> Any:
    """``app`` with bulk submissions held until ``/health`` has been answered once."""
    from api.services import bulk

    health_answered = threading.Event()
    submit_many = bulk.submit_many

    def held(**kwargs: Any) -> Any:
        health_answered.clear()  # only a /health answered from now on opens the gate
        print(BULK_STARTED, flush=True)
        opened = health_answered.wait(_GATE_TIMEOUT)
        print(GATE_OPENED if opened else GATE_TIMED_OUT, flush=True)
        return submit_many(**kwargs)

    bulk.submit_many = held  # type: ignore[assignment]

    async def watching(scope: Any, receive: Any, send: Any) -> None:
        await app(scope, receive, send)
        if scope["type"] == "http" and scope["path"] == "/health":
            health_answered.set()

    return watching


def main(argv: list[str]) -> None:
    """Serve a fresh app on ``argv``'s data directory and port."""
    import uvicorn

    from api.web.main import create_app
    from tests.api.factories import app_settings

    data_dir, port = Path(argv[0]), int(argv[1])
    settings = app_settings(data_dir, admin_token=ADMIN_TOKEN, keystore_secret="hostile")
    app: Any = create_app(settings)
    if "--gate" in argv:
        app = _gated(app)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")


if __name__ == "__main__":
    main(sys.argv[1:])
