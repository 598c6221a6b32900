"""What every bench shares in one run: size, a scratch directory, a private chain, PostgreSQL.

The chain is a private anvil on a free port with no state file, in the run's
temporary directory, so a bench never touches the user's data directory or
embedded node. PostgreSQL benches get a fresh database each, dropped afterwards.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ledger_client import (
    Deployment,
    EmbeddedNode,
    LedgerSettings,
    deploy_registries,
    dev_accounts,
    dev_role_grants,
    find_anvil,
    make_web3,
)
from ledger_client.accounts import DEV_PARTIES

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3 import Web3

__all__ = ["BenchContext", "Progress", "free_port"]

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


class Progress(Protocol):
    """Where a bench reports how far it got (a rich progress bar, or nothing)."""

    def start(self, description: str, total: float | None = None) -> None:
        """Begin a step of ``total`` units."""

    def advance(self, amount: float = 1.0) -> None:
        """Count ``amount`` more units done."""


class SilentProgress:
    """Progress that goes nowhere (tests, ``--json`` without a terminal)."""

    def start(self, description: str, total: float | None = None) -> None:
        """Ignore."""

    def advance(self, amount: float = 1.0) -> None:
        """Ignore."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Chain:
    """The run's private node and its dev accounts."""

    node: EmbeddedNode
    w3: Web3
    accounts: list[LocalAccount]

    @property
    def rpc_url(self) -> str:
        """The node's JSON-RPC URL."""
        return self.node.rpc_url

    def deploy(self) -> Deployment:
        """Fresh registries; every dev role granted, and the admin may anchor (as the service)."""
        grants = dev_role_grants(self.accounts)
        grants["ANCHORER_ROLE"] = [*grants.get("ANCHORER_ROLE", []), self.accounts[0].address]
        return deploy_registries(self.w3, self.accounts[0], grants=grants)


@dataclass
class BenchContext:
    """Shared state of one ``sandan bench`` run."""

    quick: bool
    workdir: Path
    postgres_url: str | None = DEFAULT_POSTGRES_URL
    progress: Progress = field(default_factory=SilentProgress)
    _chain: Chain | None = field(default=None, init=False, repr=False)
    _cleanups: list[Callable[[], None]] = field(default_factory=list, init=False, repr=False)

    def size(self, quick: int, full: int) -> int:
        """Pick the quick or the full size of a workload."""
        return quick if self.quick else full

    def seconds(self, quick: float, full: float) -> float:
        """Pick the quick or the full duration of a timed run."""
        return quick if self.quick else full

    def scratch(self, name: str) -> Path:
        """A fresh directory under the run's temporary directory."""
        path = self.workdir / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def chain(self) -> Chain:
        """The private anvil of this run, started on first use."""
        if self._chain is None:
            anvil = find_anvil(LedgerSettings())
            node = EmbeddedNode(self.scratch("anvil"), free_port(), anvil=anvil, state=False)
            node.start()
            self._cleanups.append(node.stop)
            w3 = make_web3(node.rpc_url)
            self._chain = Chain(node, w3, dev_accounts(w3, len(DEV_PARTIES)))
        return self._chain

    def anvil_binary(self) -> Path | None:
        """The anvil binary the chain uses (None when it cannot be found)."""
        try:
            return find_anvil(LedgerSettings())
        except Exception:  # a missing anvil is reported by the chain benches themselves
            return None

    @contextlib.contextmanager
    def postgres_database(self, name: str) -> Iterator[str]:
        """A fresh PostgreSQL database for one bench (a ``postgresql://`` URL), dropped after."""
        from api.bench._postgres import fresh_database

        if self.postgres_url is None:
            raise RuntimeError("no PostgreSQL URL configured")
        with fresh_database(self.postgres_url, name) as url:
            yield url

    def close(self) -> None:
        """Stop the node and anything else the run started."""
        while self._cleanups:
            with contextlib.suppress(Exception):
                self._cleanups.pop()()
        self._chain = None
