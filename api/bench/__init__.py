"""``sandan bench``: measured cost, speed and memory of the whole system on this machine.

One module per measurement (gas, start-up CPU, verification, ingest, matching, latency,
resolver, epcis, memory), each ``run(ctx) -> list[Metric]``; every figure is
measured by the run itself, on a private anvil and fresh databases.
"""

from api.bench.context import BenchContext, Progress
from api.bench.metric import Metric, Target
from api.bench.runner import BENCHES, BenchReport, run_benches

__all__ = ["BENCHES", "BenchContext", "BenchReport", "Metric", "Progress", "Target", "run_benches"]
