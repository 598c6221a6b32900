"""The risk scan: the pure engine over ready records, and ``sandan risk scan`` over XML.

A generated set (:func:`traceability.risk.samples.generate_trade_set`) is written as
trade folders; the XML figure reads and parses every folder as the command does, then
scans. The target (10,000 trades in under 60 s) applies to the XML path. A quick run
scans 1,000 trades and reports the time scaled to 10,000 (both paths are linear in the
number of trades: per-folder parsing, and per-group windows over sorted lists).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from api.bench.context import BenchContext
from api.bench.metric import Metric, at_most
from traceability.risk import risk_trade, scan_trades
from traceability.risk.samples import TradeSet, generate_trade_set, trade_files

__all__ = ["run", "write_trade_set"]

FULL_TRADES = 10_000


def write_trade_set(trade_set: TradeSet, directory: Path) -> None:
    """One folder per trade (named by orderNo) with its order, payment and logistics XML."""
    for trade in trade_set.trades:
        folder = directory / trade.folder
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in trade_files(trade.documents).items():
            (folder / name).write_bytes(data)


def _scan_xml(directory: Path) -> tuple[float, int]:
    """Wall seconds of ``sandan risk scan DIR --json`` in a child process, and its alert count.

    A child, because the bench must not import the CLI (the CLI imports the bench); it
    runs this checkout's code (its root first on PYTHONPATH), start-up included.
    """
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    argv = [sys.executable, "-c", "from api.cli import main; main()"]
    start = time.perf_counter()
    completed = subprocess.run(
        [*argv, "risk", "scan", str(directory), "--json"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=env,
        timeout=600,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        error = completed.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise RuntimeError(f"sandan risk scan exited {completed.returncode}: {error}")
    return elapsed, len(json.loads(completed.stdout)["alerts"])


def run(ctx: BenchContext) -> list[Metric]:
    """Scan a generated set of trades: records only, then XML folders with parsing."""
    n = ctx.size(quick=1_000, full=FULL_TRADES)
    ctx.progress.start(f"risk: generating {n:,} trades")
    trade_set = generate_trade_set(n, seed=16)
    records = [risk_trade(trade.documents) for trade in trade_set.trades]
    directory = ctx.scratch("risk-trades")
    write_trade_set(trade_set, directory)
    ctx.progress.start(f"risk: scanning {n:,} trades")
    start = time.perf_counter()
    alerts = scan_trades(records)
    engine = time.perf_counter() - start
    xml, count = _scan_xml(directory)
    if count != len(alerts):
        raise RuntimeError(f"sandan risk scan found {count} alerts, the engine {len(alerts)}")
    scale = FULL_TRADES / len(records)
    how = "measured" if scale == 1 else f"{len(records):,} scanned, × {scale:g}"
    return [
        Metric(
            "risk.engine_10k_seconds",
            engine * scale,
            "s",
            notes=f"pure engine over ready records, {len(alerts)} alerts; {how}, one core",
            group="risk",
        ),
        Metric(
            "risk.scan_10k_seconds",
            xml * scale,
            "s",
            at_most(60),
            f"`sandan risk scan DIR --json` wall time (start-up, read + parse 3 XML files per"
            f" trade folder, scan); {how}",
            "risk",
        ),
    ]
