"""Measure the gas of every registry function on a fresh deployment (for reports and benches)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from eth_utils.crypto import keccak

from ledger_client.accounts import DEV_PARTIES, dev_accounts, dev_role_grants
from ledger_client.authorization import sign_authorization
from ledger_client.client import TraceRegistryClient, TradeRegistryClient
from ledger_client.deploy import Deployment, deploy_registries
from ledger_client.lifecycle import LifecycleRegistryClient
from ledger_client.party_registry import PartyRegistryClient
from ledger_client.release_policy import ReleasePolicy, release_policy_typed_data
from ledger_client.types import FinancingKind, TxResult

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3 import Web3

__all__ = ["GasLine", "measure_gas"]


@dataclass(frozen=True)
class GasLine:
    """Gas used by one call; ``per_item`` divides by the documents or trades it covers."""

    function: str
    gas_used: int
    items: int = 1

    @property
    def per_item(self) -> float:
        """Gas per document (anchoring) or per trade (batch calls)."""
        return self.gas_used / self.items


Step = tuple[str, Callable[[], TxResult], int]
#: Writes in the measured ``multicall``: five parties, each registered with a key.
MULTICALL_PARTIES = 5
#: An Ed25519 public key as sandan registers it (base64url of the 32 raw bytes).
_PUBLIC_KEY = "Gb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE"


def _h(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def _party_steps(w3: Web3, deployment: Deployment, admin: LocalAccount, account: str) -> list[Step]:
    """Each PartyRegistry write once, then a multicall of ``2 * MULTICALL_PARTIES`` writes."""
    party = PartyRegistryClient(w3, deployment.party_registry.address, admin)
    acme, key = keccak(text="ACME"), keccak(text="ACME#k1")
    batch: list[bytes] = []
    for i in range(MULTICALL_PARTIES):
        code = f"PARTY{i}"
        batch.append(party.encode_register_party(keccak(text=code), code, _h(code), 1 << 2))
        # One public key names one signer: each party its own (same length, same gas).
        public_key = _PUBLIC_KEY[:-4] + f"{i:04d}"
        batch.append(
            party.encode_add_key(keccak(text=code), keccak(text=f"{code}#k1"), 1, public_key)
        )
    return [
        ("registerParty", lambda: party.register_party(acme, "ACME", _h("record"), 1), 1),
        ("updateRecord", lambda: party.update_record(acme, _h("record2")), 1),
        ("grantPartyRole", lambda: party.grant_party_role(acme, 2), 1),
        ("revokePartyRole", lambda: party.revoke_party_role(acme, 2), 1),
        ("addKey", lambda: party.add_key(acme, key, 1, _PUBLIC_KEY), 1),
        ("revokeKey", lambda: party.revoke_key(key, 0, "key compromised"), 1),
        ("addAccount", lambda: party.add_account(acme, account), 1),
        ("removeAccount", lambda: party.remove_account(account), 1),
        ("multicall", lambda: party.multicall(batch), len(batch)),
    ]


def _life_steps(
    w3: Web3, deployment: Deployment, accounts: list[LocalAccount], trades: int
) -> list[Step]:
    """Each LifecycleRegistry write once, on verdict batch 1's settled trade and batch 2's
    ``trades`` settled trades (``measure_gas`` recorded both), and a batch 3 to cancel."""
    anchorer, customs, bank = accounts[1], accounts[2], accounts[3]
    address = deployment.lifecycle_registry.address
    life = LifecycleRegistryClient(w3, address, anchorer)
    as_customs = LifecycleRegistryClient(w3, address, customs)
    as_bank = LifecycleRegistryClient(w3, address, bank)
    trade = TradeRegistryClient(w3, deployment.trade_registry.address, anchorer)
    receipt, warehouse = _h("receipt"), keccak(text="WH-1")
    many = range(trades)

    def cancel() -> TxResult:
        trade.record_verdict_batch([_h("to cancel")], [_h("v3")], [True])
        return as_customs.cancel_trades(3, {0: _h("ceb623")})

    def pledge() -> TxResult:
        opened = as_bank.open_receipt_financing(receipt, 1, _h("p"))
        as_bank.close_financing(as_bank.financing_id(opened))  # frees it to be cancelled
        return opened

    return [
        ("declareValues", lambda: life.declare_values(1, {0: 100_000}), 1),
        ("recordReturns", lambda: life.record_returns(1, {0: (1_000, _h("return"))}), 1),
        ("recordFxSettlement", lambda: as_bank.record_fx_settlement(_h("fx"), [(1, 0, 9)]), 1),
        ("cancelTrades", cancel, 1),
        (
            "openTradeFinancing",
            lambda: as_bank.open_trade_financing(FinancingKind.ORDER, 1, 0, 50_000, _h("t")),
            1,
        ),
        ("drawdown", lambda: as_bank.drawdown(1, 20_000), 1),
        ("repay", lambda: as_bank.repay(1, 20_000), 1),
        ("closeFinancing", lambda: as_bank.close_financing(1), 1),
        (
            "issueWarehouseReceipt",
            lambda: life.issue_warehouse_receipt(receipt, warehouse, _h("record"), 900_000),
            1,
        ),
        ("openReceiptFinancing", pledge, 1),
        ("cancelWarehouseReceipt", lambda: life.cancel_warehouse_receipt(receipt, _h("sold")), 1),
        ("declareValues", lambda: life.declare_values(2, {i: 100_000 for i in many}), trades),
        (
            "recordReturns",
            lambda: life.record_returns(2, {i: (1_000, _h(f"r{i}")) for i in many}),
            trades,
        ),
        (
            "recordFxSettlement",
            lambda: as_bank.record_fx_settlement(_h("netting"), [(2, i, 9) for i in many]),
            trades,
        ),
    ]


def _policy(w3: Web3) -> ReleasePolicy:
    """A standing release policy valid for a day from block 0's clock (stable per chain)."""
    start = int(w3.eth.get_block(0)["timestamp"])
    return ReleasePolicy(
        frozenset({"low"}), frozenset({"9610", "1210"}), 500_000, start, start + 10**9
    )


def _adopt_policy(w3: Web3, relayer: TradeRegistryClient, customs: LocalAccount) -> TxResult:
    policy = _policy(w3)
    typed = release_policy_typed_data(policy, w3.eth.chain_id, relayer.address)
    signature = sign_authorization(typed, customs.key).signature
    return relayer.adopt_release_policy(policy, customs.address, signature)


def measure_gas(
    w3: Web3, *, leaves_per_batch: int = 1000, trades_per_batch: int = 20
) -> list[GasLine]:
    """Deploy on ``w3`` with dev accounts and run each function once; return the gas used."""
    accounts = dev_accounts(w3, len(DEV_PARTIES))
    admin, anchorer, customs, bank, inspector = accounts[:5]
    deployment = deploy_registries(w3, admin, grants=dev_role_grants(accounts))
    trade = TradeRegistryClient(w3, deployment.trade_registry.address, anchorer)
    as_customs = TradeRegistryClient(w3, trade.address, customs)
    as_bank = TradeRegistryClient(w3, trade.address, bank)
    trace = TraceRegistryClient(w3, deployment.trace_registry.address, anchorer)
    as_inspector = TraceRegistryClient(w3, trace.address, inspector)
    ids = [_h(f"trade{i}") for i in range(trades_per_batch)]
    verdicts = [_h(f"verdict{i}") for i in range(trades_per_batch)]
    steps: list[Step] = [
        (
            "anchorBatch",
            lambda: trade.anchor_batch(_h("root"), leaves_per_batch, _h("b")),
            leaves_per_batch,
        ),
        ("revokeDocument", lambda: trade.revoke_document(_h("d1"), "issued in error"), 1),
        ("supersedeDocument", lambda: trade.supersede_document(_h("d2"), _h("d3"), "amended"), 1),
        ("recordVerdictBatch", lambda: trade.record_verdict_batch([_h("t")], [_h("v")], [True]), 1),
        ("releaseTrades", lambda: as_customs.release_trades(1, [0]), 1),
        ("confirmSettlements", lambda: as_bank.confirm_settlements(1, {0: _h("ref")}), 1),
        ("registerFinancing", lambda: as_bank.register_financing(1, [0], _h("terms")), 1),
        ("dischargeFinancing", lambda: as_bank.discharge_financing(1, [0]), 1),
        ("listParty", lambda: as_customs.list_party(_h("party"), 2**40, "fraud suspected"), 1),
        ("liftListing", lambda: as_customs.lift_listing(_h("party"), "cleared"), 1),
        ("adoptReleasePolicy", lambda: _adopt_policy(w3, trade, customs), 1),
        (
            "revokeReleasePolicy",
            lambda: as_customs.revoke_release_policy(trade.release_policy_id(_policy(w3))),
            1,
        ),
        (
            "recordVerdictBatch",
            lambda: trade.record_verdict_batch(ids, verdicts, [True] * len(ids)),
            len(ids),
        ),
        ("releaseTrades", lambda: as_customs.release_trades(2, range(len(ids))), len(ids)),
        (
            "confirmSettlements",
            lambda: as_bank.confirm_settlements(2, {i: _h(f"ref{i}") for i in range(len(ids))}),
            len(ids),
        ),
        ("anchorLotBatch", lambda: trace.anchor_lot_batch(_h("lot"), _h("r"), 100, _h("b")), 100),
        ("recallLot", lambda: as_inspector.recall_lot(_h("lot"), "contamination"), 1),
        ("clearRecall", lambda: as_inspector.clear_recall(_h("lot"), "retest negative"), 1),
        *_party_steps(w3, deployment, admin, customs.address),
        *_life_steps(w3, deployment, accounts, len(ids)),
    ]
    return [GasLine(name, run().gas_used, items) for name, run, items in steps]
