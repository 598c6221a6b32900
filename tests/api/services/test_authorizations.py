"""prepare_authorization: relay order, flags and root from the domain, typed data from ledger."""

from __future__ import annotations

import hashlib

import pytest

from api.services.authorizations import prepare_authorization
from ledger_client import AuthorizationAction
from traceability.merkle import MerkleTree, leaf_hash

REGISTRY = "0x" + "12" * 20


def _ids(count: int) -> list[bytes]:
    return [hashlib.sha256(f"EBP/{i}".encode()).digest() for i in range(count)]


def test_prepare_release_orders_trades_as_the_multiproof_consumes_them():
    ids = _ids(5)
    prepared = prepare_authorization(
        AuthorizationAction.RELEASE, ids, None, nonce=3, deadline=99, chain_id=1, registry=REGISTRY
    )
    multiproof = MerkleTree.build(ids).multiproof(ids)
    assert (prepared.trade_ids, prepared.proof_flags) == (multiproof.leaves, multiproof.proof_flags)
    assert prepared.trades_root == MerkleTree.build(ids).root
    assert prepared.typed_data["message"] == {
        "action": 1,
        "tradesRoot": "0x" + prepared.trades_root.hex(),
        "data": "0x" + "00" * 32,
        "nonce": 3,
        "deadline": 99,
    }


def test_prepare_single_trade_action_signs_the_leaf_hash():
    (trade_id,) = _ids(1)
    prepared = prepare_authorization(
        AuthorizationAction.REGISTER_FINANCING,
        [trade_id],
        b"\x07" * 32,
        nonce=0,
        deadline=1,
        chain_id=1,
        registry=REGISTRY,
    )
    assert prepared.trades_root == leaf_hash(trade_id)
    assert prepared.typed_data["message"]["data"] == "0x" + "07" * 32


@pytest.mark.parametrize(
    ("action", "count", "data", "message"),
    [
        (AuthorizationAction.CONFIRM_SETTLEMENT, 2, b"\x01" * 32, "exactly one trade"),
        (AuthorizationAction.CONFIRM_SETTLEMENT, 1, None, "non-zero 32-byte value"),
        (AuthorizationAction.REGISTER_FINANCING, 1, b"\x01", "non-zero 32-byte value"),
        (AuthorizationAction.RELEASE, 1, b"\x01" * 32, "signs no data"),
        (AuthorizationAction.DISCHARGE_FINANCING, 1, b"\x01" * 32, "signs no data"),
    ],
)
def test_prepare_authorization_rejects_what_the_action_cannot_carry(action, count, data, message):
    with pytest.raises(ValueError, match=message):
        prepare_authorization(
            action, _ids(count), data, nonce=0, deadline=1, chain_id=1, registry=REGISTRY
        )
