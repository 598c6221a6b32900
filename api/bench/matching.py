"""Three-document matches per second (the pure matcher, one core)."""

from __future__ import annotations

from api.bench.context import BenchContext
from api.bench.metric import Metric, at_least
from traceability.trade._bench import bench_matches

__all__ = ["run"]


def run(ctx: BenchContext) -> list[Metric]:
    """Match a mix of clean import, mismatching import and clean export trades."""
    n = ctx.size(quick=30_000, full=300_000)
    ctx.progress.start(f"matching: {n:,} trades")
    bench_matches(min(n, 2_000))  # warm-up: first calls build pydantic and Decimal caches
    rate = bench_matches(n)
    notes = f"{n:,} trades (clean import + short payment + export), one core"
    return [Metric("match.three_document", rate, "matches/s", at_least(50_000), notes, "match")]
