"""A lot's public answers (page, JSON, linkset) kept as bytes, with their ETag.

Building an answer reads every event row, asks the chain (through
:class:`~api.services.trace.cache.ChainFacts`), builds the lineage and renders
a template: milliseconds of CPU for an answer that changes only when something
it was built from changes. So each answer is kept per (lot, representation,
language, link options, base URL) with the :mod:`database trace version
<api.db.trace_version>` it was built at, and served again while

* the version read at the start of the request is the same: any commit to what
  a lot's answer reads (a new event, a correction, a recall or its clearance, an
  anchor confirmation, a name, a row changed by hand) moves it, in whichever
  process or tool it was made, so the change shows on the next request;
* and it is younger than :data:`ANSWER_TTL_S`: the chain's own answers (a recall
  sent straight to the chain by another tool, a reorg) are reused for at most
  :data:`~api.services.trace.cache.CHAIN_FACTS_TTL_S`, and a stored answer for at
  most as long again.

The version is read before the answer is built, so an answer built from rows
newer than its version is only ever rebuilt once more, never served stale.
The ETag is strong, over the exact bytes: equal tags mean equal bodies.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from api.errors import NotFound
from api.runtime import CacheSlot, LruCache, Runtime
from api.services.trace.cache import CHAIN_FACTS_TTL_S, facts_clock

__all__ = [
    "ANSWER_TTL_S",
    "CACHE_CONTROL",
    "Answer",
    "cached_answer",
    "etag_of",
    "matches_etag",
]

#: Longest time a stored answer is served without rebuilding it: the chain-answer window.
#: Rebuilding asks the chain again for what expired (for a 200-event lot, 200 calls), so
#: a shorter life would cost more CPU than the page; a change made straight on the chain,
#: not through sandan, thus shows within twice the window (everything committed to the
#: database shows on the next request).
ANSWER_TTL_S = CHAIN_FACTS_TTL_S
#: Shared caches may keep an answer but must revalidate it on every scan (a 304 is one
#: small query here): with a max-age, a browser would hide a recall for that long.
CACHE_CONTROL = "public, no-cache"


@dataclass(frozen=True)
class Answer:
    """A built answer: status, media type, headers and exact body, with its strong ETag."""

    body: bytes
    media_type: str
    headers: tuple[tuple[str, str], ...]
    etag: str
    version: int  # the trace version read before it was built
    at: float  # chain-facts clock time when its building started
    #: The 404 of a lot with no events, raised again while the version holds (a crowd
    #: scanning a label printed before its first event is captured costs one query each).
    missing: NotFound | None = None


def etag_of(body: bytes) -> str:
    """A strong entity tag over the exact bytes."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def matches_etag(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header matches ``etag`` (weak comparison, RFC 9110 13.1.2).

    ``*`` matches any current representation; ``W/"x"`` matches ``"x"``.
    """
    if not if_none_match:
        return False
    for item in if_none_match.split(","):
        tag = item.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


def cached_answer(
    runtime: Runtime, key: Hashable, version: int, build: Callable[[], Answer | None]
) -> Answer | None:
    """The stored answer of ``key`` when still valid at ``version``, else ``build()``'s (kept).

    One request per key builds at a time (a scanning crowd must not render the same
    page a hundred times over): when the version moved, the others wait for its
    answer; when only the chain window passed, they keep the stored answer meanwhile.
    ``build`` returns the answer built now (``at``/``version`` are filled here), or None
    for an answer that is not to be kept.
    """
    store = runtime.caches.slot(ANSWERS)
    clock = facts_clock(runtime)
    found = store.answers.get(key)
    if found is not None and found.version == version:
        if found.missing is not None:
            # Nothing to ask the chain about: only the version matters. No traceback is kept
            # from raise to raise (it would grow by a frame with each request).
            raise found.missing.with_traceback(None)
        if clock() - found.at < ANSWER_TTL_S:
            return found
        flight = store.flight(key)
        if not flight.acquire(blocking=False):
            return found  # another request is rebuilding it; this one is still current
    else:
        flight = store.flight(key)
        flight.acquire()
    try:
        found = store.answers.get(key)
        if found is not None and found.version == version:
            if found.missing is not None:
                raise found.missing.with_traceback(None)
            if clock() - found.at < ANSWER_TTL_S:
                return found  # built by the request this one waited for
        started = clock()
        try:
            built = build()
        except NotFound as missing:
            store.answers.put(key, Answer(b"", "", (), "", version, started, missing))
            raise
        if built is None:
            return None
        stored = Answer(built.body, built.media_type, built.headers, built.etag, version, started)
        store.answers.put(key, stored)
        return stored
    finally:
        flight.release()


@dataclass
class _AnswerStore:
    """The stored answers of one runtime and the lock of each key being built."""

    answers: LruCache[Hashable, Answer] = field(default_factory=lambda: LruCache(4096))
    _flights: dict[Hashable, threading.Lock] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def flight(self, key: Hashable) -> threading.Lock:
        """The lock held while ``key`` is built (one per key, kept for as many keys as
        answers are: a few thousand locks at most)."""
        with self._lock:
            lock = self._flights.get(key)
            if lock is None:
                if len(self._flights) > 4 * 4096:
                    self._flights = {k: v for k, v in self._flights.items() if v.locked()}
                lock = self._flights[key] = threading.Lock()
            return lock


#: Rendered answers of each runtime, by (base URL, GTIN, lot, options, kind, language).
ANSWERS: CacheSlot[_AnswerStore] = CacheSlot("trace.answers", _AnswerStore)
