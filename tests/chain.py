"""Reverting a shared chain around each test: a new ``Web3``, ``evm_snapshot``, ``evm_revert``.

Both backends the suite uses (eth-tester in process, anvil over HTTP) answer the two
calls, so every chain fixture deploys once per session and hands each test the
freshly deployed state. The in-process chains also estimate gas in a few runs of the
transaction instead of a binary search (:func:`quick_gas_estimate`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from web3 import Web3

from ledger_client import make_web3

if TYPE_CHECKING:
    from eth.abc import ComputationAPI, SignedTransactionAPI, StateAPI


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


def quick_gas_estimate(state: StateAPI, transaction: SignedTransactionAPI) -> int:
    """A gas limit the transaction succeeds with, found in three runs instead of a dozen.

    py-evm estimates by binary search between the intrinsic gas and the block's limit,
    running the transaction once per step: most of the cost of every transaction the
    service sends to the in-process chain. Here: the intrinsic gas if that is enough,
    else the gas used at the block's limit with a quarter more, once a run at that limit
    confirms it (else py-evm's search). A transaction that fails at the block's limit
    raises the same error as py-evm's estimate.
    """
    from eth.estimators.gas import binary_gas_search_intrinsic_tolerance
    from eth.vm.spoof import SpoofTransaction

    def run(**values: int) -> ComputationAPI:
        snapshot = state.snapshot()
        try:
            return state.apply_transaction(SpoofTransaction(transaction, **values))  # type: ignore[arg-type]
        finally:
            state.revert(snapshot)

    if not run(gas=transaction.intrinsic_gas, gas_price=0).is_error:
        return int(transaction.intrinsic_gas)
    at_limit = run(gas=state.gas_limit, gas_price=0)
    if at_limit.is_error:
        raise at_limit.error
    used = transaction.intrinsic_gas + at_limit.get_gas_used()
    candidate = min(state.gas_limit, used * 5 // 4)
    if not run(gas=candidate).is_error:
        return int(candidate)
    return int(binary_gas_search_intrinsic_tolerance(state, transaction))


def advance_time(w3: Web3, seconds: int) -> int:
    """Move the chain's clock ``seconds`` ahead and mine a block there; return its timestamp.

    eth-tester travels in time; a JSON-RPC node (anvil) is asked with ``evm_increaseTime``."""
    tester = getattr(w3.provider, "ethereum_tester", None)
    if tester is not None:
        tester.time_travel(int(w3.eth.get_block("pending")["timestamp"]) + seconds)
        tester.mine_blocks(1)
    else:
        w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    return int(w3.eth.get_block("latest")["timestamp"])
