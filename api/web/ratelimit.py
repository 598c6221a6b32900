"""Token buckets on write routes, keyed by who is calling, in a bounded table."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from fastapi import Request

from api.errors import RateLimited

#: Where the identity authenticated before the body is noted (``request.state``).
IDENTITY_STATE = "sandan_identity"

#: Most buckets kept; past it the least recently used goes (its owner starts full again).
MAX_BUCKETS = 10_000


class RateLimiter:
    """A token bucket per key: ``per_minute`` tokens refilled continuously.

    In-process state: with several service instances each enforces its own
    share, which is the usual trade-off for a limiter without a shared store.
    The table is kept in order of last use and never holds more than
    ``max_buckets`` keys: buckets idle long enough to have refilled are the same
    as no bucket and are dropped first, then the least recently used ones.
    """

    def __init__(self, per_minute: int, *, max_buckets: int = MAX_BUCKETS) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_buckets = max_buckets
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many buckets are kept."""
        return len(self._buckets)

    def allow(self, key: str, cost: float = 1.0, *, now: float | None = None) -> bool:
        """Take ``cost`` tokens from ``key``'s bucket if it has them."""
        if self.capacity <= 0:
            return True
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(key, (self.capacity, now))
            tokens = self._refilled(tokens, last, now)
            allowed = tokens >= cost
            self._buckets[key] = (tokens - cost if allowed else tokens, now)
            self._prune(now)
            return allowed

    def spent(self, key: str, *, now: float | None = None) -> bool:
        """Whether ``key``'s bucket holds less than one token (nothing is taken)."""
        if self.capacity <= 0:
            return False
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            return self._refilled(tokens, last, now) < 1

    def _refilled(self, tokens: float, last: float, now: float) -> float:
        return min(self.capacity, tokens + (now - last) * self.rate)

    def _prune(self, now: float) -> None:
        """Drop refilled buckets from the idle end, then any beyond ``max_buckets``."""
        while self._buckets:
            tokens, last = next(iter(self._buckets.values()))
            if self._refilled(tokens, last, now) < self.capacity:
                break
            self._buckets.popitem(last=False)
        while len(self._buckets) > self.max_buckets:
            self._buckets.popitem(last=False)


def caller_key(request: Request) -> str:
    """Who the budget belongs to: the identity authenticated before the body, else the client."""
    identity = getattr(request.state, IDENTITY_STATE, None)
    if isinstance(identity, str):
        return identity
    client = request.client
    return "client:" + (client.host if client is not None else "unknown")


def check_write_budget(request: Request) -> None:
    """429 when the caller has used up its write budget (reads are not limited)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if not request.app.state.rate_limiter.allow(caller_key(request)):
        raise RateLimited("too many writes; slow down")


def check_rate(request: Request, party_code: str, *, cost: int = 1) -> None:
    """429 when the party has used up its write budget."""
    if not request.app.state.rate_limiter.allow("party:" + party_code, cost):
        raise RateLimited("too many writes; slow down", field=None)
