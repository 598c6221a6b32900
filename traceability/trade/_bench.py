"""Micro-benchmark of the matcher, for the bench command (not a test, not domain logic).

It reads a performance counter, which the pure domain otherwise never does.
"""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

from traceability.trade.inputs import MatchContext, TradeDocuments
from traceability.trade.matching import match_trade
from traceability.trade.samples import BASE_TIME, export_trade, import_trade, short_payment_trade


def bench_trades() -> tuple[TradeDocuments, ...]:
    """The mix matched by :func:`bench_matches`: clean import with inventory, a
    mismatching import, and a clean export (the heaviest common cases)."""
    return (import_trade(), short_payment_trade(), export_trade())


def bench_matches(n: int = 50_000) -> float:
    """Match ``n`` trades (cycling through :func:`bench_trades`); return matches per second."""
    trades = bench_trades()
    context = MatchContext(now=BASE_TIME + timedelta(days=3), prior_annual_total=Decimal("1200"))
    count = len(trades)
    start = time.perf_counter()
    for i in range(n):
        match_trade(trades[i % count], context=context)
    elapsed = time.perf_counter() - start
    return n / elapsed if elapsed > 0 else float("inf")
