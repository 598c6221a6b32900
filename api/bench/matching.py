"""Three-document matches per second (the pure matcher, one core)."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

from api.bench.context import BenchContext
from api.bench.metric import Metric, at_least
from traceability.trade.inputs import MatchContext, TradeDocuments
from traceability.trade.matching import match_trade
from traceability.trade.samples import BASE_TIME, export_trade, import_trade, short_payment_trade

__all__ = ["bench_matches", "run"]


def bench_trades() -> tuple[TradeDocuments, ...]:
    """The mix matched: clean import with inventory, a mismatching import, and a clean
    export (the heaviest common cases)."""
    return (import_trade(), short_payment_trade(), export_trade())


def bench_matches(n: int = 50_000) -> float:
    """Match ``n`` trades (cycling through :func:`bench_trades`); return matches per second.

    The clock is read here, in the bench, because the domain package never reads it.
    """
    trades = bench_trades()
    context = MatchContext(now=BASE_TIME + timedelta(days=3), prior_annual_total=Decimal("1200"))
    count = len(trades)
    start = time.perf_counter()
    for i in range(n):
        match_trade(trades[i % count], context=context)
    elapsed = time.perf_counter() - start
    return n / elapsed if elapsed > 0 else float("inf")


def run(ctx: BenchContext) -> list[Metric]:
    """Match a mix of clean import, mismatching import and clean export trades."""
    n = ctx.size(quick=30_000, full=300_000)
    ctx.progress.start(f"matching: {n:,} trades")
    bench_matches(min(n, 2_000))  # warm-up: first calls build pydantic and Decimal caches
    rate = bench_matches(n)
    notes = f"{n:,} trades (clean import + short payment + export), one core"
    return [Metric("match.three_document", rate, "matches/s", at_least(50_000), notes, "match")]
