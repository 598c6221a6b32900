"""EPCIS 2.0 events hashed per second (CBV 2.0 canonical pre-hash + SHA-256, one core)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from api.bench.context import BenchContext
from api.bench.metric import Metric
from traceability.epcis.hashing import event_hash_bytes
from traceability.epcis.samples import navel_orange_chain

__all__ = ["run"]


def run(ctx: BenchContext) -> list[Metric]:
    """Hash every event of the navel-orange sample chain, over and over, for a while."""
    document = navel_orange_chain(datetime(2026, 11, 1, tzinfo=UTC))
    events = document["epcisBody"]["eventList"]
    context = document["@context"]
    seconds = ctx.seconds(2.0, 10.0)
    ctx.progress.start(f"epcis: hashing for {seconds:.0f}s")
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for event in events:
            event_hash_bytes(event, context=context)
        done += len(events)
    rate = done / (time.perf_counter() - start)
    notes = f"{len(events)}-event navel-orange chain, {done:,} hashes, one core"
    return [Metric("epcis.event_hash", rate, "events/s", notes=notes, group="epcis")]
