"""The resolver's fast path: a scanning crowd's repeat requests answered before FastAPI.

A lot's stored answer (:mod:`api.services.trace.answers`) costs one stamp query
to check, yet the route around it (routing through every path, dependency
injection, a session, thread-pool hops, a pool checkout with its ping) cost most
of the CPU of a request. This layer sits inside the request-id and NUL guards
(so logging, metrics, ``X-Request-ID`` and the 400 for a NUL are theirs,
unchanged) and in front of everything else. For a GET or HEAD of a lot's Digital
Link without a body that has a live stored answer
(:func:`~api.web.routes.resolver.stored_resolution`), it reads the stamp of the
answer's lots in one query and, when it still holds, sends exactly what the
route would (same headers, ETag, 304, content negotiation). Anything it is not
sure about goes on to FastAPI unchanged: no stored answer yet, an expired one, a
stamp that moved, a redirect, a serial, a bad link, a database error. Reads are
not rate-limited (only writes are), so there is no budget to take.

On PostgreSQL the stamp is read on one autocommit connection of this process
with psycopg's asyncio API: the event loop keeps serving while the server
answers, and nothing is checked out of a pool per request. On SQLite (a local
file, microseconds) it is read on the loop's thread through the engine.

An answer past :data:`~api.services.trace.answers.ANSWER_REFRESH` of its life is
still served, and built again by the route's code in a thread meanwhile (one at
a time per key): under a steady crowd no request meets an expired answer, and
none waits for the chain. Its life (and so what the chain alone may change
unseen) is the same as before.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable, Iterable

import psycopg
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.db.trace_version import (
    POSTGRES_STAMP_QUERY,
    Stamp,
    read_stamp,
    stamp_of,
    stamp_request,
)
from api.runtime import Runtime
from api.services.trace.answers import refresh_due, stamp_lots
from api.web.middleware import _HttpMiddleware
from api.web.routes.resolver import refresh_resolution, stored_resolution

__all__ = ["ResolverFastPath"]

logger = logging.getLogger("sandan.resolver")
_PREFIX = "/01/"
_METHODS = ("GET", "HEAD")


class _EngineStamps:
    """Stamps read on one connection of the engine kept by this process (SQLite).

    Kept rather than checked out per request: the loop's thread must never wait for
    the pool, which the routes' threads may hold whole while an answer is built.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None

    async def read(self, lots: Iterable[str]) -> Stamp:
        """The stamp of ``lots`` now (its read transaction ended at once)."""
        if self._connection is None:
            self._connection = self.engine.connect()
        try:
            return read_stamp(self._connection, lots)
        except SQLAlchemyError:
            self._connection.invalidate()
            self._connection = None
            raise
        finally:
            if self._connection is not None:
                self._connection.rollback()

    async def close(self) -> None:
        """Hand the connection back (the app is shutting down)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class _PostgresStamps:
    """Stamps read on one autocommit asyncio connection of this process (PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        url = engine.url.set(drivername="postgresql")
        self.conninfo = url.render_as_string(hide_password=False)
        self._connection: psycopg.AsyncConnection[tuple[str, int]] | None = None
        self._lock = asyncio.Lock()

    async def read(self, lots: Iterable[str]) -> Stamp:
        """The stamp of ``lots`` now (one statement, its own snapshot)."""
        wanted = stamp_request(lots)
        connection = await self._connect()
        try:
            cursor = await connection.execute(POSTGRES_STAMP_QUERY, (wanted,))
            rows = await cursor.fetchall()
        except psycopg.Error:
            self._connection = None  # made again by the next request
            await connection.close()
            raise
        return stamp_of(wanted, rows)

    async def close(self) -> None:
        """Close the connection (the app is shutting down)."""
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def _connect(self) -> psycopg.AsyncConnection[tuple[str, int]]:
        async with self._lock:
            if self._connection is None or self._connection.closed:
                self._connection = await psycopg.AsyncConnection.connect(
                    self.conninfo, autocommit=True
                )
            return self._connection


class ResolverFastPath(_HttpMiddleware):
    """Answer a lot's Digital Link from its stored answer when the stamp holds; else pass on."""

    def __init__(self, app: ASGIApp, fastapi_app: FastAPI) -> None:
        super().__init__(app)
        self.fastapi_app = fastapi_app
        self._routes: dict[str, APIRoute] | None = None
        self._stamps: _EngineStamps | _PostgresStamps | None = None
        #: Keys being built again ahead of expiry (one refresh per key at a time).
        self._refreshing: set[Hashable] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """HTTP requests as :meth:`handle` says; the stamp connection closed at shutdown."""
        if scope["type"] != "lifespan":
            await super().__call__(scope, receive, send)
            return

        async def receive_until_shutdown() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown" and self._stamps is not None:
                await self._stamps.close()
            return message

        await self.app(scope, receive_until_shutdown, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the stored answer, or pass the request on untouched."""
        if scope["method"] not in _METHODS or not scope["path"].startswith(_PREFIX):
            await self.app(scope, receive, send)
            return
        runtime: Runtime = self.fastapi_app.state.runtime
        request = Request(scope)
        stored = None if _has_body(scope) else stored_resolution(request, runtime)
        if stored is None or not await self._holds(runtime, stored.answer.stamp):
            await self.app(scope, receive, send)
            return
        if refresh_due(runtime, stored.answer) and stored.key not in self._refreshing:
            self._refreshing.add(stored.key)
            task = asyncio.create_task(self._refresh(request, runtime, stored.key))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        # The route the request would have taken, for the request metrics' label.
        scope["route"] = self._route(scope["method"])
        await stored.response(request)(scope, receive, send)

    async def _holds(self, runtime: Runtime, stamp: Stamp) -> bool:
        """Whether the stamp read now is ``stamp`` (False when it cannot be read)."""
        if self._stamps is None:
            engine = runtime.engine
            postgres = engine.dialect.name == "postgresql"
            self._stamps = _PostgresStamps(engine) if postgres else _EngineStamps(engine)
        try:
            return await self._stamps.read(stamp_lots(stamp)) == stamp
        except (SQLAlchemyError, psycopg.Error):
            logger.warning("resolver fast path: stamp not read; routed", exc_info=True)
            return False

    async def _refresh(self, request: Request, runtime: Runtime, key: Hashable) -> None:
        """Build the answer again in a thread while the crowd is still served the stored one."""
        try:
            await run_in_threadpool(refresh_resolution, request, runtime)
        except Exception:  # a failed refresh leaves the answer to expire and be routed
            logger.warning("resolver fast path: refresh failed", exc_info=True)
        finally:
            self._refreshing.discard(key)

    def _route(self, method: str) -> APIRoute | None:
        if self._routes is None:
            self._routes = {
                m: route
                for route in self.fastapi_app.routes
                if isinstance(route, APIRoute) and route.path.startswith(_PREFIX)
                for m in route.methods or ()
            }
        return self._routes.get(method)


def _has_body(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False
