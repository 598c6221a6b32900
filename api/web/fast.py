"""The resolver's fast path: a scanning crowd's repeat requests answered before FastAPI.

A lot's stored answer (:mod:`api.services.trace.answers`) costs one version query
to check, yet the route around it (routing through every path, dependency
injection, a session, two thread-pool hops) cost most of the CPU of a request.
This layer sits inside the request-id and NUL guards (so logging, metrics,
``X-Request-ID`` and the 400 for a NUL are theirs, unchanged) and in front of
everything else. For a GET or HEAD of a lot's Digital Link without a body, it
reads the stamp of the stored answer's lots in one query and, when it still
holds, sends exactly what the route would (:func:`~api.web.routes.resolver.
stored_resolution`: same headers, ETag, 304 and content negotiation). Anything it
is not sure about goes on to FastAPI unchanged: no stored answer yet, an expired
one, a stamp that moved, a redirect, a serial, a bad link, a database error.
Reads are not rate-limited (only writes are), so there is no budget to take.

An answer past :data:`~api.services.trace.cache.EARLY_REFRESH` of its life is
still served, and built again by the route's code in a thread meanwhile (one at
a time per key): under a steady crowd no request meets an expired answer, and
none waits for the chain. Its life (and so what the chain alone may change
unseen) is the same as before.

The query runs on the event loop's thread: a primary-key read costs less than the
thread-pool hop that would carry it, and the loop has nothing else to do meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable, Iterable

from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.db.trace_version import Stamp, read_stamp
from api.runtime import Runtime
from api.web.middleware import _HttpMiddleware
from api.web.routes.resolver import refresh_resolution, stored_resolution

__all__ = ["ResolverFastPath"]

logger = logging.getLogger("sandan.resolver")
_PREFIX = "/01/"
_METHODS = ("GET", "HEAD")


class ResolverFastPath(_HttpMiddleware):
    """Answer a lot's Digital Link from its stored answer when the stamp holds; else pass on."""

    def __init__(self, app: ASGIApp, fastapi_app: FastAPI) -> None:
        super().__init__(app)
        self.fastapi_app = fastapi_app
        self._routes: dict[str, APIRoute] | None = None
        #: Keys being built again ahead of expiry (one refresh per key at a time).
        self._refreshing: set[Hashable] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the stored answer, or pass the request on untouched."""
        if scope["method"] not in _METHODS or not scope["path"].startswith(_PREFIX):
            await self.app(scope, receive, send)
            return
        if _has_body(scope):
            await self.app(scope, receive, send)
            return
        runtime: Runtime = self.fastapi_app.state.runtime
        request = Request(scope)
        try:
            stored = stored_resolution(request, runtime, lambda lots: _stamp(runtime, lots))
        except SQLAlchemyError:
            logger.warning("resolver fast path: stamp not read; routed", exc_info=True)
            stored = None
        if stored is None:
            await self.app(scope, receive, send)
            return
        if stored.refresh_due and stored.key not in self._refreshing:
            self._refreshing.add(stored.key)
            task = asyncio.create_task(self._refresh(request, runtime, stored.key))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        # The route the request would have taken, for the request metrics' label.
        scope["route"] = self._route(scope["method"])
        await stored.response(scope, receive, send)

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


def _stamp(runtime: Runtime, lots: Iterable[str]) -> Stamp:
    with runtime.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # One statement, its own snapshot: no BEGIN/ROLLBACK round trips (as the route).
            connection.execution_options(isolation_level="AUTOCOMMIT")
        return read_stamp(connection, lots)


def _has_body(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False
