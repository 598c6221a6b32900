"""A lot's public answers (page, JSON, linkset) kept as bytes, with their ETag.

Building an answer reads every event row, asks the chain (through
:class:`~api.services.trace.cache.ChainFacts`), builds the lineage and renders
a template: milliseconds of CPU for an answer that changes only when something
it was built from changes. So each answer is kept per (lot, representation,
language, link options, base URL) with the :mod:`trace versions
<api.db.trace_version>` it was built at (its :data:`~api.db.trace_version.Stamp`:
the versions of the lot, of the lots it was made from, and the global one), and
served again while

* the stamp read at the start of the request is the same: any commit to what
  a lot's answer reads (a new event, a correction, a recall or its clearance, an
  anchor confirmation, a name, a row changed by hand) moves it, in whichever
  process or tool it was made, so the change shows on the next request, and a
  change to another lot leaves it as it is;
* and it is younger than :data:`ANSWER_TTL_S`: the chain's own answers (a recall
  sent straight to the chain by another tool, a reorg) are reused for at most
  :data:`~api.services.trace.cache.CHAIN_FACTS_TTL_S`, and a stored answer for at
  most as long again.

The stamp is read before the answer is built, so an answer built from rows
newer than its stamp is only ever rebuilt once more, never served stale. The
lots an answer depends on are known once it is built: the stamp is read for the
lots of the answer stored before (the lot alone at first), and a lot it did not
cover is stamped -1, which no version matches, so the next request reads it too.
:func:`live_answer` and the stamp are that check without building: the resolver's fast path
(:mod:`api.web.fast`) answers from it and leaves everything else to the routes.
The ETag is strong, over the exact bytes: equal tags mean equal bodies.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

from api.db.trace_version import Stamp
from api.errors import NotFound
from api.runtime import CacheSlot, LruCache, Runtime
from api.services.trace.cache import CHAIN_FACTS_TTL_S, facts_clock

__all__ = [
    "ANSWER_REFRESH",
    "ANSWER_TTL_S",
    "CACHE_CONTROL",
    "Answer",
    "cached_answer",
    "etag_of",
    "live_answer",
    "matches_etag",
    "refresh_due",
    "stamp_lots",
    "stored_answer",
]

#: Longest time a stored answer is served without rebuilding it: the chain-answer window.
#: Rebuilding asks the chain again for what expired (for a 200-event lot, 200 calls), so
#: a shorter life would cost more CPU than the page; a change made straight on the chain,
#: not through sandan, thus shows within twice the window (everything committed to the
#: database shows on the next request).
ANSWER_TTL_S = CHAIN_FACTS_TTL_S
#: Share of its life after which the fast path has a served answer built again in the
#: background: half, so that a slow build (a 200-event lot asks the chain for every event
#: whose answer expired) still ends before the answer it replaces expires.
ANSWER_REFRESH = 0.5
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
    stamp: Stamp  # the trace versions read before it was built
    at: float  # chain-facts clock time when its building started
    #: The 404 of a lot with no events, raised again while the stamp holds (a crowd
    #: scanning a label printed before its first event is captured costs one query each).
    missing: NotFound | None = None
    #: The lots it was built from (set by the builder; the stored answer's are its stamp's).
    depends: tuple[str, ...] = ()


def stamp_lots(stamp: Stamp) -> tuple[str, ...]:
    """The lot ids a stamp covers."""
    return tuple(lot for lot, _ in stamp if lot)


def _stamped(stamp: Stamp, depends: tuple[str, ...]) -> Stamp:
    """``stamp`` for the lots of ``depends``: -1 (never matches) for a lot it did not read."""
    read = dict(stamp)
    return (*((lot, read.get(lot, -1)) for lot in sorted(set(depends))), ("", read.get("", -1)))


def stored_answer(runtime: Runtime, key: Hashable) -> Answer | None:
    """The answer stored for ``key``, whatever its stamp and age (None: none is)."""
    return runtime.caches.slot(ANSWERS).answers.get(key)


def refresh_due(runtime: Runtime, answer: Answer) -> bool:
    """Whether ``answer`` is past :data:`ANSWER_REFRESH` of its life (build it again now);
    never for a kept 404, which lives as long as its stamp."""
    if answer.missing is not None:
        return False
    return facts_clock(runtime)() - answer.at >= ANSWER_TTL_S * ANSWER_REFRESH


def live_answer(runtime: Runtime, key: Hashable) -> Answer | None:
    """The stored answer of ``key`` while it may be served if its stamp holds, else None.

    That is an answer younger than :data:`ANSWER_TTL_S`, or a kept 404 (it asks nothing
    of the chain: only the stamp matters); whether its stamp still holds is the
    caller's check (its lots are :func:`stamp_lots`).
    """
    found = stored_answer(runtime, key)
    if found is None or found.missing is not None:
        return found
    return found if facts_clock(runtime)() - found.at < ANSWER_TTL_S else None


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
    runtime: Runtime,
    key: Hashable,
    lot_id: str,
    read: Callable[[Iterable[str]], Stamp],
    build: Callable[[], Answer | None],
    *,
    refresh: bool = False,
    probe: Callable[[], Iterable[str]] | None = None,
) -> Answer | None:
    """The stored answer of ``key`` (a lot ``lot_id``'s) when still valid, else ``build()``'s.

    ``read`` gives the stamp of some lots now; it is called before ``build`` reads any row.
    One request per key builds at a time (a scanning crowd must not render the same
    page a hundred times over): when the stamp moved, the others wait for its
    answer; when only the chain window passed, they keep the stored answer meanwhile.
    ``build`` returns the answer built now with the lots it was built from
    (``depends``; ``at``/``stamp`` are filled here), or None for an answer not to keep.
    When those lots are more than the stamp read before covered (the first build of a
    lot made from others), the stamp is read for them and the answer built again, so a
    stored answer is always stamped before its rows were read. A 404 is kept too.
    ``probe`` (the lots it will depend on, cheaper than a build) saves that second build
    on the first one.
    With ``refresh``, an answer past :data:`ANSWER_REFRESH` of its life is built again
    (the fast path asks for it ahead of expiry, so a crowd never meets an expired one).
    """
    store = runtime.caches.slot(ANSWERS)
    clock = facts_clock(runtime)
    life = ANSWER_TTL_S * ANSWER_REFRESH if refresh else ANSWER_TTL_S
    found = store.answers.get(key)
    lots = stamp_lots(found.stamp) if found is not None else store.lots_of(lot_id)
    stamp = read(lots)
    if found is not None and found.stamp == stamp:
        if found.missing is not None:
            # Nothing to ask the chain about: only the stamp matters. No traceback is kept
            # from raise to raise (it would grow by a frame with each request).
            raise found.missing.with_traceback(None)
        if clock() - found.at < life:
            return found
        flight = store.flight(key)
        if not flight.acquire(blocking=False):
            return found  # another request is rebuilding it; this one is still current
    else:
        flight = store.flight(key)
        flight.acquire()
    try:
        found = store.answers.get(key)
        if found is not None and found.stamp == stamp:
            if found.missing is not None:
                raise found.missing.with_traceback(None)
            if clock() - found.at < life:
                return found  # built by the request this one waited for
        if probe is not None and store.depends.get(lot_id) is None:
            probed = set(probe())
            if not probed <= set(stamp_lots(stamp)):
                stamp = read(probed | set(stamp_lots(stamp)))
        return _build_and_keep(store, key, lot_id, stamp, read, build, clock)
    finally:
        flight.release()


def _build_and_keep(
    store: _AnswerStore,
    key: Hashable,
    lot_id: str,
    stamp: Stamp,
    read: Callable[[Iterable[str]], Stamp],
    build: Callable[[], Answer | None],
    clock: Callable[[], float],
) -> Answer | None:
    """Build ``key``'s answer, again while it depends on lots ``stamp`` did not cover; keep it."""
    for attempt in range(3):
        started = clock()
        try:
            made = build()
        except NotFound as missing:
            store.answers.put(key, Answer(b"", "", (), "", stamp, started, missing))
            raise
        if made is None:
            return None
        built = made
        if set(built.depends) <= set(stamp_lots(stamp)) or attempt == 2:
            break  # past three builds it is kept stamped -1 for what is missing: built again
        stamp = read((*stamp_lots(stamp), *built.depends))
    store.depends.put(lot_id, tuple(sorted(set(built.depends))))
    stored = Answer(
        built.body,
        built.media_type,
        built.headers,
        built.etag,
        _stamped(stamp, built.depends),
        started,
    )
    store.answers.put(key, stored)
    return stored


@dataclass
class _AnswerStore:
    """The stored answers of one runtime and the lock of each key being built."""

    answers: LruCache[Hashable, Answer] = field(default_factory=lambda: LruCache(4096))
    #: The lots each lot's last built answer depended on: the first stamp of its other keys.
    depends: LruCache[str, tuple[str, ...]] = field(default_factory=lambda: LruCache(4096))
    _flights: dict[Hashable, threading.Lock] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def lots_of(self, lot_id: str) -> tuple[str, ...]:
        """The lots to read the stamp of before a first build of one of ``lot_id``'s keys."""
        return self.depends.get(lot_id) or (lot_id,)

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
