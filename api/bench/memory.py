"""Memory of the service while it ingests: peak RSS and its growth over the run.

The service runs as deployed on one machine: one API process (uvicorn) and
``sandan worker`` anchoring as it goes. Client processes sign trades chunk by
chunk and post them, so a long run never holds every document in memory at
once. RSS is read from /proc (VmRSS sampled, VmHWM for the peak).
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import httpx

from api.bench._documents import BenchParty, sign_range
from api.bench._service import rss_kib
from api.bench._stack import Stack, service_stack
from api.bench.context import BenchContext
from api.bench.metric import Metric, at_most

__all__ = ["run"]

GROUP = "memory"
CHUNK_TRADES = 150  # 450 documents per NDJSON body
CLIENTS = 2


@dataclass
class Sampler:
    """Samples a process's VmRSS every half second in a thread."""

    pid: int
    samples: list[int] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        """Sample until told to stop."""
        while not self.stop.wait(0.5):
            self.samples.append(rss_kib(self.pid))


def _client(
    base_url: str,
    parties: tuple[BenchParty, ...],
    keys: dict[str, str],
    tag: str,
    chunks: list[int],
    deadline: float,
) -> int:
    accepted = 0
    with httpx.Client(base_url=base_url, timeout=600) as client:
        for chunk in chunks:
            if time.time() > deadline:
                break
            start = chunk * CHUNK_TRADES
            for code, lines in sign_range(parties, tag, start, start + CHUNK_TRADES).items():
                headers = {
                    "Authorization": f"Bearer {keys[code]}",
                    "Content-Type": "application/x-ndjson",
                }
                response = client.post(
                    "/documents/bulk", content=b"\n".join(lines), headers=headers
                )
                accepted += int(response.json().get("accepted", 0)) if response.is_success else 0
    return accepted


def _ingest(stack: Stack, documents: int, seconds: float) -> int:
    chunks = list(range(max(1, documents // (3 * CHUNK_TRADES))))
    deadline = time.time() + seconds
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=CLIENTS, mp_context=context) as pool:
        futures = [
            pool.submit(
                _client,
                stack.api.base_url,
                stack.parties,
                stack.api_keys,
                stack.tag,
                chunks[i::CLIENTS],
                deadline,
            )
            for i in range(CLIENTS)
        ]
        return sum(f.result() for f in futures)


def run(ctx: BenchContext) -> list[Metric]:
    """Ingest quick: 1,350 / full: 1,000,000 documents (time-capped) and watch the API's RSS."""
    documents = ctx.size(quick=1_350, full=1_000_000)
    cap = ctx.seconds(30.0, 600.0)
    with service_stack(ctx, "memory", api_workers=1) as stack:
        sampler = Sampler(stack.api.pid)
        thread = threading.Thread(target=sampler.run, daemon=True)
        thread.start()
        ctx.progress.start(f"memory: ingesting up to {documents:,} documents (cap {cap:.0f}s)")
        accepted = _ingest(stack, documents, cap)
        sampler.stop.set()
        thread.join()
        peak = rss_kib(stack.api.pid, "VmHWM") / 1024
    samples = [s / 1024 for s in sampler.samples if s] or [0.0]
    warm = samples[max(0, len(samples) // 10 - 1)]
    growth = samples[-1] - warm
    notes = (
        f"API process (uvicorn, 1 worker) + `sandan worker`, {stack.backend}; {accepted:,} "
        f"documents ingested of {documents:,} wanted (cap {cap:.0f}s); RSS from "
        f"{samples[0]:.0f} to {samples[-1]:.0f} MiB over {len(samples)} samples"
    )
    return [
        Metric("memory.peak_rss", peak, "MiB", at_most(500), notes, GROUP),
        Metric(
            "memory.rss_growth",
            growth,
            "MiB",
            at_most(50),
            "RSS at the end minus RSS after the first tenth of the run (flat: ≤ 50 MiB)",
            GROUP,
        ),
    ]
