"""Reverting a shared chain around each test: a new ``Web3``, ``evm_snapshot``, ``evm_revert``.

Both backends the suite uses (eth-tester in process, anvil over HTTP) answer the two
calls, so every chain fixture deploys once per session and hands each test the
freshly deployed state.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from web3 import Web3

from ledger_client import make_web3


def reconnect(w3: Web3) -> Web3:
    """A new ``Web3`` on the same chain: an eth-tester chain in process, or the same node."""
    tester = getattr(w3.provider, "ethereum_tester", None)
    if tester is not None:
        from web3.providers.eth_tester import EthereumTesterProvider

        return Web3(EthereumTesterProvider(ethereum_tester=tester))
    return make_web3(str(w3.provider.endpoint_uri))  # type: ignore[attr-defined]


@contextmanager
def reverted(w3: Web3) -> Iterator[Web3]:
    """A new ``Web3`` on ``w3``'s chain; whatever it changes there is reverted afterwards."""
    fresh = reconnect(w3)
    snapshot = fresh.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    try:
        yield fresh
    finally:
        fresh.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
