"""Anchoring latency: from submission to confirmed proof, at a steady offered rate.

Documents (signed beforehand) are created at a steady rate and posted by their
parties in small NDJSON bodies on a fixed schedule, without waiting for earlier
answers (an open loop), while ``sandan worker`` anchors them (see :func:`_bodies`).
A document's latency runs from its creation to the moment its batch was recorded
as confirmed
(``anchor_batch.confirmed_at``, the instant GET /documents/{hash} starts
answering "anchored"). Documents still unconfirmed when the wait ends count
with the time waited so far, so a percentile is then a lower bound.
"""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import NamedTuple

import httpx
import orjson
from sqlmodel import Session, col, select

from api.bench._documents import sign_range
from api.bench._service import tree_cpu_seconds
from api.bench._stack import Stack, service_stack, start_workers
from api.bench.context import BenchContext
from api.bench.metric import Metric, at_most
from api.config import ApiSettings
from api.db.engine import make_engine
from api.db.models import AnchorBatchRecord, OutboxRecord, PartyKeyRecord
from traceability import SignedEnvelope

__all__ = ["percentile", "run"]

GROUP = "latency"
RATE = 1_000  # documents per second offered
TICK = 0.1  # seconds between a client's bodies
#: A trade's payment is issued this long after its order, and its waybill as long after the
#: payment: three companies do not post one trade's documents in the same instant.
PARTY_LAG = 1.0
WAIT_AFTER = 10.0  # seconds allowed for the last documents to be anchored
#: Anchoring workers: documents in one, verdicts in the other (``SANDAN_WORKER_KINDS``), so
#: that a document's batch never waits behind a verdict batch's round trip.
WORKERS = 2

#: One body: who posts it, at which tick, the NDJSON, and each line's (hash, creation offset).
Body = tuple[str, int, bytes, list[tuple[str, float]]]


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values`` (not empty)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-fraction * len(ordered) // 1))))
    return ordered[rank - 1]


def _hash(line: bytes) -> str:
    return SignedEnvelope.parse(orjson.loads(line)).content_hash.hex()


def _bodies(stack: Stack, seconds: float) -> list[Body]:
    """RATE documents a second, ``seconds`` long, as the three parties would post them.

    Trades are created at a steady rate; the platform's order comes first, the payment
    PARTY_LAG later, the waybill PARTY_LAG after that. Each document is created at its own
    instant, spread evenly over a tick, and its party posts what it created during a tick
    at the tick's end, in one body: a document's latency counts the wait for its body.
    """
    windows = int(seconds / TICK)
    per_window = int(RATE * TICK) // len(stack.parties)  # trades, so documents per party
    lag = round(PARTY_LAG / TICK)
    lines = sign_range(stack.parties, stack.tag, 0, windows * per_window)
    bodies: list[Body] = []
    for lane, (code, party_lines) in enumerate(lines.items()):
        for window in range(windows):
            chunk = party_lines[window * per_window : (window + 1) * per_window]
            opened = (window + lane * lag) * TICK
            created = [
                (_hash(line), opened + TICK * k / per_window) for k, line in enumerate(chunk)
            ]
            bodies.append((code, window + lane * lag + 1, b"\n".join(chunk), created))
    bodies.sort(key=lambda body: body[1])
    return bodies


def _post(client: httpx.Client, key: str, body: bytes) -> None:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"}
    with contextlib.suppress(httpx.HTTPError):  # the run may end before the answer comes
        client.post("/documents/bulk", content=body, headers=headers)


def _submit(stack: Stack, bodies: list[Body]) -> dict[str, float]:
    """Open loop: each body leaves on schedule whether or not earlier ones were answered.

    Returns each document's creation time. Bodies still queued when the schedule ends are
    sent all the same (late: their documents' latency counts the delay), and whatever is
    not anchored when the wait ends counts as unconfirmed.
    """
    created: dict[str, float] = {}
    client = httpx.Client(base_url=stack.api.base_url, timeout=WAIT_AFTER + 5)
    pool = ThreadPoolExecutor(max_workers=16)
    start = time.time()
    for code, tick, body, lines in bodies:
        time.sleep(max(0.0, start + tick * TICK - time.time()))
        created.update((content_hash, start + at) for content_hash, at in lines)
        pool.submit(_post, client, stack.api_keys[code], body)
    pool.shutdown(wait=False)
    return created


def _wait_keys_on_chain(stack: Stack, timeout: float = 60.0) -> None:
    """Start the schedule once the workers run and the parties' keys are on chain: documents
    wait for their signing key to be recorded, and a steady rate is what is measured, not
    the service's start."""
    engine = make_engine(ApiSettings(database_url=stack.env.database_url).resolved_database_url)
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            with Session(engine) as session:
                waiting = session.exec(
                    select(PartyKeyRecord.key_id).where(col(PartyKeyRecord.chain_block).is_(None))
                ).first()
            if waiting is None:
                return
            time.sleep(0.2)
        raise RuntimeError(f"the parties' keys were not on chain {timeout:.0f}s after start")
    finally:
        engine.dispose()


def _wait_settled(pids: list[int], timeout: float = 30.0) -> None:
    """Wait until the service's processes are done starting (imports, first passes): under
    half a core between them over half a second (idle workers still poll the outbox)."""
    deadline = time.time() + timeout
    before = sum(tree_cpu_seconds(pid) for pid in pids)
    while time.time() < deadline:
        time.sleep(0.5)
        now = sum(tree_cpu_seconds(pid) for pid in pids)
        if now - before < 0.25:
            return
        before = now


class Stages(NamedTuple):
    """When one document was accepted, put in a batch, and its batch confirmed."""

    accepted: datetime
    batched: datetime
    confirmed: datetime


def _confirmed_at(stack: Stack) -> dict[str, Stages]:
    engine = make_engine(ApiSettings(database_url=stack.env.database_url).resolved_database_url)
    stmt = (
        select(
            OutboxRecord.subject,
            OutboxRecord.created_at,
            AnchorBatchRecord.created_at,
            AnchorBatchRecord.confirmed_at,
        )
        .join(AnchorBatchRecord, col(AnchorBatchRecord.id) == col(OutboxRecord.batch_id))
        .where(OutboxRecord.kind == "document", AnchorBatchRecord.state == "confirmed")
    )
    try:
        with Session(engine) as session:
            return {
                s: Stages(accepted, batched, confirmed)
                for s, accepted, batched, confirmed in session.exec(stmt).all()
                if confirmed is not None
            }
    finally:
        engine.dispose()


def _latencies(
    stack: Stack, wanted: dict[str, float]
) -> tuple[list[float], int, dict[str, list[float]]]:
    """Wait for the anchors; return every document's latency, how many never confirmed,
    and the confirmed documents' time in each stage (where the latency goes)."""
    deadline = time.time() + WAIT_AFTER
    confirmed = _confirmed_at(stack)
    while len(wanted.keys() - confirmed.keys()) and time.time() < deadline:
        time.sleep(0.5)
        confirmed = _confirmed_at(stack)
    now = time.time()
    values = [
        (confirmed[h].confirmed.timestamp() if h in confirmed else now) - created
        for h, created in wanted.items()
    ]
    stages: dict[str, list[float]] = {"accept": [], "wait": [], "chain": [], "anchoring": []}
    for h, created in wanted.items():
        if (at := confirmed.get(h)) is not None:
            stages["accept"].append(at.accepted.timestamp() - created)
            stages["wait"].append((at.batched - at.accepted).total_seconds())
            stages["chain"].append((at.confirmed - at.batched).total_seconds())
            stages["anchoring"].append((at.confirmed - at.accepted).total_seconds())
    return values, len(wanted.keys() - confirmed.keys()), stages


def _stage_note(stages: dict[str, list[float]]) -> str:
    """p50/p99 of each stage: creation → accepted (the wait for the body, and the API),
    accepted → in a batch (worker's claim), batch → confirmed (chain round trip), and
    accepted → confirmed (anchoring: the two together)."""
    parts = [
        f"{name} p50 {percentile(v, 0.5):.2f}s p99 {percentile(v, 0.99):.2f}s"
        for name, v in stages.items()
        if v
    ]
    return "; stages: " + ", ".join(parts) if parts else ""


def run(ctx: BenchContext) -> list[Metric]:
    """Offer RATE documents/s for a bounded time and measure submission → confirmed proof."""
    seconds = ctx.seconds(10.0, 60.0)
    extra = {"SANDAN_BATCH_WAIT_SECONDS": "0.1", "SANDAN_CONFIRMATIONS": "1"}
    with (
        service_stack(ctx, "latency", api_workers=2, worker=False, extra=extra) as stack,
        start_workers(ctx, stack, WORKERS) as workers,
    ):
        bodies = _bodies(stack, seconds)
        _wait_keys_on_chain(stack)
        _wait_settled([stack.api.pid, *(w.pid for w in workers)])
        ctx.progress.start(f"latency: {RATE:,} docs/s offered for {seconds:.0f}s ({stack.backend})")
        wanted = _submit(stack, bodies)
        ctx.progress.start("latency: waiting for the last anchors")
        values, missing, stages = _latencies(stack, wanted)
    offered = int(RATE * seconds)
    notes = (
        f"{stack.backend}; {RATE:,} docs/s offered for {seconds:.0f}s ({offered:,} documents; "
        f"each party posts every {TICK:g}s, a trade's payment {PARTY_LAG:g}s after its order "
        f"and its waybill {PARTY_LAG:g}s after that; latency from each document's creation); "
        f"API 2 processes + {WORKERS} `sandan worker` (documents, verdicts), batch wait 0.1s"
    ) + _stage_note(stages)
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
    metrics = [
        Metric("latency.anchor_p50", percentile(values, 0.50), "s", notes=notes, group=GROUP),
        Metric("latency.anchor_p99", percentile(values, 0.99), "s", at_most(2.0), notes, GROUP),
    ]
    if stages["anchoring"]:
        # The worker's and the chain's share alone: from the API's commit to the proof.
        metrics.append(
            Metric(
                "latency.accepted_to_anchored_p99",
                percentile(stages["anchoring"], 0.99),
                "s",
                notes="documents the API accepted: its commit to the batch's confirmation",
                group=GROUP,
            )
        )
    return metrics
