"""Scale-out, measured: ingest and the resolver with 1, 2 and 4 API processes and 1 and 2
anchoring workers on one PostgreSQL database, in one table.

Each configuration is a fresh deployment, database and service: the same presigned
documents are posted in NDJSON bodies from separate client processes, then a real
8-event lot is captured, anchored and read through the Digital Link resolver at 500
requests/s offered. Two workers split the outbox by kind (``SANDAN_WORKER_KINDS``), each
with its own account: documents and lot events in one, verdicts, supersessions and
registry writes in the other.

Wall-clock throughput on a 2-core machine mostly says how the cores are shared; CPU time
per document and per request (of the API processes, and of the workers) is what carries
to a bigger machine, so both are printed.
"""

from __future__ import annotations

import os
import time
from typing import Any

from api.bench._clients import post_all
from api.bench._documents import BenchParty, bench_parties, presign, write_batches
from api.bench._postgres import server_version
from api.bench._service import ServiceProcess, tree_cpu_seconds
from api.bench._stack import service_stack, start_workers
from api.bench.context import BenchContext
from api.bench.ingest import BULK_LINES, CLIENTS
from api.bench.metric import Metric, skipped
from api.bench.resolver import (
    ANCHOR_TIMEOUT_S,
    RATE,
    _capture_sample_lots,
    _load,
    wait_lot_verified,
)

__all__ = ["CONFIGURATIONS", "run"]

GROUP = "scale"
#: (API processes, anchoring workers).
CONFIGURATIONS = ((1, 1), (2, 1), (4, 1), (1, 2), (2, 2), (4, 2))


def _name(api: int, workers: int) -> str:
    return f"scale.api{api}_workers{workers}"


def _cpu(processes: list[ServiceProcess]) -> float:
    return sum(tree_cpu_seconds(p.pid) for p in processes)


def _measure(
    ctx: BenchContext,
    api: int,
    workers: int,
    parties: tuple[BenchParty, ...],
    tag: str,
    batches: list[tuple[str, Any, int]],
    seconds: float,
) -> dict[str, float]:
    name = f"scale-{api}-{workers}"
    with (
        service_stack(ctx, name, api_workers=api, worker=False, parties=parties, tag=tag) as s,
        start_workers(ctx, s, workers) as running,
    ):
        jobs = [(s.api_keys[code], path, n) for code, path, n in batches]
        api_cpu, worker_cpu = tree_cpu_seconds(s.api.pid), _cpu(running)
        outcome = post_all(s.api.base_url, jobs, clients=CLIENTS)
        if outcome.accepted == 0:
            raise RuntimeError(f"no document accepted: {outcome.first_error}")
        documents = outcome.accepted
        figures = {
            "ingest": outcome.accepted / outcome.elapsed if outcome.elapsed else 0.0,
            "ingest_cpu_ms": 1000 * (tree_cpu_seconds(s.api.pid) - api_cpu) / documents,
            "rejected": float(outcome.rejected),
        }
        lot, _deep = _capture_sample_lots(s)
        path = f"/01/{lot.gtin}/10/{lot.lot}"
        wait_lot_verified(s, path, time.monotonic() + ANCHOR_TIMEOUT_S)
        # Everything the workers did since the documents arrived: anchoring them, their
        # verdicts and the lot.
        figures["worker_cpu_ms"] = 1000 * (_cpu(running) - worker_cpu) / documents
        load = _load(s, [path], {"Accept": "application/json"}, seconds)
        served = len(load["latenciesMs"])
        figures["resolver"] = served / float(load["elapsed"]) if load["elapsed"] else 0.0
        figures["resolver_cpu_ms"] = 1000 * float(load["serverCpuSeconds"]) / max(served, 1)
        return figures


def run(ctx: BenchContext) -> list[Metric]:
    """Every configuration of :data:`CONFIGURATIONS` on its own fresh stack."""
    if not ctx.postgres_url or not server_version(ctx.postgres_url):
        return [skipped(f"{_name(1, 1)}.ingest", "docs/s", "needs a PostgreSQL server")]
    trades = ctx.size(quick=300, full=2_000)
    seconds = ctx.seconds(3.0, 10.0)
    tag = f"{os.getpid() % 10_000:04d}sc"
    parties = tuple(bench_parties(tag))
    ctx.progress.start(f"scale: signing {trades * 3:,} documents", total=len(CONFIGURATIONS))
    lines = presign(parties, tag, trades, processes=os.cpu_count() or 2)
    batches = write_batches(lines, ctx.scratch("scale-bodies"), batch=BULK_LINES)
    metrics: list[Metric] = []
    for api, workers in CONFIGURATIONS:
        name = _name(api, workers)
        try:
            figures = _measure(ctx, api, workers, parties, tag, batches, seconds)
        except Exception as exc:  # one configuration failing is a fact to report
            metrics.append(skipped(f"{name}.ingest", "docs/s", f"{type(exc).__name__}: {exc}"))
            ctx.progress.advance()
            continue
        setup = f"{api} API process(es), {workers} worker(s), PostgreSQL, {os.cpu_count()} cores"
        metrics += [
            Metric(
                f"{name}.ingest",
                figures["ingest"],
                "docs/s",
                notes=f"{setup}; {trades * 3:,} documents in bodies of {BULK_LINES} from "
                f"{CLIENTS} client processes; {figures['rejected']:.0f} rejected",
                group=GROUP,
            ),
            Metric(
                f"{name}.ingest_cpu_per_doc",
                figures["ingest_cpu_ms"],
                "ms",
                notes="CPU of the API processes per accepted document",
                group=GROUP,
            ),
            Metric(
                f"{name}.worker_cpu_per_doc",
                figures["worker_cpu_ms"],
                "ms",
                notes="CPU of the worker(s) per document, anchoring it, its verdict and a lot",
                group=GROUP,
            ),
            Metric(
                f"{name}.resolver",
                figures["resolver"],
                "requests/s",
                notes=f"an 8-event lot, {RATE}/s offered for {seconds:.0f}s from another process",
                group=GROUP,
            ),
            Metric(
                f"{name}.resolver_cpu_per_request",
                figures["resolver_cpu_ms"],
                "ms",
                notes="CPU of the API processes per resolver request",
                group=GROUP,
            ),
        ]
        ctx.progress.advance()
    return metrics
