"""Run the selected benches in order, each isolated, and render the results."""

from __future__ import annotations

import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.bench import (
    epcis,
    gas,
    ingest,
    latency,
    matching,
    memory,
    resolver,
    risk,
    scale,
    sm2,
    startup,
    verification,
)
from api.bench._postgres import server_version
from api.bench.context import BenchContext, Progress, SilentProgress
from api.bench.machine import describe_machine
from api.bench.metric import Metric

__all__ = ["BENCHES", "BenchReport", "run_benches"]

#: Every bench by name, in the order they run (cheap ones first).
BENCHES: dict[str, Callable[[BenchContext], list[Metric]]] = {
    "gas": gas.run,
    "startup": startup.run,
    "verify": verification.run,
    "match": matching.run,
    "risk": risk.run,
    "epcis": epcis.run,
    "sm2": sm2.run,
    "ingest": ingest.run,
    "latency": latency.run,
    "resolver": resolver.run,
    "memory": memory.run,
    "scale": scale.run,
}


@dataclass
class BenchReport:
    """Everything one run measured, and where."""

    quick: bool
    machine: dict[str, Any]
    started_at: str
    metrics: list[Metric] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` document."""
        return {
            "format": "sandan-bench/1",
            "mode": "quick" if self.quick else "full",
            "startedAt": self.started_at,
            "machine": self.machine,
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
            "metrics": [m.to_json() for m in self.metrics],
        }


def _failed(name: str, exc: Exception) -> Metric:
    where = traceback.extract_tb(exc.__traceback__)[-1]
    detail = f"{type(exc).__name__}: {exc} ({Path(where.filename).name}:{where.lineno})"
    return Metric(f"{name}.error", None, "", notes=f"bench failed: {detail}"[:400], group=name)


def run_benches(
    names: Sequence[str],
    *,
    quick: bool,
    postgres_url: str | None,
    progress: Progress | None = None,
    on_done: Callable[[str], None] | None = None,
) -> BenchReport:
    """Run ``names`` (keys of :data:`BENCHES`) in a private temporary directory."""
    with tempfile.TemporaryDirectory(prefix="sandan-bench-") as tmp:
        ctx = BenchContext(quick, Path(tmp), postgres_url, progress or SilentProgress())
        pg = server_version(postgres_url) if postgres_url else None
        report = BenchReport(
            quick,
            describe_machine(anvil=ctx.anvil_binary(), postgres_version=pg),
            datetime.now(UTC).isoformat(timespec="seconds"),
        )
        try:
            for name in names:
                start = time.perf_counter()
                try:
                    report.metrics.extend(BENCHES[name](ctx))
                except Exception as exc:  # one broken bench must not hide the others' figures
                    report.metrics.append(_failed(name, exc))
                report.seconds[name] = time.perf_counter() - start
                if on_done is not None:
                    on_done(name)
        finally:
            ctx.close()
    return report
