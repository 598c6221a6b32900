"""EIP-712 typed data of an authorization: the JSON a wallet signs, and its checks."""

from __future__ import annotations

import pytest

from ledger_client import (
    AuthorizationAction,
    ConfigurationError,
    authorization_digest,
    authorization_typed_data,
    recover_authorization_signer,
    sign_authorization,
)

REGISTRY = "0x" + "ab" * 20
KEY = "0x" + "11" * 32


def _typed(**changes):
    values = {
        "action": AuthorizationAction.RELEASE,
        "trades_root": b"\x01" * 32,
        "data": b"\0" * 32,
        "nonce": 0,
        "deadline": 2**40,
        "chain_id": 31337,
        "verifying_contract": REGISTRY,
    } | changes
    return authorization_typed_data(**values)


def test_typed_data_is_what_eth_sign_typed_data_v4_takes():
    typed = _typed()
    assert typed["primaryType"] == "Authorization"
    assert typed["domain"] == {
        "name": "sandan TradeRegistry",
        "version": "1",
        "chainId": 31337,
        "verifyingContract": "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB",
    }
    assert [f["name"] for f in typed["types"]["Authorization"]] == [
        "action",
        "tradesRoot",
        "data",
        "nonce",
        "deadline",
    ]
    assert [f["name"] for f in typed["types"]["EIP712Domain"]] == [
        "name",
        "version",
        "chainId",
        "verifyingContract",
    ]


def test_sign_authorization_signs_the_digest_of_exactly_that_message():
    signature = sign_authorization(_typed(), KEY)
    assert len(signature.signature) == 65
    assert signature.digest == authorization_digest(_typed())
    assert recover_authorization_signer(_typed(), signature.signature) == signature.signer
    assert recover_authorization_signer(_typed(nonce=1), signature.hex) != signature.signer


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"nonce": -1}, "nonce must be a uint256"),
        ({"deadline": 2**256}, "deadline must be a uint256"),
        ({"chain_id": True}, "chain_id must be a uint256"),
        ({"trades_root": b"\x01"}, "trades_root must be 32 bytes"),
        ({"verifying_contract": "0x12"}, "verifying_contract is not an address"),
    ],
)
def test_typed_data_rejects_values_out_of_range(changes, message):
    with pytest.raises(ConfigurationError, match=message):
        _typed(**changes)


def test_typed_data_rejects_unknown_action():
    with pytest.raises(ConfigurationError, match="unknown authorization action 5"):
        _typed(action=5)


def test_sign_authorization_rejects_bad_key_and_bad_typed_data():
    with pytest.raises(ConfigurationError, match="not a 32-byte secp256k1 key"):
        sign_authorization(_typed(), "0x1234")
    with pytest.raises(ConfigurationError, match="not EIP-712 typed data"):
        sign_authorization({"types": {}}, KEY)
