"""The shared chains really are fresh for each test: block, balances, nonces, anchors.

Each backend runs the same two rounds. Whichever runs second finds the chain as the
first found it, although the first sent transactions (a transfer and an anchor).
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
