"""prepare_authorization (v2): the subject of a batch's positions, the data word, and the JSON
a relayer sends, with the typed data from the ledger client."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from eth_utils.crypto import keccak

from api.services.authorizations import prepare_authorization
from ledger_client import (
    AuthorizationAction,
    discharge_subject,
    recover_authorization_signer,
    selection_subject,
    sign_authorization,
)

REGISTRY = "0x" + "12" * 20
KEY = "0x" + "22" * 32
ROOT = hashlib.sha256(b"verdict batch root").digest()
ACT = AuthorizationAction


def _ids(count: int) -> list[bytes]:
    return [hashlib.sha256(f"EBP/{i}".encode()).digest() for i in range(count)]


def _verdicts(ids: list[bytes]) -> list[bytes]:
    return [hashlib.sha256(b"verdict of " + trade_id).digest() for trade_id in ids]


def _prepare(action: AuthorizationAction, ids: list[bytes], data: bytes | None, **given: Any):
    values: dict[str, Any] = {
        "batch": 4,
        "positions": list(range(len(ids))),
        "root": ROOT,
        "verdict_hashes": _verdicts(ids),
        "nonce": 3,
        "deadline": 99,
        "chain_id": 1,
        "registry": REGISTRY,
    } | given
    return prepare_authorization(action, ids, data, **values)


def test_prepare_release_signs_the_selection_subject_of_the_positions():
    ids = _ids(3)
    prepared = _prepare(ACT.RELEASE, ids, None, positions=[7, 2, 300])
    assert prepared.subject == selection_subject(4, ROOT, [7, 2, 300])
    assert (prepared.batch, prepared.positions) == (4, (7, 2, 300))
    assert prepared.typed_data["message"] == {
        "action": 1,
        "subject": "0x" + prepared.subject.hex(),
        "data": "0x" + "00" * 32,
        "nonce": 3,
        "deadline": 99,
    }
    signature = sign_authorization(prepared.typed_data, KEY)
    body = prepared.to_json(signature)
    assert body == {
        "action": "releaseTrades",
        "signer": signature.signer,
        "tradeIds": [t.hex() for t in ids],
        "verdictHashes": [v.hex() for v in _verdicts(ids)],
        "batch": 4,
        "positions": [7, 2, 300],
        "subject": "0x" + prepared.subject.hex(),
        "data": "0x" + "00" * 32,
        "nonce": 3,
        "deadline": 99,
        "signature": signature.hex,
        "typedData": prepared.typed_data,
    }
    assert recover_authorization_signer(body["typedData"], body["signature"]) == signature.signer


def test_prepare_release_subject_names_the_root():
    ids = _ids(2)
    other = _prepare(ACT.RELEASE, ids, None, root=hashlib.sha256(b"other root").digest())
    assert other.subject != _prepare(ACT.RELEASE, ids, None).subject


@pytest.mark.parametrize(
    ("action", "expected", "name"),
    [
        # The contract signs keccak256(abi.encodePacked(references)): here one reference.
        (ACT.CONFIRM_SETTLEMENT, keccak(b"\x07" * 32), "confirmSettlements"),
        (ACT.REGISTER_FINANCING, b"\x07" * 32, "registerFinancing"),
    ],
)
def test_prepare_single_trade_action_signs_its_data_word(action, expected, name):
    (trade_id,) = _ids(1)
    prepared = _prepare(action, [trade_id], b"\x07" * 32, positions=[5])
    assert prepared.data == expected
    assert prepared.subject == selection_subject(4, ROOT, [5])
    assert prepared.typed_data["message"]["action"] == int(action)
    body = prepared.to_json(sign_authorization(prepared.typed_data, KEY))
    assert (body["action"], body["data"], body["verdictHash"]) == (
        name,
        "0x" + expected.hex(),
        _verdicts([trade_id])[0].hex(),
    )
    assert "financingId" not in body


def test_prepare_discharge_signs_the_discharge_subject_of_the_financing():
    (trade_id,) = _ids(1)
    prepared = _prepare(
        ACT.DISCHARGE_FINANCING, [trade_id], None, positions=[9], financing_id=12,
        root=None, verdict_hashes=None,
    )  # fmt: skip
    assert prepared.subject == discharge_subject(12, [9])
    assert (prepared.verdict_hashes, prepared.financing_id) == ((), 12)
    body = prepared.to_json(sign_authorization(prepared.typed_data, KEY))
    assert (body["action"], body["financingId"], body["positions"]) == (
        "dischargeFinancing",
        12,
        [9],
    )
    assert "verdictHash" not in body


@pytest.mark.parametrize(
    ("action", "count", "data", "changes", "message"),
    [
        (ACT.CONFIRM_SETTLEMENT, 2, b"\x01" * 32, {}, "exactly one trade"),
        (ACT.CONFIRM_SETTLEMENT, 1, None, {}, "non-zero 32-byte value"),
        (ACT.CONFIRM_SETTLEMENT, 1, b"\0" * 32, {}, "non-zero 32-byte value"),
        (ACT.REGISTER_FINANCING, 1, b"\x01", {}, "non-zero 32-byte value"),
        (ACT.RELEASE, 1, b"\x01" * 32, {}, "signs no data"),
        (ACT.DISCHARGE_FINANCING, 1, b"\x01" * 32, {"financing_id": 1}, "signs no data"),
        (ACT.RELEASE, 2, None, {"verdict_hashes": [b"\x01" * 32]}, "verdict of each trade"),
        (ACT.CONFIRM_SETTLEMENT, 1, b"\x01" * 32, {"verdict_hashes": None}, "verdict of each"),
        (ACT.RELEASE, 1, None, {"verdict_hashes": [b"\x01"]}, "a verdict hash is 32 bytes"),
        (ACT.RELEASE, 1, None, {"root": None}, "needs the verdict batch's root"),
        (ACT.REGISTER_FINANCING, 1, b"\x01" * 32, {"root": b"\x01"}, "verdict batch's root"),
        (ACT.DISCHARGE_FINANCING, 1, None, {"verdict_hashes": None}, "names its financing"),
        (ACT.DISCHARGE_FINANCING, 1, None, {"financing_id": 1}, "and no verdict"),
        (ACT.RELEASE, 2, None, {"positions": [0]}, "its own position"),
        (ACT.RELEASE, 2, None, {"positions": [3, 3]}, "its own position"),
    ],
)
def test_prepare_authorization_rejects_what_the_action_cannot_carry(
    action, count, data, changes, message
):
    with pytest.raises(ValueError, match=message):
        _prepare(action, _ids(count), data, **changes)


def test_prepare_release_refuses_a_trade_named_twice():
    ids = _ids(1) * 2
    with pytest.raises(ValueError, match="twice"):
        _prepare(ACT.RELEASE, ids, None, positions=[0, 1])
