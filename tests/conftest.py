"""Shared fixtures: clean environment, compiled artifacts, fresh chains and registries.

Every chain backend is deployed once per session and reverted around each test
(``evm_snapshot`` before, ``evm_revert`` after), so each test sees the freshly
deployed world: the same block number, balances and nonces. Each test also gets a
new ``Web3`` on that chain, so nonce counters (kept per ``Web3``) and any other
per-connection cache from an earlier test, whose transactions the revert erased,
are not reused.

* ``chain_world``: the session's in-process eth-tester chain, registries deployed,
  roles granted. Always available.
* ``anvil_world``: one real anvil per session (free 127.0.0.1 port), the same. Skipped
  when anvil is missing, unless ``SANDAN_REQUIRE_ALL_BACKENDS=1`` (CI) makes that fail.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ledger_client import (
    CompiledContract,
    Deployment,
    EmbeddedNode,
    EmbeddedNodeError,
    LedgerSettings,
    LifecycleRegistryClient,
    PartyRegistryClient,
    TraceRegistryClient,
    TradeRegistryClient,
    deploy_registries,
    dev_accounts,
    find_anvil,
    load_artifacts,
    make_web3,
)
from tests.chain import quick_gas_estimate, reverted

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3 import Web3

_KEEP_ENV = {"SANDAN_TEST_POSTGRES_URL", "SANDAN_REQUIRE_ALL_BACKENDS"}
ROLE_HOLDERS = {
    "ANCHORER_ROLE": "anchorer",
    "CUSTOMS_ROLE": "customs",
    "BANK_ROLE": ("bank", "bank2"),
    "INSPECTOR_ROLE": "inspector",
    "REGULATOR_ROLE": "regulator",
}
PARTIES = ("admin", "anchorer", "customs", "bank", "bank2", "inspector", "outsider", "regulator")


@pytest.fixture(autouse=True)
def _clean_environ(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Remove SANDAN_* settings and point the data dir at a temporary directory."""
    for name in list(os.environ):
        if name.startswith("SANDAN_") and name not in _KEEP_ENV:
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg")))


@pytest.fixture(scope="session", autouse=True)
def _quick_gas_estimates() -> Iterator[None]:
    """Every in-process chain of the session estimates gas with :func:`quick_gas_estimate`."""
    from eth.chains.base import Chain

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Chain, "gas_estimator", staticmethod(quick_gas_estimate))
        yield


def require_all_backends() -> bool:
    """True on CI, where a missing backend must fail instead of skip."""
    return os.environ.get("SANDAN_REQUIRE_ALL_BACKENDS", "") == "1"


def require_tool(name: str, missing: str) -> str:
    """The path of command ``name``; without it skip, or fail where every backend is
    required (CI), saying ``missing``."""
    found = shutil.which(name)
    if found is None:
        if require_all_backends():
            pytest.fail(f"{missing} (SANDAN_REQUIRE_ALL_BACKENDS=1)")
        pytest.skip(missing)
    return found


#: The official schemas, beside the project (``../shared/standards/``, there in CI too).
STANDARDS = Path(__file__).resolve().parent.parent.parent / "shared" / "standards"


def standards_dir(name: str) -> Path:
    """``../shared/standards/<name>``: skip where it is absent (a user's machine), fail in CI."""
    path = STANDARDS / name
    if not path.is_dir():
        message = f"the official schemas are not at {path} (../shared/standards/{name})"
        if require_all_backends():
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def artifacts() -> dict[str, CompiledContract]:
    """The committed contract artifacts, read once."""
    return load_artifacts()


@dataclass
class ChainWorld:
    """A chain with the registries deployed and every party's account."""

    w3: Web3
    deployment: Deployment
    accounts: dict[str, LocalAccount]

    def trade(self, party: str = "anchorer") -> TradeRegistryClient:
        """A TradeRegistry client signing as ``party``."""
        address = self.deployment.trade_registry.address
        return TradeRegistryClient(self.w3, address, self.accounts[party], timeout=30)

    def trace(self, party: str = "anchorer") -> TraceRegistryClient:
        """A TraceRegistry client signing as ``party``."""
        address = self.deployment.trace_registry.address
        return TraceRegistryClient(self.w3, address, self.accounts[party], timeout=30)

    def party(self, party: str = "admin") -> PartyRegistryClient:
        """A PartyRegistry client signing as ``party`` (the admin holds REGISTRAR_ROLE)."""
        address = self.deployment.party_registry.address
        return PartyRegistryClient(self.w3, address, self.accounts[party], timeout=30)

    def lifecycle(self, party: str = "anchorer") -> LifecycleRegistryClient:
        """A LifecycleRegistry client signing as ``party``."""
        address = self.deployment.lifecycle_registry.address
        return LifecycleRegistryClient(self.w3, address, self.accounts[party], timeout=30)

    def address(self, party: str) -> str:
        """The address of ``party``."""
        return str(self.accounts[party].address)


def build_world(w3: Web3, artifacts: dict[str, CompiledContract]) -> ChainWorld:
    """Deploy the registries on ``w3`` and grant each role to its party."""
    accounts = dict(zip(PARTIES, dev_accounts(w3, len(PARTIES)), strict=True))
    grants = {
        role: [accounts[p].address for p in ((holders,) if isinstance(holders, str) else holders)]
        for role, holders in ROLE_HOLDERS.items()
    }
    deployment = deploy_registries(w3, accounts["admin"], grants=grants, artifacts=artifacts)
    return ChainWorld(w3, deployment, accounts)


@pytest.fixture(scope="session")
def _tester_deployed(artifacts: dict[str, CompiledContract]) -> ChainWorld:
    return build_world(make_web3(None), artifacts)


@pytest.fixture
def chain_world(_tester_deployed: ChainWorld) -> Iterator[ChainWorld]:
    """The session's in-process chain, reverted to the freshly deployed state after each test."""
    with reverted(_tester_deployed.w3) as w3:
        yield replace(_tester_deployed, w3=w3)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def anvil_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start anvil on a free port for the session and stop it afterwards."""
    try:
        anvil = find_anvil(LedgerSettings())
    except EmbeddedNodeError as exc:
        if require_all_backends():
            pytest.fail(f"anvil is required (SANDAN_REQUIRE_ALL_BACKENDS=1): {exc}")
        pytest.skip(f"anvil not available: {exc}")
    node = EmbeddedNode(
        Path(tmp_path_factory.mktemp("anvil")), free_port(), anvil=anvil, state=False
    )
    node.start()
    try:
        yield node.rpc_url
    finally:
        node.stop()


@pytest.fixture(scope="session")
def _anvil_deployed(anvil_url: str, artifacts: dict[str, CompiledContract]) -> ChainWorld:
    return build_world(make_web3(anvil_url), artifacts)


@pytest.fixture
def anvil_world(_anvil_deployed: ChainWorld) -> Iterator[ChainWorld]:
    """The session's anvil, reverted to the freshly deployed state after each test."""
    with reverted(_anvil_deployed.w3) as w3:
        yield replace(_anvil_deployed, w3=w3)
