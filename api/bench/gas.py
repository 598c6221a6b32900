"""Gas per anchored document, per contract call, and per trade's whole life on three designs.

The life-cycle figures (``gas.per_trade.*``, ``gas.eas.*``, ``gas.mapping.*``) run the same
batch of trades on TradeRegistry v2, on EAS and on a per-record mapping, all on the
run's anvil (ledger_client.lifecycle_gas), so they sit side by side in one table.

The life after release (``gas.life.*``) is LifecycleRegistry's: per trade for the batch
steps (declared value, return, cancellation, FX settlement netting 1, 10 or 100 trades) and
per call for typed financing and warehouse receipts. Only the trades that go through a step
pay for it, so the issue-15 target stays on the life every trade has (documents to
settlement); ``gas.life.per_trade.lifecycle_with_fx`` says what a trade whose value is
declared and whose FX is settled on chain costs in all.
"""

from __future__ import annotations

import functools
import hashlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from api.bench.context import BenchContext
from api.bench.metric import Metric, Target, at_least, at_most, skipped
from api.services.authorizations import prepare_authorization
from ledger_client import (
    AuthorizationAction,
    CompiledContract,
    LedgerError,
    LedgerSettings,
    Signed,
    TradeRegistryClient,
    sign_authorization,
)
from ledger_client.compile import compile_bench_contracts
from ledger_client.gas import measure_gas
from ledger_client.lifecycle_gas import (
    BLOCK_GAS_LIMIT,
    BLOCK_SECONDS,
    DOCUMENTS_PER_TRADE,
    LIFE_OPERATIONS,
    LIFE_STEPS,
    SANDAN_TRADES_PER_BATCH,
    STEPS,
    AfterReleaseGas,
    LifecycleGas,
    deploy_contract,
    measure_eas_lifecycle,
    measure_life_after_release,
    measure_mapping_lifecycle,
    measure_sandan_lifecycle,
)
from traceability.merkle import MerkleTree

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3 import Web3

__all__ = [
    "BATCH_SIZES",
    "REFERENCES",
    "HashGas",
    "bench_contracts",
    "life_after_release_metrics",
    "lifecycle_metrics",
    "measure_hash_gas",
    "per_record_registry",
    "run",
    "sm3_metrics",
]

GROUP = "gas"
#: Documents per Merkle batch compared with one transaction per document.
BATCH_SIZES = (10, 100, 1_000, 10_000)
#: Trades per relayed, customs-signed release (releaseWithSig).
RELEASE_WITH_SIG_SIZES = (1, 100)
#: Per-document ceilings from issue 7.
TARGETS: dict[int, Target] = {1_000: at_most(60), 10_000: at_most(10)}
#: Reference points quoted from issue 7 (measured there on one anvil), NOT measured here.
REFERENCES: tuple[tuple[str, float, str, str], ...] = (
    ("ref.openattestation_root_per_batch", 49_000, "gas/batch", "49 gas/doc at 1,000"),
    ("ref.eas_attest_per_doc", 180_000, "gas/doc", "146,000 in multiAttest"),
    ("ref.naive_mapping_per_doc", 45_600, "gas/doc", "one mapping write + event"),
)
#: Issue 15: a trade's whole life in batches of 1,000, and what a 30M-gas, 2 s chain must carry.
LIFECYCLE_TARGET = at_most(7_500)
CAPACITY_TARGET = at_least(2_000)
#: Trades per life-cycle batch (full run, quick run).
LIFECYCLE_TRADES = (100, 1_000)
_DESIGNS = {
    "sandan": ("gas", "TradeRegistry v2: verdict batches, state packed per batch"),
    "eas": ("gas.eas", "EAS 1.9.0 (npm artifacts), one attestation per document and state change"),
    "mapping": ("gas.mapping", "PerRecordRegistry, one SSTORE per document and state change"),
}
_STEP_NOTES = {
    "sandan": {
        "documents": f"{DOCUMENTS_PER_TRADE} documents: share of one anchorBatch root",
        "verdict": f"recordVerdictBatch, {SANDAN_TRADES_PER_BATCH:,} trades per batch",
        "release": f"releaseTrades, a bitmask of {SANDAN_TRADES_PER_BATCH:,} positions",
        "settlement": f"confirmSettlements, {SANDAN_TRADES_PER_BATCH:,} references per call",
    },
    "eas": {
        "documents": f"{DOCUMENTS_PER_TRADE} attestations in multiAttest",
        "verdict": "one attestation in multiAttest",
        "release": "one attestation in multiAttest, refUID = verdict",
        "settlement": "one attestation in multiAttest, refUID = release",
    },
    "mapping": {
        "documents": f"{DOCUMENTS_PER_TRADE} records in recordDocuments",
        "verdict": "one record in recordVerdicts",
        "release": "one record in releaseBatch (reads the verdict)",
        "settlement": "one record in settleBatch (reads the release)",
    },
}
#: What each step after release is (LifecycleRegistry), for the table's notes.
_LIFE_NOTES = {
    "declare": "declareValues: the trade's value, once (a fresh storage word per trade)",
    "return": "recordReturns: an accepted return's amount and hash (updates the trade's word)",
    "cancel": "cancelTrades by customs (撤单), undeclared trades (a fresh word each)",
    "fx_netting_1": "recordFxSettlement netting 1 trade (the settlement's own record alone)",
    "fx_netting_10": "recordFxSettlement netting 10 trades, one bank record",
    "fx_netting_100": "recordFxSettlement netting 100 trades, one bank record",
}
_OPERATION_NOTES = {
    "openTradeFinancing": "a receivable financing of one trade (a new financing record)",
    "drawdown": "a partial drawdown (one storage word)",
    "repay": "a repayment (one storage word)",
    "closeFinancing": "closing a repaid financing, freeing the trade",
    "issueWarehouseReceipt": "a warehouse receipt (仓单) relayed by the anchorer",
    "openReceiptFinancing": "a pledge of the receipt (仓单质押), which becomes Pledged",
    "cancelWarehouseReceipt": "cancelling an unpledged receipt",
}
_QUOTED = "reference quoted from issue 7, not measured by this bench"
_SINGLE_SAMPLES = 5


def _digest(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def _anchorer(ctx: BenchContext) -> TradeRegistryClient:
    chain = ctx.chain()
    deployment = chain.deploy()
    return TradeRegistryClient(chain.w3, deployment.trade_registry.address, chain.accounts[1])


def _one_per_document(client: TradeRegistryClient) -> Metric:
    """anchorBatch(leafCount 1) per document: the root is the document's own leaf."""
    used = []
    for _ in range(_SINGLE_SAMPLES):
        tree = MerkleTree.build([os.urandom(32)])
        used.append(client.anchor_batch(tree.root, 1, os.urandom(32)).gas_used)
    mean = sum(used) / len(used)
    notes = f"anchorBatch(leafCount=1), mean of {len(used)} transactions"
    return Metric("gas.per_doc.one_tx_each", mean, "gas/doc", notes=notes, group=GROUP)


def _batch(client: TradeRegistryClient, size: int) -> list[Metric]:
    """Build a tree of ``size`` random document hashes, anchor its root, divide the gas."""
    values = [os.urandom(32) for _ in range(size)]
    start = time.perf_counter()
    tree = MerkleTree.build(values)
    build_ms = (time.perf_counter() - start) * 1000
    gas = client.anchor_batch(tree.root, size, os.urandom(32)).gas_used
    depth = len(tree.proof(values[0]))
    return [
        Metric(
            f"gas.per_doc.batch_{size}",
            gas / size,
            "gas/doc",
            TARGETS.get(size),
            notes=f"anchorBatch {gas:,} gas for {size:,} documents (proof depth {depth})",
            group=GROUP,
        ),
        Metric(
            f"merkle.build.batch_{size}",
            build_ms,
            "ms",
            notes="MerkleTree.build (OpenZeppelin StandardMerkleTree rules), one core",
            group=GROUP,
        ),
    ]


def _functions(ctx: BenchContext) -> list[Metric]:
    """Every registry function once (ledger_client.gas), recordVerdictBatch also for 100."""
    w3 = ctx.chain().w3
    lines = measure_gas(w3, leaves_per_batch=1_000, trades_per_batch=10)
    metrics = [
        Metric(
            f"gas.fn.{line.function}" + (f"_{line.items}" if line.items > 1 else ""),
            line.gas_used,
            "gas",
            notes=f"{line.per_item:,.0f} gas per item" if line.items > 1 else "",
            group=GROUP,
        )
        for line in lines
    ]
    with_sig = [_release_with_sig(ctx, count) for count in RELEASE_WITH_SIG_SIZES]
    return [*metrics, _record_verdicts(ctx, 100), *with_sig]


def _record_verdicts(ctx: BenchContext, count: int) -> Metric:
    client = _anchorer(ctx)
    ids = [_digest(f"bench-trade-{i}") for i in range(count)]
    verdicts = [_digest(f"bench-verdict-{i}") for i in range(count)]
    gas = client.record_verdict_batch(ids, verdicts, [True] * count).gas_used
    notes = f"{gas / count:,.0f} gas per trade"
    return Metric(f"gas.fn.recordVerdictBatch_{count}", gas, "gas", notes=notes, group=GROUP)


def _release_with_sig(ctx: BenchContext, count: int) -> Metric:
    """Customs signs one authorization for ``count`` matched trades; the admin relays it."""
    chain = ctx.chain()
    admin, customs = chain.accounts[0], chain.accounts[2]
    anchorer = _anchorer(ctx)
    ids = [_digest(f"bench-sig-trade-{count}-{i}") for i in range(count)]
    verdicts = [_digest(f"v{i}") for i in range(count)]
    recorded = anchorer.recorded_batch(anchorer.record_verdict_batch(ids, verdicts, [True] * count))
    positions = list(range(count))
    deadline = chain.w3.eth.get_block("latest")["timestamp"] + 3600
    prepared = prepare_authorization(
        AuthorizationAction.RELEASE,
        ids,
        None,
        batch=recorded.batch,
        positions=positions,
        root=recorded.root,
        verdict_hashes=verdicts,
        nonce=anchorer.nonces(customs.address),
        deadline=deadline,
        chain_id=chain.w3.eth.chain_id,
        registry=anchorer.address,
    )
    signature = sign_authorization(prepared.typed_data, customs.key)
    relayer = TradeRegistryClient(chain.w3, anchorer.address, admin)
    by = Signed(customs.address, prepared.nonce, deadline, signature.signature)
    gas = relayer.release_trades_with_sig(recorded.batch, positions, by).gas_used
    notes = f"{gas / count:,.0f} gas per trade, one EIP-712 signature, relayed"
    return Metric(f"gas.fn.releaseTradesWithSig_{count}", gas, "gas", notes=notes, group=GROUP)


def _references() -> list[Metric]:
    return [
        Metric(name, value, unit, notes=f"{_QUOTED}; {detail}", group="reference")
        for name, value, unit, detail in REFERENCES
    ]


@functools.cache
def bench_contracts() -> dict[str, CompiledContract]:
    """The bench-only contracts, compiled once per process (seconds of CPU with solc-npm)."""
    return compile_bench_contracts(LedgerSettings())


def per_record_registry() -> CompiledContract:
    """PerRecordRegistry, the per-record baseline of the life-cycle figures."""
    return bench_contracts()["PerRecordRegistry"]


@dataclass(frozen=True)
class HashGas:
    """Gas of hashing ``size`` bytes inside one EVM call, by EVM code (SM3) and natively
    (keccak256), with the SM3 digest the code returned."""

    size: int
    sm3: int
    keccak: int
    sm3_digest: bytes


def measure_hash_gas(w3: Web3, account: LocalAccount, sizes: Sequence[int]) -> list[HashGas]:
    """Deploy Sm3Bench and measure SM3 against keccak256 for inputs of each size (eth_call:
    the node runs the code, nothing is mined but the deployment)."""
    compiled = bench_contracts()["Sm3Bench"]
    bench = deploy_contract(w3, account, compiled.abi, compiled.bytecode)
    measured = []
    for size in sizes:
        digest, sm3_gas, _keccak, keccak_gas = bench.functions.measure(os.urandom(size)).call()
        measured.append(HashGas(size, int(sm3_gas), int(keccak_gas), bytes(digest)))
    return measured


def sm3_metrics(ctx: BenchContext) -> list[Metric]:
    """What SM3 would cost the contracts: a Merkle node (two 32-byte children) and 1 KiB."""
    chain = ctx.chain()
    try:
        node, kib = measure_hash_gas(chain.w3, chain.accounts[0], (64, 1024))
    except LedgerError as exc:  # no pinned solc to compile the bench contract
        return [skipped("gas.sm3.merkle_node", "gas", str(exc))]
    code = "SM3 in EVM code (contracts/bench/Sm3Bench.sol), gas inside the call"
    depth = (1_000 - 1).bit_length()  # nodes on a proof in a balanced tree of 1,000 leaves
    return [
        Metric(
            "gas.sm3.merkle_node",
            node.sm3,
            "gas",
            notes=(
                f"{code}: one Merkle node (64 bytes, 2 compressions), "
                f"{node.sm3 / node.keccak:,.0f}x keccak256; a proof in a 1,000-document "
                f"batch ({depth} nodes) would cost {depth * node.sm3:,} gas per verifyDocument"
            ),
            group=GROUP,
        ),
        Metric(
            "gas.keccak.merkle_node",
            node.keccak,
            "gas",
            notes="keccak256 of the same 64 bytes: the EVM's own opcode (30 + 6 per word)",
            group=GROUP,
        ),
        Metric(
            "gas.sm3.per_kib",
            kib.sm3,
            "gas",
            notes=f"{code}: 1 KiB (17 compressions); keccak256 of it: {kib.keccak:,} gas",
            group=GROUP,
        ),
    ]


def _design_metrics(result: LifecycleGas, quick_note: str) -> list[Metric]:
    prefix, label = _DESIGNS[result.design]
    ours = result.design == "sandan"
    metrics = [
        Metric(
            f"{prefix}.per_trade.{step}",
            result.per_trade(step),
            "gas/trade",
            notes=(
                f"{_STEP_NOTES[result.design][step]}; {result.gas[step]:,} gas in "
                f"{result.transactions[step]} tx for {result.trades:,} trades"
            ),
            group=GROUP,
        )
        for step in STEPS
    ]
    lifecycle = result.lifecycle
    over = lifecycle / LIFECYCLE_TARGET.limit
    verdict = (
        f"{over:.1f}x the ≤ {LIFECYCLE_TARGET.limit:,.0f} goal "
        f"({lifecycle - LIFECYCLE_TARGET.limit:+,.0f} gas)"
    )
    metrics.append(
        Metric(
            f"{prefix}.per_trade.lifecycle",
            lifecycle,
            "gas/trade",
            LIFECYCLE_TARGET if ours else None,
            notes=f"{label}: {' + '.join(STEPS)}; {verdict}{quick_note}",
            group=GROUP,
        )
    )
    capacity = result.trades_per_second
    chain = f"{BLOCK_GAS_LIMIT / 1e6:.0f}M gas per {BLOCK_SECONDS} s block"
    shortfall = (
        ""
        if capacity >= CAPACITY_TARGET.limit
        else (f"; {CAPACITY_TARGET.limit / capacity:.1f}x short of ≥ {CAPACITY_TARGET.limit:,.0f}")
    )
    metrics.append(
        Metric(
            f"{prefix}.capacity.trades_per_second",
            capacity,
            "trades/s",
            CAPACITY_TARGET if ours else None,
            notes=f"{label} on a {chain}, nothing else on chain{shortfall}",
            group=GROUP,
        )
    )
    return metrics


def _graded_metrics(result: LifecycleGas) -> list[Metric]:
    """The life cycle with the release relayed under customs' standing policy (graded
    release): each trade's grade, mode, value and inputs hash checked and committed."""
    release = result.per_trade("release")
    lifecycle = result.lifecycle
    return [
        Metric(
            "gas.per_trade.release_under_policy",
            release,
            "gas/trade",
            notes=(
                f"releaseTradesUnderPolicy: facts checked against customs' signed policy and "
                f"committed under a decisions root; {result.gas['release']:,} gas in "
                f"{result.transactions['release']} tx for {result.trades:,} trades"
            ),
            group=GROUP,
        ),
        Metric(
            "gas.per_trade.lifecycle_under_policy",
            lifecycle,
            "gas/trade",
            LIFECYCLE_TARGET,
            notes=(
                f"documents + verdict + release under policy + settlement; "
                f"{BLOCK_GAS_LIMIT / BLOCK_SECONDS / lifecycle:,.0f} trades/s on a 30M/2 s chain"
            ),
            group=GROUP,
        ),
    ]


def lifecycle_metrics(ctx: BenchContext, trades: int) -> list[Metric]:
    """A batch of ``trades`` lives on TradeRegistry, EAS and PerRecordRegistry, same anvil."""
    chain = ctx.chain()
    full = LIFECYCLE_TRADES[1]
    quick_note = "" if trades >= full else f"; batch of {trades:,} trades, not {full:,} (quick)"
    # sandan's own life runs the batch of 1,000 even in --quick: four transactions.
    sandan = measure_sandan_lifecycle(chain.w3, full)
    metrics = _design_metrics(sandan, "")
    metrics.extend(_graded_metrics(measure_sandan_lifecycle(chain.w3, full, under_policy=True)))
    ctx.progress.advance()
    account = chain.accounts[0]
    try:
        eas = measure_eas_lifecycle(chain.w3, account, trades, LedgerSettings())
        metrics.extend(_design_metrics(eas, quick_note))
    except LedgerError as exc:  # EAS artifacts not installed: say so, keep the other figures
        metrics.append(skipped("gas.eas.per_trade.lifecycle", "gas/trade", str(exc)))
    ctx.progress.advance()
    try:
        mapping = measure_mapping_lifecycle(chain.w3, account, trades, per_record_registry())
        metrics.extend(_design_metrics(mapping, quick_note))
    except LedgerError as exc:  # no pinned solc to compile the baseline
        metrics.append(skipped("gas.mapping.per_trade.lifecycle", "gas/trade", str(exc)))
    ctx.progress.advance()
    return metrics


def life_after_release_metrics(ctx: BenchContext, base_lifecycle: float | None) -> list[Metric]:
    """LifecycleRegistry's steps on the run's anvil, 1,000 trades (quick run too: a dozen
    transactions); with ``base_lifecycle`` (gas of a trade's life to settlement), the whole
    of a trade that also has its value declared and its FX settled in a netting of 100."""
    result: AfterReleaseGas = measure_life_after_release(ctx.chain().w3, SANDAN_TRADES_PER_BATCH)
    metrics = [
        Metric(
            f"gas.life.per_trade.{step}",
            result.per_trade(step),
            "gas/trade",
            notes=(
                f"{_LIFE_NOTES[step]}; {result.gas[step]:,} gas in {result.transactions[step]}"
                f" tx for {result.items[step]:,} trades"
            ),
            group=GROUP,
        )
        for step in LIFE_STEPS
    ]
    metrics.extend(
        Metric(
            f"gas.life.fn.{operation}",
            result.operations[operation],
            "gas",
            notes=_OPERATION_NOTES[operation],
            group=GROUP,
        )
        for operation in LIFE_OPERATIONS
    )
    if base_lifecycle is not None:
        whole = base_lifecycle + result.per_trade("declare") + result.per_trade("fx_netting_100")
        metrics.append(
            Metric(
                "gas.life.per_trade.lifecycle_with_fx",
                whole,
                "gas/trade",
                notes=(
                    f"the life to settlement ({base_lifecycle:,.0f}) + its value declared + "
                    f"its FX settled in a netting of 100; "
                    f"{BLOCK_GAS_LIMIT / BLOCK_SECONDS / whole:,.0f} such trades/s on a 30M/2 s "
                    f"chain. The ≤ {LIFECYCLE_TARGET.limit:,.0f} target is the life every trade "
                    "has (gas.per_trade.lifecycle): these steps are paid by the trades that "
                    "have them"
                ),
                group=GROUP,
            )
        )
    return metrics


def run(ctx: BenchContext) -> list[Metric]:
    """Per-document gas for each batch size, function gas, life cycles, quoted references."""
    steps: list[Callable[[], list[Metric]]] = []
    ctx.progress.start("gas: deploy", total=len(BATCH_SIZES) + 9)
    client = _anchorer(ctx)
    ctx.progress.advance()
    steps.append(lambda: [_one_per_document(client)])
    steps.extend(functools.partial(_batch, client, size) for size in BATCH_SIZES)
    steps.append(lambda: _functions(ctx))
    trades = ctx.size(*LIFECYCLE_TRADES)
    measured: list[Metric] = []

    def lives() -> list[Metric]:
        measured.extend(lifecycle_metrics(ctx, trades))
        return measured

    def after_release() -> list[Metric]:
        base = next((m.value for m in measured if m.name == "gas.per_trade.lifecycle"), None)
        return life_after_release_metrics(ctx, base)

    steps.append(lives)
    steps.append(after_release)
    steps.append(lambda: sm3_metrics(ctx))
    metrics: list[Metric] = []
    for step in steps:
        metrics.extend(step())
        ctx.progress.advance()
    return [*metrics, *_references()]
