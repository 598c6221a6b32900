"""Retries that stay idempotent: the same request bytes, resent only when that is safe.

A request is built once and sent again unchanged after a connection error, a 429
(after its ``Retry-After``) or a 502/503/504, with capped exponential backoff. For a
submission that is safe because the service answers 200 for bytes it already stored:
a retry after a lost answer never makes a second version. Any other answer is final.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from api.client.errors import SandanApiError

__all__ = ["RETRYABLE_STATUSES", "RetryPolicy", "send"]

#: Answers after which the same request is sent again.
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a request is retried.

    The n-th retry waits ``min(max_delay, base_delay * 2 ** (n - 1))`` seconds, or what
    the answer's ``Retry-After`` asks (capped at ``max_delay`` too). ``sleep`` is the
    clock's seam: tests pass one that records the waits instead of sleeping.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def delay(self, retry: int, response: httpx.Response | None) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first)."""
        asked = _retry_after(response)
        if asked is not None:
            return min(self.max_delay, asked)
        return min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))


def _retry_after(response: httpx.Response | None) -> float | None:
    """``Retry-After`` in seconds, when the answer gives it as a number (the API does)."""
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to the backoff


def send(http: httpx.Client, request: httpx.Request, policy: RetryPolicy) -> httpx.Response:
    """Send ``request`` (the same bytes every time) until it gets a final answer.

    Returns the first answer that is not retryable, success or not. Raises
    :class:`SandanApiError` when the attempts run out: the last answer's error, or
    status 0 ``connection_failed`` when the service never answered.
    """
    response: httpx.Response | None = None
    for attempt in range(1, policy.max_attempts + 1):
        try:
            response = http.send(request)
        except httpx.TransportError as exc:
            response = None
            if attempt == policy.max_attempts:
                raise SandanApiError(0, "connection_failed", None, f"{request.url}: {exc}") from exc
        else:
            if response.status_code not in RETRYABLE_STATUSES:
                return response
            if attempt == policy.max_attempts:
                raise SandanApiError.from_response(response)
        policy.sleep(policy.delay(attempt, response))
    raise AssertionError("unreachable: the last attempt returns or raises")
