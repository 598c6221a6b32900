"""Anchoring latency: from submission to confirmed proof, at a steady offered rate.

Documents (signed beforehand) are posted in small NDJSON bodies on a fixed
schedule, without waiting for earlier answers (an open loop), while
``sandan worker`` anchors them. A document's latency runs from its scheduled
submission to the moment its batch was recorded as confirmed
(``anchor_batch.confirmed_at``, the instant GET /documents/{hash} starts
answering "anchored"). Documents still unconfirmed when the wait ends count
with the time waited so far, so a percentile is then a lower bound.
"""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx
import orjson
from sqlmodel import Session, col, select

from api.bench._documents import sign_range
from api.bench._stack import Stack, service_stack
from api.bench.context import BenchContext
from api.bench.metric import Metric, at_most
from api.config import ApiSettings
from api.db.engine import make_engine
from api.db.models import AnchorBatchRecord, OutboxRecord
from traceability import SignedEnvelope

__all__ = ["percentile", "run"]

GROUP = "latency"
RATE = 1_000  # documents per second offered
TICK = 0.1  # seconds between rounds of bodies
WAIT_AFTER = 10.0  # seconds allowed for the last documents to be anchored

Round = list[tuple[str, bytes, list[str]]]  # per party: (code, NDJSON body, content hashes)


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values`` (not empty)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-fraction * len(ordered) // 1))))
    return ordered[rank - 1]


def _hash(line: bytes) -> str:
    return SignedEnvelope.parse(orjson.loads(line)).content_hash.hex()


def _rounds(stack: Stack, seconds: float) -> list[Round]:
    """Per round: one NDJSON body per party, RATE * TICK documents in all."""
    rounds = int(seconds / TICK)
    per_party = int(RATE * TICK) // len(stack.parties)
    lines = sign_range(stack.parties, stack.tag, 0, rounds * per_party)
    out: list[Round] = []
    for r in range(rounds):
        window = slice(r * per_party, (r + 1) * per_party)
        out.append(
            [
                (code, b"\n".join(ls[window]), [_hash(x) for x in ls[window]])
                for code, ls in lines.items()
            ]
        )
    return out


def _post(client: httpx.Client, key: str, body: bytes) -> None:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"}
    with contextlib.suppress(httpx.HTTPError):  # the run may end before the answer comes
        client.post("/documents/bulk", content=body, headers=headers)


def _submit(stack: Stack, rounds: list[Round]) -> dict[str, float]:
    """Open loop: each round leaves on schedule whether or not earlier ones were answered.

    Returns each document's scheduled submission time; requests still in flight
    when the schedule ends are abandoned (their documents count as unconfirmed).
    """
    scheduled: dict[str, float] = {}
    client = httpx.Client(base_url=stack.api.base_url, timeout=WAIT_AFTER + 5)
    pool = ThreadPoolExecutor(max_workers=16)
    start = time.time()
    for number, bodies in enumerate(rounds):
        at = start + number * TICK
        time.sleep(max(0.0, at - time.time()))
        for code, body, hashes in bodies:
            scheduled.update(dict.fromkeys(hashes, at))
            pool.submit(_post, client, stack.api_keys[code], body)
    pool.shutdown(wait=False, cancel_futures=True)
    return scheduled


def _confirmed_at(stack: Stack) -> dict[str, datetime]:
    engine = make_engine(ApiSettings(database_url=stack.env.database_url).resolved_database_url)
    stmt = (
        select(OutboxRecord.subject, AnchorBatchRecord.confirmed_at)
        .join(AnchorBatchRecord, col(AnchorBatchRecord.id) == col(OutboxRecord.batch_id))
        .where(OutboxRecord.kind == "document", AnchorBatchRecord.state == "confirmed")
    )
    try:
        with Session(engine) as session:
            return {s: at for s, at in session.exec(stmt).all() if at is not None}
    finally:
        engine.dispose()


def _latencies(stack: Stack, wanted: dict[str, float]) -> tuple[list[float], int]:
    """Wait for the anchors; return every document's latency and how many never confirmed."""
    deadline = time.time() + WAIT_AFTER
    confirmed = _confirmed_at(stack)
    while len(wanted.keys() - confirmed.keys()) and time.time() < deadline:
        time.sleep(0.5)
        confirmed = _confirmed_at(stack)
    now = time.time()
    values = [
        (confirmed[h].timestamp() if h in confirmed else now) - scheduled
        for h, scheduled in wanted.items()
    ]
    return values, len(wanted.keys() - confirmed.keys())


def run(ctx: BenchContext) -> list[Metric]:
    """Offer RATE documents/s for a bounded time and measure submission → confirmed proof."""
    seconds = ctx.seconds(10.0, 60.0)
    extra = {"SANDAN_BATCH_WAIT_SECONDS": "0.1", "SANDAN_CONFIRMATIONS": "1"}
    with service_stack(ctx, "latency", api_workers=2, extra=extra) as stack:
        ctx.progress.start(f"latency: {RATE:,} docs/s offered for {seconds:.0f}s ({stack.backend})")
        wanted = _submit(stack, _rounds(stack, seconds))
        ctx.progress.start("latency: waiting for the last anchors")
        values, missing = _latencies(stack, wanted)
    offered = int(RATE * seconds)
    notes = (
        f"{stack.backend}; {RATE:,} docs/s offered for {seconds:.0f}s ({offered:,} documents); "
        "API 2 processes + `sandan worker`, batch wait 0.1s"
    )
    if missing:
        notes += (
            f"; {missing:,} documents not anchored {WAIT_AFTER:.0f}s after the schedule "
            "ended: figures are lower bounds"
        )
    if not values:
        return [
            Metric(
                "latency.anchor_p99", None, "s", at_most(2.0), notes + "; nothing accepted", GROUP
            )
        ]
    return [
        Metric("latency.anchor_p50", percentile(values, 0.50), "s", notes=notes, group=GROUP),
        Metric("latency.anchor_p99", percentile(values, 0.99), "s", at_most(2.0), notes, GROUP),
    ]
