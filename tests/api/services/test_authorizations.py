"""prepare_authorization: relay order, flags and root from the domain, typed data from ledger."""

from __future__ import annotations

import hashlib

import pytest

from api.services.authorizations import prepare_authorization
from ledger_client import AuthorizationAction
from traceability.merkle import MerkleTree, leaf_hash
from traceability.trade.verdict import trade_verdict_key

REGISTRY = "0x" + "12" * 20


def _ids(count: int) -> list[bytes]:
    return [hashlib.sha256(f"EBP/{i}".encode()).digest() for i in range(count)]


def _verdicts(ids: list[bytes]) -> list[bytes]:
    return [hashlib.sha256(b"verdict of " + trade_id).digest() for trade_id in ids]


def test_prepare_release_orders_trades_as_the_multiproof_consumes_them():
    ids = _ids(5)
    verdicts = _verdicts(ids)
    prepared = prepare_authorization(
        AuthorizationAction.RELEASE,
        ids,
        None,
        verdict_hashes=verdicts,
        nonce=3,
        deadline=99,
        chain_id=1,
        registry=REGISTRY,
    )
    keys = [trade_verdict_key(t, v) for t, v in zip(ids, verdicts, strict=True)]
    multiproof = MerkleTree.build(keys).multiproof(keys)
    # The relay order is the multiproof's, and each trade keeps its own verdict in it.
    relayed = [
        trade_verdict_key(t, v)
        for t, v in zip(prepared.trade_ids, prepared.verdict_hashes, strict=True)
    ]
    assert (tuple(relayed), prepared.proof_flags) == (multiproof.leaves, multiproof.proof_flags)
    assert prepared.trades_root == MerkleTree.build(keys).root
    assert prepared.typed_data["message"] == {
        "action": 1,
        "tradesRoot": "0x" + prepared.trades_root.hex(),
        "data": "0x" + "00" * 32,
        "nonce": 3,
        "deadline": 99,
    }


def test_prepare_single_trade_action_signs_the_trade_verdict_leaf():
    (trade_id,) = _ids(1)
    (verdict,) = _verdicts([trade_id])
    prepared = prepare_authorization(
        AuthorizationAction.REGISTER_FINANCING,
        [trade_id],
        b"\x07" * 32,
        verdict_hashes=[verdict],
        nonce=0,
        deadline=1,
        chain_id=1,
        registry=REGISTRY,
    )
    assert prepared.trades_root == leaf_hash(trade_verdict_key(trade_id, verdict))
    assert prepared.typed_data["message"]["data"] == "0x" + "07" * 32


def test_prepare_discharge_signs_the_bare_trade_leaf():
    (trade_id,) = _ids(1)
    prepared = prepare_authorization(
        AuthorizationAction.DISCHARGE_FINANCING,
        [trade_id],
        None,
        nonce=0,
        deadline=1,
        chain_id=1,
        registry=REGISTRY,
    )
    assert prepared.trades_root == leaf_hash(trade_id)
    assert prepared.verdict_hashes == ()


@pytest.mark.parametrize(
    ("action", "count", "data", "verdicts", "message"),
    [
        (AuthorizationAction.CONFIRM_SETTLEMENT, 2, b"\x01" * 32, 2, "exactly one trade"),
        (AuthorizationAction.CONFIRM_SETTLEMENT, 1, None, 1, "non-zero 32-byte value"),
        (AuthorizationAction.REGISTER_FINANCING, 1, b"\x01", 1, "non-zero 32-byte value"),
        (AuthorizationAction.RELEASE, 1, b"\x01" * 32, 1, "signs no data"),
        (AuthorizationAction.DISCHARGE_FINANCING, 1, b"\x01" * 32, 0, "signs no data"),
        (AuthorizationAction.RELEASE, 2, None, 1, "verdict of each trade"),
        (AuthorizationAction.CONFIRM_SETTLEMENT, 1, b"\x01" * 32, 0, "verdict of each trade"),
        (AuthorizationAction.DISCHARGE_FINANCING, 1, None, 1, "names no verdict"),
    ],
)
def test_prepare_authorization_rejects_what_the_action_cannot_carry(
    action, count, data, verdicts, message
):
    ids = _ids(count)
    with pytest.raises(ValueError, match=message):
        prepare_authorization(
            action,
            ids,
            data,
            verdict_hashes=_verdicts(ids)[:verdicts] or None,
            nonce=0,
            deadline=1,
            chain_id=1,
            registry=REGISTRY,
        )


def test_prepare_release_refuses_a_trade_named_twice():
    ids = _ids(1) * 2
    with pytest.raises(ValueError, match="twice"):
        prepare_authorization(
            AuthorizationAction.RELEASE,
            ids,
            None,
            verdict_hashes=_verdicts(ids),
            nonce=0,
            deadline=1,
            chain_id=1,
            registry=REGISTRY,
        )
