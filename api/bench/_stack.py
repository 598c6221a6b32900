"""A whole service for a bench: database, deployment, API processes, anchoring worker, parties."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from api.bench._documents import BenchParty, bench_parties
from api.bench._postgres import server_version
from api.bench._service import ServiceEnv, ServiceProcess, register_parties, start_api, start_worker
from api.bench.context import BenchContext
from api.bench.ingest import prepare_database

__all__ = ["Stack", "bench_database", "service_stack"]


@dataclass
class Stack:
    """A running service: its API, worker, environment and registered signing parties."""

    api: ServiceProcess
    worker: ServiceProcess | None
    env: ServiceEnv
    backend: str
    parties: tuple[BenchParty, ...]
    api_keys: dict[str, str]
    tag: str


@contextlib.contextmanager
def bench_database(ctx: BenchContext, name: str) -> Iterator[tuple[str, str]]:
    """(backend, URL): a fresh PostgreSQL database when the server answers, else SQLite."""
    if ctx.postgres_url and server_version(ctx.postgres_url):
        with ctx.postgres_database(name) as url:
            yield "postgres", url
        return
    yield "sqlite", f"sqlite:///{ctx.scratch(name + '-db') / 'sandan.db'}"


@contextlib.contextmanager
def service_stack(
    ctx: BenchContext,
    name: str,
    *,
    api_workers: int = 1,
    worker: bool = True,
    extra: dict[str, str] | None = None,
    parties: tuple[BenchParty, ...] | None = None,
    tag: str | None = None,
) -> Iterator[Stack]:
    """Deploy fresh registries, start the API (and `sandan worker`), register the parties
    (``bench_parties(tag)`` unless given: pass the parties, and their tag, to post documents
    presigned for them)."""
    scratch = ctx.scratch(name)
    chain = ctx.chain()
    chain.deploy().save(scratch / "deployment.json")
    tag = tag or f"{os.getpid() % 10_000:04d}{len(name):02d}"
    with bench_database(ctx, name) as (backend, url):
        env = ServiceEnv(
            scratch, prepare_database(url), chain.rpc_url, scratch / "deployment.json", extra or {}
        )
        api = start_api(env, workers=api_workers, log=scratch / "api.log")
        anchor = start_worker(env, log=scratch / "worker.log") if worker else None
        try:
            parties = parties or bench_parties(tag)
            try:
                keys = register_parties(api.base_url, parties)
            except httpx.HTTPStatusError as exc:
                raise RuntimeError(
                    f"{exc.response.status_code} registering parties: {api.tail()}"
                ) from exc
            yield Stack(api, anchor, env, backend, parties, keys, tag)
        finally:
            if anchor is not None:
                anchor.stop()
            api.stop()
