"""A trade's parties as its verdict batch committed to them, checked against its signers.

TradeRegistry refuses release and financing of a trade one of whose signers is on the
negative list, and it knows a trade's signers only from the party lists its verdict batch
committed to (``VerdictBatch.partiesHash``). The check here closes the loop: the lists in
the input of the transaction that recorded the batch hash to the stored commitment, and
the parties they name for the trade's position are exactly the parties that signed the
bundle's documents. A trade committed with fewer parties than signed it would escape the
negative list; one committed with others would be refused for someone else's listing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from api.verify.bundle_report import Report
from api.verify.rpc import Call, contract_abi, keccak
from traceability.signing.registry_ids import party_id

__all__ = ["PartiesPlan", "check_parties", "plan_parties_calls"]

#: ``recordVerdictBatch``'s sixth argument is its ``PartyLists``.
_PARTIES_ARGUMENT = 5
_SLOT_BYTES = 2
_TRADE_BYTES = 8


@dataclass(frozen=True)
class PartiesPlan:
    """Where the two answers sit in the verifier's JSON-RPC batch."""

    batch: int
    position: int
    stored: int  # verdictBatchOf(batch)
    transaction: int  # eth_getTransactionByHash of the verdict transaction


def plan_parties_calls(
    registry: str, batch: int, position: int, tx_hash: str, calls: list[Call]
) -> PartiesPlan:
    """Append the calls: the batch's stored record, and the transaction that recorded it."""
    stored = len(calls)
    calls.append(contract_abi("TradeRegistry").call(registry, "verdictBatchOf", batch))
    calls.append(Call("eth_getTransactionByHash", [tx_hash]))
    return PartiesPlan(batch, position, stored, stored + 1)


def check_parties(
    plan: PartiesPlan, answers: list[Any], signers: Iterable[str], report: Report
) -> None:
    """ "parties on chain": the committed lists match the batch's hash, and name exactly
    ``signers`` (party codes) for the trade's position."""
    expected_codes = sorted(set(signers))
    expected = {party_id(code): code for code in expected_codes}
    stored = contract_abi("TradeRegistry").decode("verdictBatchOf", answers[plan.stored])
    where = f"position {plan.position} of verdict batch {plan.batch}"
    failures: list[str] = []
    named: frozenset[bytes] = frozenset()
    try:
        table, slots = _committed_lists(answers[plan.transaction])
        if _lists_hash(table, slots) != stored["partiesHash"]:
            failures.append("the transaction's party lists are not those the batch stored")
        named = _parties_at(table, slots, plan.position)
    except ValueError as exc:
        failures.append(str(exc))
    if not failures and named != set(expected):
        missing = [code for pid, code in expected.items() if pid not in named]
        others = len(named - set(expected))
        if missing:
            failures.append(f"not committed: {', '.join(missing)}")
        if others:
            failures.append(f"{others} committed part{'y' if others == 1 else 'ies'} signed none")
    report.add(
        "parties on chain",
        not failures,
        f"{len(named)} parties committed at {where}",
        expected=f"the signers {', '.join(expected_codes)} committed at {where}",
        found="; ".join(failures),
    )


def _committed_lists(tx: Any) -> tuple[list[bytes], bytes]:
    """The ``PartyLists`` argument of a ``recordVerdictBatch`` transaction."""
    if not isinstance(tx, Mapping):
        raise ValueError("no verdict transaction on this chain")
    data = bytes.fromhex(str(tx.get("input", "0x")).removeprefix("0x"))
    selector = contract_abi("TradeRegistry").functions["recordVerdictBatch"].selector
    if data[:4] != selector:
        raise ValueError("the verdict transaction is not a direct recordVerdictBatch call")
    args = data[4:]
    start = _uint(args, 32 * _PARTIES_ARGUMENT)
    table_at = start + _uint(args, start)
    slots_at = start + _uint(args, start + 32)
    count = _uint(args, table_at)
    table = [_slice(args, table_at + 32 + 32 * i, 32) for i in range(count)]
    slots = _slice(args, slots_at + 32, _uint(args, slots_at))
    return table, slots


def _lists_hash(table: list[bytes], slots: bytes) -> bytes:
    """``keccak256(abi.encode(parties, slots))`` as the registry hashes it."""
    table_part = len(table).to_bytes(32, "big") + b"".join(table)
    padded = slots + bytes(-len(slots) % 32)
    head = (64).to_bytes(32, "big") + (64 + len(table_part)).to_bytes(32, "big")
    return keccak(head + table_part + len(slots).to_bytes(32, "big") + padded)


def _parties_at(table: list[bytes], slots: bytes, position: int) -> frozenset[bytes]:
    group = slots[position * _TRADE_BYTES : (position + 1) * _TRADE_BYTES]
    if len(group) != _TRADE_BYTES:
        raise ValueError(f"the party lists hold no slots for position {position}")
    numbers = [int.from_bytes(group[i : i + _SLOT_BYTES], "big") for i in range(0, 8, 2)]
    if any(n > len(table) for n in numbers):
        raise ValueError(f"a party slot of position {position} is past the party table")
    return frozenset(table[n - 1] for n in numbers if n)


def _uint(data: bytes, offset: int) -> int:
    return int.from_bytes(_slice(data, offset, 32), "big")


def _slice(data: bytes, offset: int, size: int) -> bytes:
    if offset < 0 or size < 0 or offset + size > len(data):
        raise ValueError("the verdict transaction's input is shorter than its party lists")
    return data[offset : offset + size]
