"""ASGI middleware: authentication before the body, body size and depth limits, NUL guard,
request ids in logs and headers.

Written as plain ASGI callables rather than ``BaseHTTPMiddleware`` so large
bodies are refused while streaming, before they are buffered.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.base import SecurityBase
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError, BadRequest, NestedTooDeep, PayloadTooLarge
from api.services.security import tokens_equal
from api.web import deps
from api.web.pages.portal import is_page_write
from api.web.ratelimit import IDENTITY_STATE
from traceability.limits import MAX_JSON_DEPTH, JsonTooDeep, check_json_depth

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
logger = logging.getLogger("sandan.access")


class _BodyRefused(Exception):
    """Raised inside the receive channel when the body breaks a limit; carries the answer."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message)
        self.error = error


async def _send_error(send: Send, error: ApiError) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": error.status_code,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(error.body()).encode()})


def _too_large(limit: int) -> ApiError:
    return PayloadTooLarge(f"request body exceeds {limit} bytes")


def _nul_in(field: str) -> ApiError:
    return BadRequest(f"the {field} contains a NUL character", field=field, code="invalid")


class _HttpMiddleware:
    """An ASGI middleware that sees HTTP requests only; other scopes pass straight through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request, calling ``self.app`` to pass it on."""
        raise NotImplementedError


class NulGuardMiddleware(_HttpMiddleware):
    """Refuse NUL characters in the path or query string before any route sees them.

    No identifier sandan knows contains one, and PostgreSQL rejects them in text,
    so letting one through could only turn a 404 into a 500.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 400 to a NUL in the path or query; pass anything else on."""
        if "\x00" in scope.get("path", ""):
            await _send_error(send, _nul_in("path"))
            return
        query: bytes = scope.get("query_string", b"")
        if b"\x00" in query or b"%00" in query:
            await _send_error(send, _nul_in("query"))
            return
        await self.app(scope, receive, send)


class BodyGuardMiddleware(_HttpMiddleware):
    """Refuse bodies larger than ``max_bytes`` (413) or nesting deeper than ``max_depth`` (400).

    Both checks run in the receive channel, as the application reads the body: a
    write refused by :class:`AuthenticateFirstMiddleware` never has it read. The
    depth is measured on the whole body before its last chunk is handed on, so no
    parser (FastAPI's JSON body, the NDJSON and EPCIS readers) ever sees a too-deep
    text: CPython's ``json``, pydantic and RFC 8785 all recurse once per level. XML
    bodies are left to the XML parser, which bounds element depth itself (brackets
    mean nothing there).
    """

    def __init__(self, app: ASGIApp, max_bytes: int, max_depth: int = MAX_JSON_DEPTH) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes
        self.max_depth = max_depth

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse by the declared length, or once the streamed body breaks a limit."""
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _send_error(send, _too_large(self.max_bytes))
            return
        check_depth = not _is_xml(_header(scope, b"content-type"))
        chunks: list[bytes] = []
        received = 0
        started = False
        refused: ApiError | None = None

        async def guarded_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] != "http.request":
                return message
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                refused = _too_large(self.max_bytes)
            elif check_depth:
                chunks.append(chunk)
                if not message.get("more_body", False):
                    refused = self._depth_error(b"".join(chunks))
            if refused is not None:
                raise _BodyRefused(refused)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused is not None:
                # FastAPI catches _BodyRefused while reading the body and answers its own 400:
                # answer with the limit that was broken instead.
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await _send_error(send, refused)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, tracking_send)
        except _BodyRefused as exc:
            if not started:
                await _send_error(send, exc.error)

    def _depth_error(self, body: bytes) -> ApiError | None:
        try:
            check_json_depth(body, max_depth=self.max_depth)
        except JsonTooDeep as exc:
            return NestedTooDeep(f"the body is not usable: {exc}", field="body")
        return None


def _is_xml(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in ("application/xml", "text/xml") or media.endswith("+xml")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class RequestIdMiddleware(_HttpMiddleware):
    """Give each request an id (or keep the caller's X-Request-ID) and log it."""

    def __init__(self, app: ASGIApp, metrics: Any = None) -> None:
        super().__init__(app)
        self.metrics = metrics

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Tag the response with the request id, then log and measure the request."""
        request_id = _header(scope, b"x-request-id") or uuid.uuid4().hex
        token = request_id_var.set(request_id[:64])
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id_var.get().encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            if self.metrics is not None:
                self.metrics.observe_request(scope["method"], path, status, elapsed)
            logger.info(
                "request",
                extra={
                    "request_id": request_id_var.get(),
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            request_id_var.reset(token)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            text: str = value.decode("latin-1").strip()
            return text or None
    return None


# --- authentication before the body --------------------------------------------

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_bearer = HTTPBearer(auto_error=False)


def open_writes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path template) of each write operation ``app``'s OpenAPI document lists
    without a security requirement.

    Read from the routes as FastAPI writes the document (an operation needs what the
    security schemes among its dependencies, or its ``openapi_extra``, name) rather than
    from ``app.openapi()``: building the whole document costs about 0.13 s of CPU, paid
    by every new app on its first write. tests/api/web/test_openapi_security.py checks
    that both give the same answer.
    """
    found: list[tuple[str, str]] = []
    for route in iter_route_contexts(app.routes):
        template = route.path_format
        if not isinstance(route.original_route, APIRoute) or template is None:
            continue
        writes = sorted((route.methods or set()) & _WRITES)
        if route.include_in_schema and writes and not _names_security(route):
            found += [(verb, template) for verb in writes]
    return found


def _names_security(route: RouteContext) -> bool:
    if (route.openapi_extra or {}).get("security"):
        return True
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        if isinstance(dependency.call, SecurityBase):
            return True
        pending += dependency.dependencies
    return False


class AuthenticateFirstMiddleware(_HttpMiddleware):
    """Check the bearer token of a write before anything reads its body.

    FastAPI reads and parses a route's body before it solves the route's
    dependencies, so without this an unknown caller would get its body read,
    measured and parsed before being told 401. A write to an operation that the
    OpenAPI document marks as needing the bearer token (every write sandan has,
    today) must present the admin token or a party's API key; which roles the
    route wants is still the route's own check. The identity found keys the rate
    limiter (``request.state``), so an unchecked token never gets a bucket.

    The workbench's form posts (:func:`~api.web.pages.portal.is_page_write`) are let through:
    they authenticate by session cookie, which each page checks before it reads the form,
    or, signing in, by the credential in the form itself (a few small fields).
    """

    def __init__(self, app: ASGIApp, fastapi_app: FastAPI) -> None:
        super().__init__(app)
        self.fastapi_app = fastapi_app
        self._open: list[tuple[str, re.Pattern[str]]] | None = None

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse a write without a known token (401); note who the caller is."""
        if (
            scope["method"] not in _WRITES
            or self._is_open(scope["method"], scope["path"])
            or is_page_write(scope["method"], scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        credentials = await _bearer(request)
        try:
            identity = await run_in_threadpool(self._identity, credentials)
        except ApiError as exc:
            await _send_error(send, exc)
            return
        scope.setdefault("state", {})[IDENTITY_STATE] = identity
        await self.app(scope, receive, send)

    def _is_open(self, method: str, path: str) -> bool:
        """Whether the write operation at ``path`` is one anyone may call."""
        if self._open is None:
            self._open = [
                (verb, compile_path(template)[0])
                for verb, template in open_writes(self.fastapi_app)
            ]
        return any(verb == method and pattern.match(path) for verb, pattern in self._open)

    def _identity(self, credentials: HTTPAuthorizationCredentials | None) -> str:
        runtime = self.fastapi_app.state.runtime
        if credentials is not None and tokens_equal(credentials.credentials, runtime.admin_token):
            return "admin"
        with Session(runtime.engine) as session:
            return "party:" + deps.get_current_party(session, credentials).code
