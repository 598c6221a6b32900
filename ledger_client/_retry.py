"""Retry with backoff on transient node errors, and never on anything else.

Transient: the node could not be reached or asked us to slow down (connection refused,
timeouts, HTTP 429 and 5xx, JSON-RPC "limit exceeded"). A revert is an answer, not a
failure to get one, so it is never retried.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import requests
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter
from web3.exceptions import Web3RPCError

from ledger_client.errors import ProviderError

__all__ = ["RetryPolicy", "is_transient"]

T = TypeVar("T")

_RATE_LIMIT_CODES = frozenset({-32005, 429})
_RATE_LIMIT_WORDS = ("rate limit", "too many requests", "limit exceeded")


def is_transient(exc: BaseException) -> bool:
    """Tell whether ``exc`` means "the node was not reachable or busy; try again"."""
    if isinstance(exc, requests.HTTPError):
        status = exc.response.status_code if exc.response is not None else 0
        return status == 429 or status >= 500
    if isinstance(
        exc, requests.ConnectionError | requests.Timeout | ConnectionError | TimeoutError
    ):
        return True
    if isinstance(exc, Web3RPCError):
        return _is_rate_limit(exc)
    return False


def _is_rate_limit(exc: Web3RPCError) -> bool:
    error = exc.rpc_response.get("error") if exc.rpc_response else None
    code = error.get("code") if isinstance(error, dict) else None
    message = str(error.get("message", "")) if isinstance(error, dict) else str(exc)
    return code in _RATE_LIMIT_CODES or any(w in message.lower() for w in _RATE_LIMIT_WORDS)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a transient node error."""

    attempts: int = 5
    initial_wait: float = 0.2
    max_wait: float = 5.0

    def call(self, operation: Callable[[], T]) -> T:
        """Run ``operation``; retry transient errors; raise ProviderError once they persist."""
        retrying = Retrying(
            retry=retry_if_exception(is_transient),
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential_jitter(
                multiplier=self.initial_wait, max=self.max_wait, jitter=self.initial_wait
            ),
            reraise=True,
        )
        try:
            return retrying(operation)
        except Exception as exc:
            if is_transient(exc):
                raise ProviderError(
                    f"cannot reach the chain ({_one_line(exc)}, {self.attempts} attempts)"
                ) from exc
            raise


def _one_line(exc: BaseException) -> str:
    """Say what went wrong in a few words: requests' messages run to several hundred."""
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, requests.Timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, requests.ConnectionError | ConnectionError):
        return "connection failed"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__
