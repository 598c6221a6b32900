"""The optional ``customsReceipts`` section of a bundle, checked like its documents.

Each receipt's content hash is recomputed from its payload with the bundle's digest
profile and must be anchored in the trusted TradeRegistry under the root and block the
bundle states (one ``verifyDocument`` call each, in the verifier's batch). A receipt is
customs' message received over its API key, not a signature: the check proves that sandan
anchored exactly this receipt, when it says it did; the release itself is the chain's
(:mod:`api.verify.trade_chain`). A bundle without the section is checked as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.verify.bundle_report import Report, UnusableBundle, hex32, mapping, uint
from api.verify.rpc import Call, contract_abi
from traceability import DigestProfile, content_hash

__all__ = ["PlannedReceipt", "check_receipts", "plan_receipt_calls"]


@dataclass
class PlannedReceipt:
    """One receipt of the bundle and the index of its ``verifyDocument`` call."""

    label: str
    digest: bytes
    claimed: bytes
    root: bytes
    block: int
    call: int


def plan_receipt_calls(
    data: dict[str, Any], profile: DigestProfile, trade_address: str, calls: list[Call]
) -> list[PlannedReceipt]:
    """Append one ``verifyDocument`` call per receipt to ``calls``; what to compare after."""
    section = data.get("customsReceipts")
    if section is None:
        return []
    entries = mapping(section, "customsReceipts").get("receipts")
    if not isinstance(entries, list):
        raise UnusableBundle("customsReceipts.receipts: expected a list")
    trade = contract_abi("TradeRegistry")
    planned = []
    for index, entry in enumerate(entries):
        where = f"customsReceipts.receipts[{index}]"
        item = mapping(entry, where)
        anchor = mapping(item.get("anchor"), f"{where}.anchor")
        proof = anchor.get("proof")
        if not isinstance(proof, list):
            raise UnusableBundle(f"{where}.anchor.proof: expected a list")
        digest = content_hash(mapping(item.get("payload"), f"{where}.payload"), profile)
        planned.append(
            PlannedReceipt(
                label=f"{where} ({item.get('messageType')})",
                digest=digest,
                claimed=hex32(item.get("contentHash"), f"{where}.contentHash"),
                root=hex32(anchor.get("root"), f"{where}.anchor.root"),
                block=uint(anchor.get("blockNumber"), f"{where}.anchor.blockNumber"),
                call=len(calls),
            )
        )
        calls.append(
            trade.call(
                trade_address,
                "verifyDocument",
                digest,
                [hex32(p, f"{where}.anchor.proof") for p in proof],
            )
        )
    return planned


def check_receipts(planned: list[PlannedReceipt], answers: list[Any], report: Report) -> None:
    """Report whether every receipt hash is its payload's and anchored as the bundle says."""
    if not planned:
        return
    trade = contract_abi("TradeRegistry")
    wrong = []
    for receipt in planned:
        check = trade.decode("verifyDocument", answers[receipt.call])
        anchored = (
            receipt.digest == receipt.claimed
            and bool(check["anchored"])
            and check["root"] == receipt.root
            and check["blockNumber"] == receipt.block
        )
        if not anchored:
            wrong.append(receipt.label)
    report.add(
        "customs receipts anchored",
        not wrong,
        f"{len(planned)} customs receipts, each its payload's hash, anchored as stated",
        expected="every receipt's recomputed hash anchored under its stated root and block",
        found="not anchored as stated: " + ", ".join(wrong),
    )
