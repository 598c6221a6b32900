"""Gas per anchored document (one transaction each vs Merkle batches) and per contract call."""

from __future__ import annotations

import functools
import hashlib
import os
import time
from collections.abc import Callable

from api.bench.context import BenchContext
from api.bench.metric import Metric, Target, at_most
from api.services.authorizations import prepare_authorization
from ledger_client import AuthorizationAction, TradeRegistryClient, sign_authorization
from ledger_client.gas import measure_gas
from traceability.merkle import MerkleTree

__all__ = ["BATCH_SIZES", "REFERENCES", "run"]

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
    """Every registry function once (ledger_client.gas), recordVerdicts also for 100 trades."""
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
    gas = client.record_verdicts(ids, verdicts, [True] * count).gas_used
    notes = f"{gas / count:,.0f} gas per trade"
    return Metric(f"gas.fn.recordVerdicts_{count}", gas, "gas", notes=notes, group=GROUP)


def _release_with_sig(ctx: BenchContext, count: int) -> Metric:
    """Customs signs one authorization for ``count`` matched trades; the admin relays it."""
    chain = ctx.chain()
    admin, customs = chain.accounts[0], chain.accounts[2]
    anchorer = _anchorer(ctx)
    ids = [_digest(f"bench-sig-trade-{count}-{i}") for i in range(count)]
    verdicts = [_digest(f"v{i}") for i in range(count)]
    anchorer.record_verdicts(ids, verdicts, [True] * count)
    deadline = chain.w3.eth.get_block("latest")["timestamp"] + 3600
    prepared = prepare_authorization(
        AuthorizationAction.RELEASE,
        ids,
        None,
        verdict_hashes=verdicts,
        nonce=anchorer.nonces(customs.address),
        deadline=deadline,
        chain_id=chain.w3.eth.chain_id,
        registry=anchorer.address,
    )
    signature = sign_authorization(prepared.typed_data, customs.key)
    relayer = TradeRegistryClient(chain.w3, anchorer.address, admin)
    result = relayer.release_with_sig(
        customs.address,
        prepared.trade_ids,
        prepared.verdict_hashes,
        prepared.proof_flags,
        prepared.nonce,
        deadline,
        signature.signature,
    )
    gas = result.gas_used
    notes = f"{gas / count:,.0f} gas per trade, one EIP-712 signature, relayed"
    return Metric(f"gas.fn.releaseWithSig_{count}", gas, "gas", notes=notes, group=GROUP)


def _references() -> list[Metric]:
    return [
        Metric(name, value, unit, notes=f"{_QUOTED}; {detail}", group="reference")
        for name, value, unit, detail in REFERENCES
    ]


def run(ctx: BenchContext) -> list[Metric]:
    """Per-document gas for each batch size, function gas, and the quoted references."""
    steps: list[Callable[[], list[Metric]]] = []
    ctx.progress.start("gas: deploy", total=len(BATCH_SIZES) + 3)
    client = _anchorer(ctx)
    ctx.progress.advance()
    steps.append(lambda: [_one_per_document(client)])
    steps.extend(functools.partial(_batch, client, size) for size in BATCH_SIZES)
    steps.append(lambda: _functions(ctx))
    metrics: list[Metric] = []
    for step in steps:
        metrics.extend(step())
        ctx.progress.advance()
    return [*metrics, *_references()]
