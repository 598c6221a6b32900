"""Signed documents ingested per second through the real API, on SQLite and PostgreSQL.

The app runs under uvicorn with one worker process per core; several client
processes post NDJSON bulk bodies of envelopes signed beforehand (in parallel,
outside the timed part). Each accepted line went through the whole path:
signature check, canonicalisation, validation, storage and the outbox row.
Beside it: the single-core limit of ``verify_envelope`` (Ed25519), the check
every document must pass.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from api.bench._clients import post_all
from api.bench._documents import PRESIGN_LEAD, BenchParty, bench_parties, presign, write_batches
from api.bench._service import ServiceEnv, register_parties, start_api
from api.bench.context import BenchContext
from api.bench.metric import Metric, at_least, skipped
from api.config import ApiSettings
from api.db.engine import create_db_and_tables, make_engine
from traceability import Party, PartyKey, PartyRegistry, verify_envelope

__all__ = ["prepare_database", "run", "verify_limit"]

GROUP = "ingest"
TARGET_POSTGRES = at_least(5_000)
BULK_LINES = 500
CLIENTS = 4


def prepare_database(url: str) -> str:
    """Create the tables once (so that server processes never race to); return the URL."""
    normalised = ApiSettings(database_url=url).resolved_database_url
    engine = make_engine(normalised)
    create_db_and_tables(engine)
    engine.dispose()
    return url


def _directory(parties: Sequence[BenchParty]) -> PartyRegistry:
    since = datetime.now(UTC) - timedelta(days=1)
    return PartyRegistry(
        parties=[Party(p.code, p.name, frozenset({p.role})) for p in parties],  # type: ignore[arg-type]
        keys=[PartyKey(p.key_id, p.code, "Ed25519", p.public_key, since) for p in parties],  # type: ignore[arg-type]
    )


def verify_limit(parties: Sequence[BenchParty], lines: Sequence[bytes], seconds: float) -> Metric:
    """verify_envelope (parse, RFC 8785 bytes, Ed25519) in a loop on one core."""
    directory = _directory(parties)
    envelopes = [orjson.loads(line) for line in lines]
    now = datetime.now(UTC)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for envelope in envelopes[:500]:
            verify_envelope(envelope, directory, now=now, max_clock_skew=2 * PRESIGN_LEAD)
        done += min(500, len(envelopes))
    rate = done / (time.perf_counter() - start)
    notes = "single core: envelope parse + RFC 8785 canonical bytes + Ed25519 verify"
    return Metric("ingest.verify_envelope_one_core", rate, "docs/s", notes=notes, group=GROUP)


def _ingest(
    ctx: BenchContext,
    backend: str,
    database_url: str,
    parties: Sequence[BenchParty],
    batches: Sequence[tuple[str, Path, int]],
) -> Metric:
    workers = os.cpu_count() or 2
    scratch = ctx.scratch(f"ingest-{backend}")
    env = ServiceEnv(scratch, prepare_database(database_url), ctx.chain().rpc_url)
    server = start_api(env, workers=workers, log=scratch / "api.log")
    try:
        keys = register_parties(server.base_url, parties)
        jobs = [(keys[code], path, n) for code, path, n in batches]
        ctx.progress.start(f"ingest: {backend}, {sum(n for *_, n in batches):,} documents")
        outcome = post_all(server.base_url, jobs, clients=CLIENTS)
    finally:
        server.stop()
    rate = outcome.accepted / outcome.elapsed if outcome.elapsed > 0 else None
    notes = (
        f"{outcome.accepted:,} accepted in {outcome.elapsed:.1f}s; uvicorn {workers} workers, "
        f"{CLIENTS} client processes, NDJSON bodies of {BULK_LINES}"
    )
    if outcome.rejected or outcome.first_error:
        notes += f"; {outcome.rejected} rejected, first error: {outcome.first_error}"
    target = TARGET_POSTGRES if backend == "postgres" else None
    return Metric(f"ingest.{backend}", rate, "docs/s", target, notes=notes, group=GROUP)


def _postgres(
    ctx: BenchContext, parties: Sequence[BenchParty], batches: list[tuple[str, Path, int]]
) -> Metric:
    try:
        with ctx.postgres_database("ingest") as url:
            return _ingest(ctx, "postgres", url, parties, batches)
    except Exception as exc:  # an unreachable server is a fact to report, not a crash
        if "connection" not in str(exc).lower():
            raise
        return skipped("ingest.postgres", "docs/s", f"PostgreSQL: {exc}", TARGET_POSTGRES)


def run(ctx: BenchContext) -> list[Metric]:
    """Sign, then ingest the same documents into fresh SQLite and PostgreSQL databases."""
    trades = ctx.size(quick=500, full=6_000)
    tag = f"{os.getpid() % 100_000:05d}"
    parties = bench_parties(tag)
    ctx.progress.start(f"ingest: signing {trades * 3:,} documents on every core")
    lines = presign(parties, tag, trades, processes=os.cpu_count() or 2)
    batches = write_batches(lines, ctx.scratch("ingest-bodies"), batch=BULK_LINES)
    sample = [line for party_lines in lines.values() for line in party_lines[:200]]
    metrics = [verify_limit(parties, sample, ctx.seconds(2.0, 5.0))]
    sqlite_url = f"sqlite:///{ctx.scratch('ingest-sqlite-db') / 'sandan.db'}"
    metrics.append(_ingest(ctx, "sqlite", sqlite_url, parties, batches))
    metrics.append(_postgres(ctx, parties, batches))
    return metrics
