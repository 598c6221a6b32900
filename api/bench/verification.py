"""What a verifier pays: verifyDocument gas and wall time, and `sandan verify` bundles per second.

The bundle is real: the demo flow runs through the API on the bench chain
(parties sign, the worker anchors, customs releases, a bank settles and
fetches the bundle), then :func:`api.verify.verifier.verify_bundle` checks it
against the chain alone, as ``sandan verify`` does.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from api.bench.context import BenchContext
from api.bench.metric import Metric, at_most
from api.config import ApiSettings
from api.runtime import Runtime
from api.verify.rpc import JsonRpc
from api.verify.trust import TrustRoots, load_trust_roots
from api.verify.verifier import verify_bundle
from ledger_client import LedgerSettings, TradeRegistryClient, load_artifacts

__all__ = ["real_bundle", "run"]

GROUP = "verify"


def _demo_settings(ctx: BenchContext) -> ApiSettings:
    scratch = ctx.scratch("verify")
    deployment = ctx.chain().deploy()
    deployment.save(scratch / "deployment.json")
    return ApiSettings(
        ledger=LedgerSettings(
            data_dir=scratch,
            rpc_url=ctx.chain().rpc_url,
            deployment_file=scratch / "deployment.json",
        ),
        database_url=f"sqlite:///{scratch / 'demo.db'}",
        admin_token="sandan-bench-admin-token",  # noqa: S106 (throwaway, private bench service)
        keystore_secret="sandan-bench-keystore",  # noqa: S106
        batch_wait_seconds=0.0,
        rate_limit_per_minute=0,
    )


def real_bundle(ctx: BenchContext) -> tuple[dict[str, Any], str]:
    """Run the demo on the bench chain; return one matched trade's bundle and the registry."""
    with warnings.catch_warnings():
        # starlette's TestClient warns about httpx at import; the demo drives the app with it.
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient

    from api.anchoring.worker import AnchorWorker
    from api.demo.trade import DemoRun, run_trade_demo
    from api.web.main import create_app

    settings = _demo_settings(ctx)
    runtime = Runtime.from_settings(settings)
    ledger = runtime.ledger()
    with TestClient(create_app(runtime=runtime)) as client:
        run = DemoRun(
            client=client,
            admin_token=runtime.admin_token,
            worker=AnchorWorker(runtime),
            out_dir=ctx.scratch("verify/bundles"),
            rpc=JsonRpc(ctx.chain().rpc_url),
            trust=load_trust_roots(deployment_file=settings.ledger.deployment_file),
            emit=lambda _m: None,
            tag=f"{int(time.time()) % 10**8:08d}",
        )
        outcomes = run_trade_demo(run)
    runtime.engine.dispose()
    path = next(o.bundle_path for o in outcomes if o.bundle_path)
    return json.loads(Path(path).read_text(encoding="utf-8")), ledger.trade_registry_address


def _call_cost(ctx: BenchContext, address: str, entry: dict[str, Any], calls: int) -> list[Metric]:
    w3 = ctx.chain().w3
    leaf = bytes.fromhex(entry["contentHash"])
    proof = [bytes.fromhex(p) for p in entry["anchor"]["proof"]]
    contract = w3.eth.contract(
        address=w3.to_checksum_address(address), abi=list(load_artifacts()["TradeRegistry"].abi)
    )
    gas = contract.functions.verifyDocument(leaf, proof).estimate_gas()
    reader = TradeRegistryClient(w3, address)
    start = time.perf_counter()
    for _ in range(calls):
        reader.verify_document(leaf, proof)
    wall_ms = (time.perf_counter() - start) / calls * 1000
    depth = f"proof of {len(proof)} hashes"
    return [
        Metric(
            "verify.verifyDocument_gas",
            gas,
            "gas",
            notes=f"eth_estimateGas of the view call ({depth}; includes the 21,000 "
            "base of a transaction, an eth_call costs the caller nothing)",
            group=GROUP,
        ),
        Metric(
            "verify.verifyDocument_wall",
            wall_ms,
            "ms/call",
            notes=f"eth_call over HTTP to local anvil, mean of {calls}",
            group=GROUP,
        ),
    ]


def _pinned(bundle: dict[str, Any]) -> TrustRoots:
    chain = bundle["chain"]
    return load_trust_roots(registries=[chain["tradeRegistry"], chain["partyRegistry"]])


def _bundles_per_second(ctx: BenchContext, bundle: dict[str, Any], n: int) -> list[Metric]:
    trust = _pinned(bundle)
    first = JsonRpc(ctx.chain().rpc_url)
    report = verify_bundle(bundle, first, trust)
    start = time.perf_counter()
    for _ in range(n):
        verify_bundle(bundle, JsonRpc(ctx.chain().rpc_url), trust)
    rate = n / (time.perf_counter() - start)
    documents = len(bundle.get("documents", []))
    eth_calls = first.counts["eth_call"]
    # verifyVerdict, verdictBatchOf (the batch's committed party lists, for the negative
    # list) and verifySettlement when settled: the trade's calls, not a document's.
    per_bundle = 2 + (bundle.get("settlement") is not None)
    notes = (
        f"verify_bundle on a real {documents}-document bundle, {n} times, over HTTP JSON-RPC "
        f"in one batch per bundle; outcome={report.outcome.name.lower()}"
    )
    return [
        Metric("verify.bundles", rate, "bundles/s", notes=notes, group=GROUP),
        Metric(
            "verify.eth_calls_per_document",
            (eth_calls - per_bundle) / documents,
            "calls/doc",
            at_most(2),
            notes=f"{eth_calls} eth_call for {documents} documents in one JSON-RPC batch: "
            "verifyDocument + signerAt (the key lookup) each, and verifyVerdict + "
            f"verdictBatchOf (+ verifySettlement when settled) per bundle ({per_bundle}); "
            f"{first.counts['eth_getTransactionReceipt']} eth_getTransactionReceipt besides",
            group=GROUP,
        ),
    ]


def _cli_wall(ctx: BenchContext, bundle: dict[str, Any], runs: int) -> Metric:
    """``sandan verify`` as a bank runs it: a new interpreter each time."""
    path = ctx.scratch("verify") / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    chain = bundle["chain"]
    command = [
        str(Path(sys.executable).with_name("sandan")),
        "verify",
        str(path),
        "--registry",
        chain["tradeRegistry"],
        "--registry",
        chain["partyRegistry"],
        "--rpc-url",
        ctx.chain().rpc_url,
    ]
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, check=False)
        walls.append(time.perf_counter() - start)
        if done.returncode not in (0, 4):
            raise RuntimeError(f"sandan verify exited {done.returncode}: {done.stderr!r}")
    return Metric(
        "verify.cli_wall",
        statistics.median(walls) * 1000,
        "ms",
        at_most(1_000),
        notes=f"`sandan verify` of a {len(bundle['documents'])}-document bundle on the bench "
        f"node, interpreter start included, median of {runs}",
        group=GROUP,
    )


def run(ctx: BenchContext) -> list[Metric]:
    """Build a real bundle, then measure the verifier's costs."""
    ctx.progress.start("verify: demo flow for a real bundle")
    bundle, address = real_bundle(ctx)
    ctx.progress.start("verify: eth_call and bundles")
    calls = ctx.size(quick=200, full=2_000)
    metrics = _call_cost(ctx, address, bundle["documents"][0], calls)
    metrics.extend(_bundles_per_second(ctx, bundle, ctx.size(quick=30, full=300)))
    metrics.append(_cli_wall(ctx, bundle, ctx.size(quick=3, full=10)))
    return metrics
