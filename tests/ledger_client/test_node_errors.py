"""Other nodes' errors: revert data however a node nests it, and a sender who cannot pay.

The recorded shapes are what Hardhat, Ganache and other nodes answer (see
``ledger_client._reverts``); the live tests ask Hardhat's node and Ganache themselves.
The whole ledger suite runs on Hardhat (test_registry_hardhat.py) but not on Ganache:
Ganache 7.9.2 knows hardforks up to Shanghai, and the contracts are built for Cancun, so
code that uses its opcodes (MCOPY, in the multicalls) stops there with "invalid opcode".
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_utils.crypto import keccak
from web3.exceptions import ContractLogicError, Web3RPCError

import api.anchoring.gateway as gateway
from ledger_client import (
    DEV_CHAIN_IDS,
    ContractReverted,
    InsufficientFunds,
    TraceRegistryClient,
    TradeRegistryClient,
    load_artifacts,
)
from ledger_client._reverts import RevertDecoder, is_revert, revert_data_of
from tests.ledger_client.suite import h

#: TradeRegistryNotFinancier(uint32 financingId, address bank, address caller), encoded.
SELECTOR = keccak(text="TradeRegistryNotFinancier(uint32,address,address)")[:4]
BANK = "0x" + "ab" * 20
CALLER = "0x" + "cd" * 20
REVERT = (
    SELECTOR
    + (7).to_bytes(32, "big")
    + bytes(12)
    + bytes.fromhex(BANK[2:])
    + bytes(12)
    + bytes.fromhex(CALLER[2:])
)
HEX = "0x" + REVERT.hex()
GANACHE_MESSAGE = "VM Exception while processing transaction: revert"

LOGIC_ERROR_SHAPES: dict[str, Any] = {
    "plain hex (anvil, geth)": HEX,
    "message and data (Hardhat 2)": {"message": "reverted with custom error", "data": HEX},
    "nested data.data (wrapping providers)": {"data": {"message": "x", "data": HEX}},
    "Ganache eth_estimateGas": {
        "hash": None,
        "programCounter": 1501,
        "result": HEX,
        "reason": None,
        "message": "revert",
    },
    "Ganache 6 by transaction": {"0x" + "11" * 32: {"error": "revert", "return": HEX}},
    "Reverted prefix (OpenEthereum, Nethermind)": f"Reverted {HEX}",
    "originalError (ethers-style relays)": {"originalError": {"code": 3, "data": HEX}},
}


def _decoder() -> RevertDecoder:
    return RevertDecoder([load_artifacts()["TradeRegistry"].abi])


def _rpc_error(error: dict[str, Any]) -> Web3RPCError:
    return Web3RPCError(str(error), rpc_response={"jsonrpc": "2.0", "id": 1, "error": error})


@pytest.mark.parametrize("data", LOGIC_ERROR_SHAPES.values(), ids=LOGIC_ERROR_SHAPES.keys())
def test_revert_data_is_found_in_every_shape_nodes_use(data: Any) -> None:
    exc = ContractLogicError(f"execution reverted: {GANACHE_MESSAGE}", data=data)
    assert revert_data_of(exc) == REVERT
    decoded = _decoder().decode(revert_data_of(exc) or b"")
    assert (decoded.error_name, decoded.args) == (
        "TradeRegistryNotFinancier",
        (7, _checksum(BANK), _checksum(CALLER)),
    )


def _checksum(address: str) -> str:
    from eth_utils.address import to_checksum_address

    return to_checksum_address(address)


REFUSED_SENDS: dict[str, dict[str, Any]] = {
    "Hardhat eth_sendRawTransaction": {
        "code": 3,
        "message": "VM Exception while processing transaction: reverted with an unrecognized "
        f"custom error (return data: {HEX})",
        "data": HEX,
    },
    "Hardhat message only": {
        "code": -32603,
        "message": f"reverted with an unrecognized custom error (return data: {HEX})",
    },
    "Ganache send with vmErrorsOnRPCResponse": {
        "code": -32000,
        "message": GANACHE_MESSAGE,
        "data": {"hash": "0x" + "22" * 32, "programCounter": 7, "result": HEX, "reason": None},
    },
}


@pytest.mark.parametrize("error", REFUSED_SENDS.values(), ids=REFUSED_SENDS.keys())
def test_a_refused_send_carries_the_revert(error: dict[str, Any]) -> None:
    exc = _rpc_error(error)
    assert is_revert(exc)
    assert revert_data_of(exc) == REVERT


@pytest.mark.parametrize(
    "error",
    [
        {"code": -32000, "message": "nonce too low", "data": HEX},
        {"code": -32003, "message": "insufficient funds for gas * price + value"},
        {"code": 3, "message": "execution reverted", "data": "0x123"},  # odd: not bytes
    ],
    ids=["nonce", "funds", "odd-hex"],
)
def test_other_rpc_errors_are_not_reverts(error: dict[str, Any]) -> None:
    assert revert_data_of(_rpc_error(error)) is None


def test_a_funding_problem_is_reported_as_one_not_as_node_unavailable() -> None:
    from api.errors import ledger_error

    error = ledger_error(InsufficientFunds(BANK, "insufficient funds for gas * price + value"))
    body = error.body()
    assert (error.status_code, body["error"], body["account"]) == (503, "insufficient_funds", BANK)
    assert "too little ether to pay for gas" in body["message"]
    assert "unavailable" not in body["message"]


def test_one_list_of_dev_chains_with_ganache_and_hardhat() -> None:
    assert gateway.DEV_CHAIN_IDS is DEV_CHAIN_IDS
    assert {1337, 31337} <= DEV_CHAIN_IDS


# --- live: Hardhat's node and Ganache --------------------------------------------------------


@pytest.fixture(params=["hardhat", "ganache"])
def node_world(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue(f"{request.param}_world")


@pytest.mark.node
def test_a_refusal_names_the_contracts_error(node_world: Any) -> None:
    client = node_world.trade()
    client.anchor_batch(h("root"), 1, h("b"))
    with pytest.raises(ContractReverted) as exc_info:
        client.anchor_batch(h("root"), 1, h("b"))
    assert exc_info.value.error_name == "TradeRegistryRootAlreadyAnchored"
    assert exc_info.value.args == (h("root"),)


@pytest.mark.node
def test_a_sender_without_ether_is_told_so(node_world: Any) -> None:
    poor = Account.create()
    node_world.trade("admin").grant_role("ANCHORER_ROLE", poor.address)
    address = node_world.deployment.trade_registry.address
    client = TradeRegistryClient(node_world.w3, address, poor, timeout=30)
    with pytest.raises(InsufficientFunds) as exc_info:
        client.anchor_batch(h("root"), 1, h("b"))
    assert exc_info.value.address == poor.address
    assert "too little ether" in str(exc_info.value)


@pytest.mark.node
def test_the_service_funds_new_party_accounts_on_these_dev_chains(node_world: Any) -> None:
    """Ganache's chain 1337 was missing from the service's own list: its parties had no gas."""
    service = gateway.LedgerGateway(
        node_world.w3, node_world.deployment, anchorer=node_world.accounts["admin"]
    )
    party = service.new_party_account(["ANCHORER_ROLE"])
    assert node_world.w3.eth.get_balance(party.address) == gateway.DEV_FUNDING_WEI
    address = node_world.deployment.trace_registry.address
    trace = TraceRegistryClient(node_world.w3, address, party)  # the party pays its own gas
    assert trace.anchor_lot_batch(h("lot"), h("r"), 1, h("b")).events[0].root == h("r")
