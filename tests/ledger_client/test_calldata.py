"""A transaction's data is encoded once by eth_abi, byte for byte what web3 would send."""

import os

import pytest
from web3 import Web3

from ledger_client._convert import mask_of
from ledger_client._transact import calldata
from ledger_client.compile import load_artifacts
from ledger_client.party_lists import PartyLists

ADDRESS = Web3.to_checksum_address("0x" + "11" * 20)


@pytest.fixture(scope="module")
def registry():
    return Web3().eth.contract(address=ADDRESS, abi=list(load_artifacts()["TradeRegistry"].abi))


def test_batch_with_structs_encodes_as_web3_does(registry):
    count = 300
    ids = [os.urandom(32) for _ in range(count)]
    verdicts = [os.urandom(32) for _ in range(count)]
    supersession = (3, 7, 2, os.urandom(32), True, [os.urandom(32)])
    parties = PartyLists(tuple(os.urandom(32) for _ in range(5)), os.urandom(8 * count))
    fn = registry.functions.recordVerdictBatch(
        9, ids, verdicts, mask_of(range(0, count, 3)), [supersession], parties.as_arg()
    )
    data = calldata(fn)
    assert data == bytes.fromhex(fn._encode_transaction_data()[2:])


def test_values_eth_abi_refuses_go_through_web3s_normalisers(registry):
    # A hex string where bytes32 is expected: eth_abi alone refuses it, web3 converts it.
    root = "0x" + "ab" * 32
    fn = registry.functions.anchorBatch(root, 10, "0x" + "00" * 32)
    assert calldata(fn) == bytes.fromhex(fn._encode_transaction_data()[2:])
    assert calldata(fn)[4:36] == bytes.fromhex("ab" * 32)
