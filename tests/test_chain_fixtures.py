"""The shared chains really are fresh for each test: block, balances, nonces, anchors.

Each backend runs the same two rounds. Whichever runs second finds the chain as the
first found it, although the first sent transactions (a transfer and an anchor).
The in-process chains' quick gas estimate is enough, and refuses as py-evm's does.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.conftest import ChainWorld

BACKENDS = ["chain_world", pytest.param("anvil_world", marks=pytest.mark.node)]
_FIRST_SEEN: dict[str, dict[str, Any]] = {}
ROOT = hashlib.sha256(b"round").digest()


def _state(world: ChainWorld) -> dict[str, Any]:
    w3 = world.w3
    return {
        "block": w3.eth.block_number,
        "balances": {p: w3.eth.get_balance(a.address) for p, a in world.accounts.items()},
        "nonces": {p: w3.eth.get_transaction_count(a.address) for p, a in world.accounts.items()},
        "batch": world.trade().batch_of(ROOT),
    }


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("round_", [1, 2])
def test_each_test_starts_from_the_deployed_chain(
    request: pytest.FixtureRequest, backend: str, round_: int
) -> None:
    world: ChainWorld = request.getfixturevalue(backend)
    state = _state(world)
    assert state["batch"] is None
    assert state == _FIRST_SEEN.setdefault(backend, state)
    # Change everything the next round checks, through the clients' nonce managers.
    world.trade().anchor_batch(ROOT, 1, hashlib.sha256(b"batch").digest())
    tx = world.w3.eth.send_transaction(
        {"from": world.address("admin"), "to": world.address("outsider"), "value": 10**15}
    )
    world.w3.eth.wait_for_transaction_receipt(tx)
    assert world.w3.eth.block_number > state["block"]
    assert world.trade().batch_of(ROOT) is not None


def _estimates(world: ChainWorld, artifacts: dict[str, Any], sender: str) -> Any:
    """``anchorBatch`` of a new root by ``sender``: its gas estimate, or what estimating raised."""
    registry = world.w3.eth.contract(
        address=world.deployment.trade_registry.address, abi=artifacts["TradeRegistry"].abi
    )
    call = registry.functions.anchorBatch(hashlib.sha256(b"estimate").digest(), 1, ROOT)
    try:
        return call, call.estimate_gas({"from": world.address(sender)})
    except Exception as exc:  # compared with py-evm's own estimate's error below
        return call, exc


def test_quick_gas_estimate_is_enough_and_fails_as_py_evm_does(
    chain_world: ChainWorld, artifacts: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from eth.chains.base import Chain
    from eth.estimators.gas import binary_gas_search_intrinsic_tolerance

    call, quick = _estimates(chain_world, artifacts, "anchorer")
    _, refused = _estimates(chain_world, artifacts, "outsider")  # no ANCHORER_ROLE
    monkeypatch.setattr(Chain, "gas_estimator", staticmethod(binary_gas_search_intrinsic_tolerance))
    _, searched = _estimates(chain_world, artifacts, "anchorer")
    _, searched_refusal = _estimates(chain_world, artifacts, "outsider")
    assert isinstance(quick, int)
    assert isinstance(searched, int)
    assert searched // 2 < quick < searched * 2
    assert isinstance(refused, Exception)
    assert (type(refused), str(refused)) == (type(searched_refusal), str(searched_refusal))
    tx = call.transact({"from": chain_world.address("anchorer"), "gas": quick})
    assert chain_world.w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
