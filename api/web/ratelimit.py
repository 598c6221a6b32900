"""Per-party token buckets on write routes."""

from __future__ import annotations

import threading
import time

from fastapi import Request

from api.errors import RateLimited


class RateLimiter:
    """A token bucket per key: ``per_minute`` tokens refilled continuously.

    In-process state: with several service instances each enforces its own
    share, which is the usual trade-off for a limiter without a shared store.
    """

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, cost: float = 1.0, *, now: float | None = None) -> bool:
        """Take ``cost`` tokens from ``key``'s bucket if it has them."""
        if self.capacity <= 0:
            return True
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens < cost:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - cost, now)
            return True


def check_rate(request: Request, party_code: str, *, cost: int = 1) -> None:
    """429 when the party has used up its write budget."""
    if not request.app.state.rate_limiter.allow(party_code, cost):
        raise RateLimited("too many writes; slow down", field=None)
