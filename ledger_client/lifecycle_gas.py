"""Gas of a trade's whole life on chain, on three designs deployed on the same node.

A trade's life is: its documents anchored, the match verdict, customs' release and the
bank's settlement. The same life is run for a batch of trades on

* ``sandan``: ``TradeRegistry`` (one Merkle root for every document of the batch; per 1,000
  trades one ``recordVerdictBatch``, one ``releaseTrades`` and one ``confirmSettlements``;
  each trade's three documents signed by a platform, a payment and a logistics company
  from pools of :data:`PARTY_POOLS`, committed with the verdicts and checked against the
  negative list at release, with one party of the pools listed);
* ``eas``: the Ethereum Attestation Service, one attestation per document and per state
  change, sent with ``multiAttest``; the contracts are the compiled artifacts the npm
  package ships (its sources pin solc 0.8.29, ours 0.8.28);
* ``mapping``: ``contracts/bench/PerRecordRegistry.sol``, one storage record per document
  and per state change, sent in batches as well.

Every figure is the ``gasUsed`` of real receipts, so it does not depend on machine speed.

The life after release (``LifecycleRegistry``: declared value, returns, customs'
cancellation, FX settlement netted over many trades, typed financing and warehouse
receipts) is measured apart by :func:`measure_life_after_release`: those steps happen to
some trades only, each trade paying for the ones it goes through.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_utils.crypto import keccak

from ledger_client._transact import Transactor
from ledger_client.accounts import DEV_PARTIES, dev_accounts, dev_role_grants
from ledger_client.authorization import sign_authorization
from ledger_client.client import TradeRegistryClient
from ledger_client.config import LedgerSettings
from ledger_client.deploy import deploy_registries
from ledger_client.errors import ArtifactsError, DeploymentError
from ledger_client.lifecycle import LifecycleRegistryClient
from ledger_client.party_lists import PartyLists, party_id
from ledger_client.release_policy import (
    Decision,
    ReleasePolicy,
    decision_facts,
    release_policy_typed_data,
)
from ledger_client.types import CompiledContract, FinancingKind

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3 import Web3
    from web3.contract import Contract
    from web3.contract.contract import ContractFunction
    from web3.types import TxReceipt

__all__ = [
    "BLOCK_GAS_LIMIT",
    "BLOCK_SECONDS",
    "DOCUMENTS_PER_TRADE",
    "EAS_PACKAGE",
    "LIFE_OPERATIONS",
    "LIFE_STEPS",
    "STEPS",
    "AfterReleaseGas",
    "LifecycleGas",
    "deploy_contract",
    "load_eas_artifacts",
    "measure_eas_lifecycle",
    "measure_life_after_release",
    "measure_mapping_lifecycle",
    "measure_sandan_lifecycle",
]

#: The steps of a trade's life, in order.
STEPS = ("documents", "verdict", "release", "settlement")
#: An order, a payment and a waybill (the three documents the verdict matches).
DOCUMENTS_PER_TRADE = 3
#: How many platforms, payment and logistics companies sign a batch's documents: a busy
#: zone's mix (each party's id costs its 32 bytes once per batch, in the verdict and the release).
PARTY_POOLS = {"platform": 40, "payment": 8, "logistics": 16}
#: The consortium chain the capacity is quoted for: 30M gas per block, one block each 2 s.
BLOCK_GAS_LIMIT = 30_000_000
BLOCK_SECONDS = 2
#: Trades per verdict batch in sandan's life cycle: the issue's batch of 1,000.
SANDAN_TRADES_PER_BATCH = 1000
#: Trades per batched transaction of the per-record baseline: 100 records (about 4.9M gas)
#: fit a 30M block with room.
TRADES_PER_TX = 100
#: EAS attestations per ``multiAttest``: about 150k gas each, so 100 stay well under 30M.
ATTESTATIONS_PER_TX = 100
EAS_PACKAGE = "@ethereum-attestation-service/eas-contracts"

_ATTESTED = keccak(text="Attested(address,address,bytes32,bytes32)")
_REGISTERED = keccak(text="Registered(bytes32,address,(bytes32,address,bool,string))")
_ZERO32 = b"\0" * 32
_ZERO_ADDRESS = "0x" + "00" * 20
#: One schema per record kind: what each attestation's data holds.
EAS_SCHEMAS = {
    "documents": "bytes32 documentHash",
    "verdict": "bytes32 tradeId,bytes32 verdictHash,bool matched",
    "release": "bytes32 tradeId",
    "settlement": "bytes32 tradeId,bytes32 settlementRef",
}


@dataclass(frozen=True)
class LifecycleGas:
    """Gas used by each step of ``trades`` trades' lives (sums over every receipt)."""

    design: str
    trades: int
    gas: dict[str, int]
    transactions: dict[str, int] = field(default_factory=dict)

    def per_trade(self, step: str) -> float:
        """Gas one trade pays for ``step`` (its share of the batched transactions)."""
        return self.gas[step] / self.trades

    @property
    def lifecycle(self) -> float:
        """Gas of one trade's whole life: the sum of its steps."""
        return sum(self.per_trade(step) for step in STEPS)

    @property
    def trades_per_second(self) -> float:
        """Trades a 30M-gas, 2 s chain carries when it does nothing else."""
        return BLOCK_GAS_LIMIT / BLOCK_SECONDS / self.lifecycle


def _h(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


@dataclass(frozen=True)
class _Trades:
    """Deterministic ids, documents, verdicts and settlement references for ``count`` trades."""

    count: int
    tag: str

    @property
    def ids(self) -> list[bytes]:
        return [_h(f"{self.tag}-trade-{i}") for i in range(self.count)]

    @property
    def documents(self) -> list[bytes]:
        return [
            _h(f"{self.tag}-doc-{i}-{k}")
            for i in range(self.count)
            for k in range(DOCUMENTS_PER_TRADE)
        ]

    @property
    def verdicts(self) -> list[bytes]:
        return [_h(f"{self.tag}-verdict-{i}") for i in range(self.count)]

    @property
    def settlements(self) -> list[bytes]:
        return [_h(f"{self.tag}-settlement-{i}") for i in range(self.count)]

    def signers(self, i: int) -> list[bytes]:
        """The parties that signed trade ``i``'s order, payment and waybill."""
        return [party_id(f"{kind}-{i % size}") for kind, size in PARTY_POOLS.items()]


def measure_sandan_lifecycle(
    w3: Web3, trades: int, *, tag: str = "sandan", under_policy: bool = False
) -> LifecycleGas:
    """Run ``trades`` lives on a fresh TradeRegistry; documents anchored as one batch root.

    ``under_policy``: customs signs one standing release policy, and the anchorer releases
    each batch under it (``releaseTradesUnderPolicy``: each trade's grade, mode, value and
    inputs hash checked against the policy and committed) instead of customs' own call."""
    accounts = dev_accounts(w3, len(DEV_PARTIES))
    admin, anchorer, customs, bank = accounts[:4]
    deployment = deploy_registries(w3, admin, grants=dev_role_grants(accounts))
    address = deployment.trade_registry.address
    as_anchorer = TradeRegistryClient(w3, address, anchorer)
    as_customs = TradeRegistryClient(w3, address, customs)
    as_bank = TradeRegistryClient(w3, address, bank)
    batch = _Trades(trades, tag)
    ids, verdicts = batch.ids, batch.verdicts
    documents = batch.documents
    # The contract stores the root and the leaf count only: its gas does not depend on how
    # the root was built, so a digest over the leaves stands in for the Merkle root here.
    root = hashlib.sha256(b"".join(documents)).digest()
    gas = dict.fromkeys(STEPS, 0)
    sent = dict.fromkeys(STEPS, 0)

    def count(step: str, used: int) -> None:
        gas[step] += used
        sent[step] += 1

    count("documents", as_anchorer.anchor_batch(root, len(documents), _h(f"{tag}-batch")).gas_used)
    policy_id = _adopt_policy(w3, as_anchorer, customs) if under_policy else None
    # The negative list is not empty, as in a zone that uses it (this party signs no trade here).
    as_customs.list_party(party_id("platform-listed"), 2**40, "bench: listed, not in the batch")
    # One verdict batch per SANDAN_TRADES_PER_BATCH trades; each later step names the batch's
    # positions as a bitmask, so it is one transaction per batch as well.
    for chunk in _chunks(range(trades), SANDAN_TRADES_PER_BATCH):
        parties = PartyLists.of([batch.signers(i) for i in chunk])
        result = as_anchorer.record_verdict_batch(
            [ids[i] for i in chunk],
            [verdicts[i] for i in chunk],
            [True] * len(chunk),
            parties=parties,
        )
        count("verdict", result.gas_used)
        number = as_anchorer.recorded_batch(result).batch
        positions = range(len(chunk))
        if policy_id is None:
            released = as_customs.release_trades(number, positions, parties=parties)
        else:
            decisions = {
                p: Decision("low", "9610", 29_900 + p, _h(f"{tag}-inputs{p}")) for p in positions
            }
            root = as_anchorer.recorded_batch(result).root
            # The decisions root's gas does not depend on how it was built (as the documents').
            decisions_root = hashlib.sha256(decision_facts(decisions)).digest()
            released = as_anchorer.release_trades_under_policy(
                number, root, policy_id, decisions, decisions_root, parties=parties
            )
        count("release", released.gas_used)
        references = {p: batch.settlements[chunk[p]] for p in positions}
        count("settlement", as_bank.confirm_settlements(number, references).gas_used)
    return LifecycleGas("sandan", trades, gas, sent)


#: The batch steps after release, each measured per trade (``fx_netting_<n>``: one FX
#: settlement netting ``n`` trades).
LIFE_STEPS = ("declare", "return", "cancel", "fx_netting_1", "fx_netting_10", "fx_netting_100")
#: The one-off operations after release, each one call: typed financing of a trade, and a
#: warehouse receipt issued, pledged and cancelled.
LIFE_OPERATIONS = (
    "openTradeFinancing",
    "drawdown",
    "repay",
    "closeFinancing",
    "issueWarehouseReceipt",
    "openReceiptFinancing",
    "cancelWarehouseReceipt",
)
#: Trades per declareValues and recordReturns call: a fresh word per declared trade (about
#: 25,000 gas each) keeps 250 of them near 6M gas, well inside a 30M block.
_LIFE_TRADES_PER_TX = 250


@dataclass(frozen=True)
class AfterReleaseGas:
    """Gas of LifecycleRegistry's steps: each batch step's sum over ``items`` trades, and
    each one-off operation's one call."""

    trades: int
    gas: dict[str, int]
    items: dict[str, int]
    transactions: dict[str, int]
    operations: dict[str, int]

    def per_trade(self, step: str) -> float:
        """Gas one trade pays for ``step`` (its share of the batched calls)."""
        return self.gas[step] / self.items[step]


def measure_life_after_release(
    w3: Web3, trades: int = SANDAN_TRADES_PER_BATCH, *, tag: str = "life"
) -> AfterReleaseGas:
    """Run the life after release on a fresh deployment: ``trades`` released trades of one
    verdict batch get their values declared, a partial return each, and FX settlements
    netting 1, 10 and 100 of them (``trades`` must be at least 111); a second batch of 100
    matched trades is cancelled by customs; then one typed trade financing is opened, drawn,
    repaid and closed, and one warehouse receipt issued, pledged, freed and cancelled."""
    nettings = [int(step.rsplit("_", 1)[1]) for step in LIFE_STEPS if step.startswith("fx_")]
    if trades < sum(nettings):
        raise ValueError(f"{trades} trades: at least {sum(nettings)} are needed for the nettings")
    accounts = dev_accounts(w3, len(DEV_PARTIES))
    admin, anchorer, customs, bank = accounts[:4]
    deployment = deploy_registries(w3, admin, grants=dev_role_grants(accounts))
    registry, address = deployment.trade_registry.address, deployment.lifecycle_registry.address
    as_anchorer = TradeRegistryClient(w3, registry, anchorer)
    life = LifecycleRegistryClient(w3, address, anchorer)
    life_customs = LifecycleRegistryClient(w3, address, customs)
    life_bank = LifecycleRegistryClient(w3, address, bank)
    gas = dict.fromkeys(LIFE_STEPS, 0)
    items = dict.fromkeys(LIFE_STEPS, 0)
    sent = dict.fromkeys(LIFE_STEPS, 0)

    def count(step: str, used: int, covered: int) -> None:
        gas[step] += used
        items[step] += covered
        sent[step] += 1

    def verdict_batch(label: str, size: int, *, released: bool) -> int:
        ids = [_h(f"{tag}-{label}-trade-{i}") for i in range(size)]
        verdicts = [_h(f"{tag}-{label}-verdict-{i}") for i in range(size)]
        result = as_anchorer.record_verdict_batch(ids, verdicts, [True] * size)
        number = as_anchorer.recorded_batch(result).batch
        if released:
            TradeRegistryClient(w3, registry, customs).release_trades(number, range(size))
        return number

    batch = verdict_batch("released", trades, released=True)
    for chunk in _chunks(range(trades), _LIFE_TRADES_PER_TX):
        values = {p: 100_000 + p for p in chunk}
        count("declare", life.declare_values(batch, values).gas_used, len(chunk))
    for chunk in _chunks(range(trades), _LIFE_TRADES_PER_TX):
        returns = {p: (1_000, _h(f"{tag}-return-{p}")) for p in chunk}
        count("return", life.record_returns(batch, returns).gas_used, len(chunk))
    start = 0
    for netting in nettings:
        parts = [(batch, p, 50_000) for p in range(start, start + netting)]
        used = life_bank.record_fx_settlement(_h(f"{tag}-fx-{netting}"), parts).gas_used
        count(f"fx_netting_{netting}", used, netting)
        start += netting
    cancelled = verdict_batch("cancelled", 100, released=False)
    receipts = {p: _h(f"{tag}-ceb623-{p}") for p in range(100)}
    count("cancel", life_customs.cancel_trades(cancelled, receipts).gas_used, len(receipts))

    operations: dict[str, int] = {}
    opened = life_bank.open_trade_financing(
        FinancingKind.RECEIVABLE, batch, trades - 1, 50_000, _h(f"{tag}-terms")
    )
    operations["openTradeFinancing"] = opened.gas_used
    financing = life_bank.financing_id(opened)
    operations["drawdown"] = life_bank.drawdown(financing, 30_000).gas_used
    operations["repay"] = life_bank.repay(financing, 30_000).gas_used
    operations["closeFinancing"] = life_bank.close_financing(financing).gas_used
    receipt = _h(f"{tag}-receipt")
    warehouse = party_id(f"{tag}-warehouse")
    issued = life.issue_warehouse_receipt(receipt, warehouse, _h(f"{tag}-record"), 900_000)
    operations["issueWarehouseReceipt"] = issued.gas_used
    pledged = life_bank.open_receipt_financing(receipt, 600_000, _h(f"{tag}-pledge"))
    operations["openReceiptFinancing"] = pledged.gas_used
    life_bank.close_financing(life_bank.financing_id(pledged))
    operations["cancelWarehouseReceipt"] = life.cancel_warehouse_receipt(
        receipt, _h(f"{tag}-sold")
    ).gas_used
    return AfterReleaseGas(trades, gas, items, sent, operations)


def _adopt_policy(w3: Web3, relayer: TradeRegistryClient, customs: LocalAccount) -> bytes:
    """Customs' standing policy for the bench's trades (low risk, 9610, up to 5,000 yuan),
    signed by customs and adopted by the anchorer; its id. Adoption is once per policy, not
    per trade, so it is not counted."""
    now = int(w3.eth.get_block("latest")["timestamp"])
    policy = ReleasePolicy(frozenset({"low"}), frozenset({"9610"}), 500_000, now - 60, now + 86_400)
    typed = release_policy_typed_data(policy, w3.eth.chain_id, relayer.address)
    relayer.adopt_release_policy(
        policy, customs.address, sign_authorization(typed, customs.key).signature
    )
    return relayer.release_policy_id(policy)


class _Caller:
    """Sends calls of one contract from one account and keeps their receipts."""

    def __init__(self, w3: Web3, contract: Contract, account: LocalAccount):
        self.contract = contract
        self._tx = Transactor(w3, contract, account)

    def __call__(self, function: str, *args: Any) -> TxReceipt:
        """Send ``function(*args)``, wait for it to be mined; raise if it failed."""
        fn: ContractFunction = getattr(self.contract.functions, function)(*args)
        receipt = self._tx.wait_receipt(self._tx.send(fn))
        if receipt["status"] != 1:
            raise DeploymentError(f"bench transaction {receipt['transactionHash'].hex()} failed")
        return receipt


def deploy_contract(
    w3: Web3, account: LocalAccount, abi: Sequence[Any], bytecode: str, *args: Any
) -> Contract:
    """Deploy ``bytecode`` with constructor ``args`` from ``account``; return the bound contract."""
    sender = Transactor(w3, None, account)
    factory = w3.eth.contract(abi=list(abi), bytecode=bytecode)
    params: dict[str, Any] = {"from": account.address, "chainId": sender.chain_id}
    tx = dict(sender.rpc(lambda: factory.constructor(*args).build_transaction(params)))
    receipt = sender.wait_receipt(sender.send_deploy(tx))
    address = receipt.get("contractAddress")
    if receipt["status"] != 1 or not address:
        raise DeploymentError("deploying a bench contract failed")
    return w3.eth.contract(address=address, abi=list(abi))


def load_eas_artifacts(settings: LedgerSettings) -> dict[str, dict[str, Any]]:
    """The compiled SchemaRegistry and EAS the npm package ships (Hardhat artifact JSON)."""
    root = settings.node_modules_dir / EAS_PACKAGE / "artifacts" / "contracts"
    loaded = {}
    for name in ("SchemaRegistry", "EAS"):
        path = root / f"{name}.sol" / f"{name}.json"
        try:
            loaded[name] = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ArtifactsError(
                f"EAS artifact {path} is unreadable: run `make setup` (npm ci installs"
                f" {EAS_PACKAGE})"
            ) from exc
    return loaded


def _attested_uids(receipt: TxReceipt, eas: str) -> list[bytes]:
    return [
        bytes(log["data"])
        for log in receipt["logs"]
        if log["address"] == eas and bytes(log["topics"][0]) == _ATTESTED
    ]


def measure_eas_lifecycle(
    w3: Web3, account: LocalAccount, trades: int, settings: LedgerSettings, *, tag: str = "eas"
) -> LifecycleGas:
    """Run ``trades`` lives as EAS attestations: per document, verdict, release, settlement.

    Release references the verdict's attestation and settlement the release's (``refUID``),
    which EAS checks exist; the state rules themselves (released once, only when matched)
    would need a resolver contract, so these figures are a lower bound for EAS.
    """
    artifacts = load_eas_artifacts(settings)
    registry_art, eas_art = artifacts["SchemaRegistry"], artifacts["EAS"]
    registry = deploy_contract(w3, account, registry_art["abi"], registry_art["bytecode"])
    eas = deploy_contract(w3, account, eas_art["abi"], eas_art["bytecode"], registry.address)
    on_registry, on_eas = _Caller(w3, registry, account), _Caller(w3, eas, account)
    schemas = {}
    for step, schema in EAS_SCHEMAS.items():
        receipt = on_registry("register", schema, _ZERO_ADDRESS, True)
        (log,) = [entry for entry in receipt["logs"] if bytes(entry["topics"][0]) == _REGISTERED]
        schemas[step] = bytes(log["topics"][1])
    batch = _Trades(trades, tag)
    ids = batch.ids
    encode = w3.codec.encode
    gas = dict.fromkeys(STEPS, 0)
    sent = dict.fromkeys(STEPS, 0)

    def attest(step: str, payloads: Sequence[tuple[bytes, bytes]]) -> list[bytes]:
        """One attestation per (refUID, data), ``ATTESTATIONS_PER_TX`` per multiAttest."""
        uids: list[bytes] = []
        for chunk in _chunks(payloads, ATTESTATIONS_PER_TX):
            data = [(_ZERO_ADDRESS, 0, True, ref, body, 0) for ref, body in chunk]
            receipt = on_eas("multiAttest", [(schemas[step], data)])
            gas[step] += receipt["gasUsed"]
            sent[step] += 1
            uids.extend(_attested_uids(receipt, eas.address))
        return uids

    attest("documents", [(_ZERO32, encode(["bytes32"], [d])) for d in batch.documents])
    verdict_uids = attest(
        "verdict",
        [
            (_ZERO32, encode(["bytes32", "bytes32", "bool"], [t, v, True]))
            for t, v in zip(ids, batch.verdicts, strict=True)
        ],
    )
    release_uids = attest(
        "release", [(u, encode(["bytes32"], [t])) for u, t in zip(verdict_uids, ids, strict=True)]
    )
    attest(
        "settlement",
        [
            (u, encode(["bytes32", "bytes32"], [t, s]))
            for u, t, s in zip(release_uids, ids, batch.settlements, strict=True)
        ],
    )
    return LifecycleGas("eas", trades, gas, sent)


def measure_mapping_lifecycle(
    w3: Web3,
    account: LocalAccount,
    trades: int,
    compiled: CompiledContract,
    *,
    tag: str = "mapping",
) -> LifecycleGas:
    """Run ``trades`` lives on PerRecordRegistry (``compiled``: its CompiledContract)."""
    registry = deploy_contract(w3, account, compiled.abi, compiled.bytecode)
    call = _Caller(w3, registry, account)
    batch = _Trades(trades, tag)
    ids, verdicts, documents, refs = batch.ids, batch.verdicts, batch.documents, batch.settlements
    gas = dict.fromkeys(STEPS, 0)
    sent = dict.fromkeys(STEPS, 0)

    def run(step: str, function: str, *args: Any) -> None:
        gas[step] += call(function, *args)["gasUsed"]
        sent[step] += 1

    for chunk in _chunks(range(trades), TRADES_PER_TX):
        docs = documents[chunk[0] * DOCUMENTS_PER_TRADE : (chunk[-1] + 1) * DOCUMENTS_PER_TRADE]
        run("documents", "recordDocuments", docs)
    for chunk in _chunks(range(trades), TRADES_PER_TX):
        t, v = [ids[i] for i in chunk], [verdicts[i] for i in chunk]
        run("verdict", "recordVerdicts", t, v, [True] * len(t))
    for chunk in _chunks(range(trades), TRADES_PER_TX):
        run("release", "releaseBatch", [ids[i] for i in chunk])
    for chunk in _chunks(range(trades), TRADES_PER_TX):
        t, r = [ids[i] for i in chunk], [refs[i] for i in chunk]
        run("settlement", "settleBatch", t, r)
    return LifecycleGas("mapping", trades, gas, sent)
