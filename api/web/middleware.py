"""ASGI middleware: body size limit (413) and request ids in logs and headers.

Written as plain ASGI callables rather than ``BaseHTTPMiddleware`` so large
bodies are refused while streaming, before they are buffered.
"""

from __future__ import annotations

import contextvars
import json
import logging
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
logger = logging.getLogger("sandan.access")


class BodyTooLarge(Exception):
    """Raised inside the receive channel when the body passes the limit."""


async def _send_413(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "error": "payload_too_large",
            "message": f"request body exceeds {limit} bytes",
            "field": None,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _send_400(send: Send, field: str) -> None:
    body = json.dumps(
        {"error": "invalid", "message": f"the {field} contains a NUL character", "field": field}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


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
            await _send_400(send, "path")
            return
        query: bytes = scope.get("query_string", b"")
        if b"\x00" in query or b"%00" in query:
            await _send_400(send, "query")
            return
        await self.app(scope, receive, send)


class BodyLimitMiddleware(_HttpMiddleware):
    """Refuse request bodies larger than ``max_bytes`` with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse by the declared length, or once the streamed body passes the limit."""
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _send_413(send, self.max_bytes)
            return
        received = 0
        started = False
        too_large = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if too_large:
                # FastAPI catches BodyTooLarge while parsing and answers 400: answer 413 instead.
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await _send_413(send, self.max_bytes)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _send_413(send, self.max_bytes)


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
