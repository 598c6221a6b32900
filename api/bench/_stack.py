"""A whole service for a bench: database, deployment, API processes, anchoring worker, parties."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace

import httpx

from api.bench._documents import BenchParty, bench_parties
from api.bench._postgres import server_version
from api.bench._service import ServiceEnv, ServiceProcess, register_parties, start_api, start_worker
from api.bench.context import BenchContext
from api.bench.ingest import prepare_database

__all__ = ["Stack", "bench_database", "service_stack", "start_workers"]

#: What each of two workers anchors, and with which dev account (index into the chain's):
#: the documents' and events' worker signs as the anchorer, the other as the admin, which
#: the bench deployment also makes an anchorer and which is the PartyRegistry's registrar.
_SPLIT = (("document,event", None), ("verdict,supersede,party,release", 0))


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


@contextlib.contextmanager
def start_workers(ctx: BenchContext, stack: Stack, count: int) -> Iterator[list[ServiceProcess]]:
    """``count`` (1 or 2) `sandan worker` processes for ``stack``; two split the outbox by
    kind (``SANDAN_WORKER_KINDS``), each with its own account."""
    with contextlib.ExitStack() as stop:
        started = []
        if count == 1:
            started.append(start_worker(stack.env, log=stack.env.data_dir / "worker.log"))
        else:
            accounts = ctx.chain().accounts
            for index, (kinds, account) in enumerate(_SPLIT[:count]):
                extra = {**stack.env.extra, "SANDAN_WORKER_KINDS": kinds}
                if account is not None:
                    key = "0x" + bytes(accounts[account].key).hex()
                    extra |= {"SANDAN_ANCHORER_KEY": key, "SANDAN_ADMIN_KEY": key}
                env = replace(stack.env, extra=extra)
                log = stack.env.data_dir / f"worker{index}.log"
                started.append(start_worker(env, log=log))
        for process in started:
            stop.callback(process.stop)
        yield started
