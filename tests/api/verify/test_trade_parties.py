"""``sandan verify``'s "parties on chain" check: the verdict batch's committed party lists
name exactly the trade's signers, and hash to what the batch stored."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode as abi_encode
from web3 import Web3

from api.verify.bundle_report import Report
from api.verify.trade_parties import PartiesPlan, check_parties
from ledger_client import PartyLists, load_artifacts
from traceability.signing.registry_ids import party_id

SIGNERS = ["EBP-1", "PAY-1", "LOG-1"]
ADDRESS = "0x" + "11" * 20


def _input(parties: PartyLists, function: str = "recordVerdictBatch") -> str:
    contract = Web3().eth.contract(abi=load_artifacts()["TradeRegistry"].abi)
    ids = [bytes([i + 1]) * 32 for i in range(parties.count)]
    if function != "recordVerdictBatch":
        return contract.encode_abi("anchorBatch", args=[ids[0], 1, ids[0]])
    args = [1, ids, ids, [1], [], parties.as_arg()]
    return contract.encode_abi("recordVerdictBatch", args=args)


def _stored(parties_hash: bytes) -> str:
    kinds = ["(bytes32,address,uint32,uint64,bytes32)"]
    record = (bytes(32), ADDRESS, 2, 7, parties_hash)
    return "0x" + abi_encode(kinds, [record]).hex()


def _check(parties: PartyLists, *, position=1, stored=None, function="recordVerdictBatch"):
    answers = [_stored(stored or parties.hash()), {"input": _input(parties, function)}]
    report = Report()
    check_parties(PartiesPlan(1, position, 0, 1), answers, SIGNERS, report)
    (check,) = report.checks
    return check


def _lists(second: list[str]) -> PartyLists:
    return PartyLists.of([[party_id("EBP-9")], [party_id(c) for c in second]])


def test_parties_on_chain_passes_for_exactly_the_signers():
    check = _check(_lists(["LOG-1", "EBP-1", "PAY-1"]))
    assert (check.name, check.ok) == ("parties on chain", True)


@pytest.mark.parametrize(
    ("second", "found"),
    [
        (["EBP-1", "PAY-1"], "not committed: LOG-1"),
        (["EBP-1", "PAY-1", "LOG-1", "EBP-9"], "1 committed party signed none"),
        ([], "not committed: EBP-1, LOG-1, PAY-1"),
    ],
)
def test_parties_on_chain_fails_naming_what_differs(second, found):
    check = _check(_lists(second))
    assert (check.ok, check.found) == (False, found)


def test_parties_on_chain_fails_when_the_lists_are_not_the_stored_ones():
    check = _check(_lists(SIGNERS), stored=b"\x01" * 32)
    assert (check.ok, check.found) == (
        False,
        "the transaction's party lists are not those the batch stored",
    )


def test_parties_on_chain_fails_for_another_call_or_position():
    other = _check(_lists(SIGNERS), function="anchorBatch")
    assert other.found == "the verdict transaction is not a direct recordVerdictBatch call"
    beyond = _check(_lists(SIGNERS), position=5)
    assert beyond.found == "the party lists hold no slots for position 5"
