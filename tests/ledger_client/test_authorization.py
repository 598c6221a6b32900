"""EIP-712 typed data of an authorization (v2): the JSON a wallet signs, its digest, and the
subjects and data computed locally, each checked against an encoding written here."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from ledger_client import (
    AuthorizationAction,
    ConfigurationError,
    account_from_key,
    authorization_digest,
    authorization_typed_data,
    discharge_subject,
    recover_authorization_signer,
    selection_subject,
    settlement_data,
    sign_authorization,
)

REGISTRY = "0x" + "ab" * 20
KEY = "0x" + "11" * 32
ROOT = bytes(range(32))
#: The struct the contract hashes, spelled as EIP-712 wants it.
AUTHORIZATION = (
    "Authorization(uint8 action,bytes32 subject,bytes32 data,uint256 nonce,uint256 deadline)"
)
DOMAIN = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"


def _typed(**changes):
    values = {
        "action": AuthorizationAction.RELEASE,
        "subject": b"\x01" * 32,
        "data": b"\0" * 32,
        "nonce": 0,
        "deadline": 2**40,
        "chain_id": 31337,
        "verifying_contract": REGISTRY,
    } | changes
    return authorization_typed_data(**values)


def _digest_by_hand(action, subject, data, nonce, deadline, chain_id, registry) -> bytes:
    """``_hashTypedDataV4(keccak256(abi.encode(TYPEHASH, ...)))`` as the contract computes it."""
    named = [keccak(text=DOMAIN), keccak(text="sandan TradeRegistry"), keccak(text="2")]
    types = ["bytes32", "bytes32", "bytes32", "uint256", "address"]
    domain = keccak(encode(types, [*named, chain_id, registry]))
    struct = keccak(
        encode(
            ["bytes32", "uint8", "bytes32", "bytes32", "uint256", "uint256"],
            [keccak(text=AUTHORIZATION), action, subject, data, nonce, deadline],
        )
    )
    return keccak(b"\x19\x01" + domain + struct)


def _words(positions: list[int]) -> list[int]:
    """The bitmask of ``positions``, built bit by bit here (not with ``mask_of``)."""
    words = [0] * (max(positions) // 256 + 1)
    for p in positions:
        words[p // 256] |= 1 << (p % 256)
    return words


def _packed(words: list[int]) -> bytes:
    return b"".join(encode(["uint256"], [w]) for w in words)


def test_typed_data_is_what_eth_sign_typed_data_v4_takes():
    typed = _typed()
    assert typed["primaryType"] == "Authorization"
    assert typed["domain"] == {
        "name": "sandan TradeRegistry",
        "version": "2",
        "chainId": 31337,
        "verifyingContract": "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB",
    }
    assert [(f["name"], f["type"]) for f in typed["types"]["Authorization"]] == [
        ("action", "uint8"),
        ("subject", "bytes32"),
        ("data", "bytes32"),
        ("nonce", "uint256"),
        ("deadline", "uint256"),
    ]
    assert [f["name"] for f in typed["types"]["EIP712Domain"]] == [
        "name",
        "version",
        "chainId",
        "verifyingContract",
    ]
    assert typed["message"] == {
        "action": 1,
        "subject": "0x" + "01" * 32,
        "data": "0x" + "00" * 32,
        "nonce": 0,
        "deadline": 2**40,
    }


@pytest.mark.parametrize(
    "action",
    [
        AuthorizationAction.RELEASE,
        AuthorizationAction.CONFIRM_SETTLEMENT,
        AuthorizationAction.REGISTER_FINANCING,
        AuthorizationAction.DISCHARGE_FINANCING,
    ],
)
def test_digest_is_the_contracts_hash_of_the_v2_struct(action):
    subject, data = keccak(b"subject"), keccak(b"data")
    typed = _typed(action=action, subject=subject, data=data, nonce=7, deadline=123)
    expected = _digest_by_hand(int(action), subject, data, 7, 123, 31337, REGISTRY)
    assert authorization_digest(typed) == expected


def test_sign_authorization_signs_the_digest_of_exactly_that_message():
    signature = sign_authorization(_typed(), KEY)
    assert len(signature.signature) == 65
    assert signature.signer == account_from_key(KEY).address
    assert signature.digest == authorization_digest(_typed())
    assert recover_authorization_signer(_typed(), signature.signature) == signature.signer
    assert recover_authorization_signer(_typed(), signature.hex) == signature.signer
    for changed in ({"nonce": 1}, {"subject": b"\x02" * 32}, {"chain_id": 1},
                    {"action": AuthorizationAction.REGISTER_FINANCING}):  # fmt: skip
        assert recover_authorization_signer(_typed(**changed), signature.hex) != signature.signer


@pytest.mark.parametrize(
    ("batch", "positions"),
    [(1, [0]), (2, [0, 1, 2, 255]), (2**64 - 1, [256]), (9, [5, 3, 700, 4095])],
)
def test_selection_subject_is_keccak_of_batch_root_and_packed_mask(batch, positions):
    packed = _packed(_words(positions))
    expected = keccak(encode(["uint64", "bytes32", "bytes32"], [batch, ROOT, keccak(packed)]))
    assert selection_subject(batch, ROOT, positions) == expected
    assert selection_subject(batch, "0x" + ROOT.hex(), reversed(positions)) == expected


@pytest.mark.parametrize(("financing_id", "positions"), [(1, [0]), (2**32 - 1, [1, 300])])
def test_discharge_subject_is_keccak_of_financing_and_packed_mask(financing_id, positions):
    packed = _packed(_words(positions))
    expected = keccak(encode(["uint32", "bytes32"], [financing_id, keccak(packed)]))
    assert discharge_subject(financing_id, positions) == expected


def test_settlement_data_is_keccak_of_the_packed_references_in_order():
    refs = [keccak(b"ref0"), keccak(b"ref1")]
    assert settlement_data(refs) == keccak(refs[0] + refs[1])
    assert settlement_data(["0x" + r.hex() for r in refs]) == keccak(refs[0] + refs[1])
    assert settlement_data(reversed(refs)) != settlement_data(refs)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: selection_subject(-1, ROOT, [0]), "batch must be a uint64"),
        (lambda: selection_subject(2**64, ROOT, [0]), "batch must be a uint64"),
        (lambda: selection_subject(True, ROOT, [0]), "batch must be a uint64"),
        (lambda: selection_subject(1, ROOT[:31], [0]), "root must be 32 bytes"),
        (lambda: selection_subject(1, ROOT, [-1]), "position must be an integer"),
        (lambda: selection_subject(1, ROOT, [2**32]), "position must be an integer"),
        (lambda: discharge_subject(2**32, [0]), "financing id must be a uint32"),
        (lambda: discharge_subject("1", [0]), "financing id must be a uint32"),
        (lambda: settlement_data([b"\x01"]), "settlement_ref must be 32 bytes"),
    ],
)
def test_subjects_reject_values_out_of_range(call, message):
    with pytest.raises(ConfigurationError, match=message):
        call()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"nonce": -1}, "nonce must be a uint256"),
        ({"deadline": 2**256}, "deadline must be a uint256"),
        ({"chain_id": True}, "chain_id must be a uint256"),
        ({"subject": b"\x01"}, "subject must be 32 bytes"),
        ({"data": "0x12"}, "data must be 32 bytes"),
        ({"verifying_contract": "0x12"}, "verifying_contract is not an address"),
    ],
)
def test_typed_data_rejects_values_out_of_range(changes, message):
    with pytest.raises(ConfigurationError, match=message):
        _typed(**changes)


@pytest.mark.parametrize("action", [0, 6])
def test_typed_data_rejects_unknown_action(action):
    with pytest.raises(ConfigurationError, match=f"unknown authorization action {action}"):
        _typed(action=action)


def test_sign_authorization_rejects_bad_key_and_bad_typed_data():
    with pytest.raises(ConfigurationError, match="not a 32-byte secp256k1 key"):
        sign_authorization(_typed(), "0x1234")
    with pytest.raises(ConfigurationError, match="not EIP-712 typed data"):
        sign_authorization({"types": {}}, KEY)
