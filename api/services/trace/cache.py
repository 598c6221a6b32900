"""What the resolver would otherwise recompute or ask the chain again on every request.

Two kinds of cache, with different rules:

* **Content-addressed results** (:func:`parsed_row`, :func:`lot_view`): the
  CBV 2.0 hash, the parsed event and the lineage are pure functions of the
  stored text. The key *is* the exact stored ``event_json`` / ``context_json``
  strings (compared in full on a hit, so there is no collision to worry
  about): a row changed in the database, by tampering or otherwise, is a new
  key and is recomputed on its very next request. Nothing needs invalidating.
  They hold what one database stored (and shared, mutable parsed objects), so
  they live in the runtime's :class:`~api.runtime.Caches`, not in this module.
* **Chain facts** (:class:`ChainFacts`): what ``verifyEvent`` and ``lotStatus``
  answered. They change on a recall, a clearance or a reorg, so each answer is
  kept at most :data:`CHAIN_FACTS_TTL_S` seconds, keyed by everything it
  depends on (the recomputed leaf, the stored proof, the batch id and its
  block hash), with one cache per runtime, made with its ledger connection. A
  recall sent through this process clears them at once; one sent through another
  API process or the CLI leaves a ``lot_recall`` row, which clears them here on
  the next request that reads it (:meth:`ChainFacts.note_recall_records`); one
  sent straight to the chain by some other tool shows here within the TTL.

Under steady load nothing waits for the chain: once an answer is older than
:data:`EARLY_REFRESH` of the TTL, the next request (one per request at most, see
:class:`RefreshBudget`) asks again while the others keep using the answer,
which is still within the TTL. Only an answer past the TTL is waited for,
and by one request per key (the others wait for its result).
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from api.runtime import Caches, CacheSlot, LruCache, Runtime
from traceability.epcis import Event, InvalidEvent, anchored_hash_bytes, parse_event
from traceability.epcis.hashing import HASH_PREFIX, HASH_SUFFIX
from traceability.lineage import Lineage, build_lineage

if TYPE_CHECKING:
    from api.anchoring.gateway import LedgerGateway
    from ledger_client import EventCheck, LotStatus

#: Longest time a chain answer (verification, recall status) is reused, in seconds: a recall
#: sent by another process shows within this time. Each web3 call costs milliseconds of CPU.
CHAIN_FACTS_TTL_S = 5.0
#: Share of the TTL after which one request asks the chain again while others reuse the answer.
EARLY_REFRESH = 0.8
#: Entries kept per cache; a lot has tens of events, a busy resolver a few thousand lots.
MAX_ENTRIES = 8192

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class RefreshBudget:
    """How many early refreshes (chain calls for answers not yet expired) one request may make."""

    def __init__(self, calls: int = 1) -> None:
        self._left = calls

    def take(self) -> bool:
        """Use one refresh if any is left."""
        if self._left <= 0:
            return False
        self._left -= 1
        return True


@dataclass
class _Entry(Generic[V]):
    value: V
    at: float  # clock time when the computation that produced it started
    refreshing: bool = False


class TtlCache(Generic[K, V]):
    """A thread-safe, bounded (LRU) cache whose entries live ``ttl`` seconds at most.

    A missing or expired key is computed by one thread while the others asking
    for it wait for that result (no stampede on the chain). A failed
    computation is not stored: the exception reaches the caller.
    """

    def __init__(
        self,
        ttl: float,
        *,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self._max = max_entries
        self._entries: OrderedDict[K, _Entry[V]] = OrderedDict()
        self._flights: dict[K, threading.Lock] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()

    def get(self, key: K, compute: Callable[[], V], *, budget: RefreshBudget | None = None) -> V:
        """The value of ``key``: cached while younger than the TTL, else computed now.

        With a ``budget``, a value older than ``EARLY_REFRESH`` of the TTL is recomputed by this
        call (if the budget allows and no other call is already at it); a failed
        early refresh keeps the cached value, which is still within the TTL.
        """
        with self._lock:
            entry = self._entries.get(key)
            age = self.clock() - entry.at if entry is not None else None
            if entry is not None and age is not None and age < self.ttl:
                self._entries.move_to_end(key)
                fresh = age < self.ttl * EARLY_REFRESH
                if entry.refreshing or fresh or budget is None or not budget.take():
                    return entry.value
                entry.refreshing = True
                early = entry
            else:
                early = None
                flight = self._flights.setdefault(key, threading.Lock())
        if early is not None:
            try:
                return self._store(key, compute)
            except Exception:
                early.refreshing = False
                return early.value
        with flight:
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None and self.clock() - entry.at < self.ttl:
                    return entry.value
            try:
                return self._store(key, compute)
            finally:
                with self._lock:
                    if self._flights.get(key) is flight:
                        del self._flights[key]

    def _store(self, key: K, compute: Callable[[], V]) -> V:
        started = self.clock()
        value = compute()
        with self._lock:
            self._entries[key] = _Entry(value, started)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return value


#: What :meth:`ChainFacts.verify_event` keys on: leaf, proof, batch id, batch block hash.
EventKey = tuple[bytes, tuple[bytes, ...], str, str | None]


class ChainFacts:
    """Chain answers of one ledger gateway, each reused for at most ``ttl`` seconds."""

    def __init__(self, ledger: LedgerGateway, *, ttl: float = CHAIN_FACTS_TTL_S) -> None:
        self._ledger = weakref.ref(ledger)
        self.events: TtlCache[EventKey, EventCheck] = TtlCache(ttl)
        self.lots: TtlCache[bytes, LotStatus] = TtlCache(ttl)
        #: The latest recall record id this process saw for each lot (0: none).
        self._recall_marks: dict[str, int] = {}
        self._marks_lock = threading.Lock()

    def set_clock(self, clock: Callable[[], float]) -> None:
        """Use another clock (tests step it past the TTL)."""
        self.events.clock = self.lots.clock = clock

    def _gateway(self) -> LedgerGateway:
        ledger = self._ledger()
        assert ledger is not None, "ChainFacts outlived its ledger gateway"
        return ledger

    def verify_event(self, key: EventKey, *, budget: RefreshBudget | None = None) -> EventCheck:
        """``TraceRegistry.verifyEvent(leaf, proof)`` for a proof stored for ``batch``."""
        leaf, proof, _batch, _block = key
        return self.events.get(
            key, lambda: self._gateway().trace.verify_event(leaf, list(proof)), budget=budget
        )

    def lot_status(self, lot_id: bytes, *, budget: RefreshBudget | None = None) -> LotStatus:
        """``TraceRegistry.lotStatus(lotId)``: recall state and anchoring summary."""
        return self.lots.get(
            lot_id, lambda: self._gateway().trace.lot_status(lot_id), budget=budget
        )

    def forget(self) -> None:
        """Drop every answer (after this process changed the chain, e.g. by a recall)."""
        self.events.clear()
        self.lots.clear()

    def note_recall_records(self, marks: Mapping[str, int]) -> None:
        """Forget every answer when a lot's latest recall record is not the one last seen.

        Another process (API, CLI) that recalls a lot records it in the database
        after the chain took it: the record is how this process learns, on the
        next request, that its cached chain answers are out of date.
        """
        with self._marks_lock:
            changed = any(self._recall_marks.get(lot, mark) != mark for lot, mark in marks.items())
            self._recall_marks.update(marks)
        if changed:
            self.forget()


def chain_facts(runtime: Runtime) -> ChainFacts:
    """The chain-answer cache of this runtime's ledger gateway (created on first use)."""
    ledger = runtime.ledger()
    holder = runtime.caches.slot(_CHAIN_FACTS)
    with holder.lock:
        if holder.facts is None:
            holder.facts = ChainFacts(ledger)
        return holder.facts


def facts_clock(runtime: Runtime) -> Callable[[], float]:
    """The clock of this runtime's chain answers, without connecting to the chain."""
    facts = runtime.caches.slot(_CHAIN_FACTS).facts
    return facts.events.clock if facts is not None else time.monotonic


# --- content-addressed results ------------------------------------------------------------


class StoredRow(Protocol):
    """The columns of a stored event row that its parsing and hashing depend on."""

    @property
    def event_json(self) -> str: ...
    @property
    def context_json(self) -> str: ...
    @property
    def hash_profile(self) -> str: ...


@dataclass(frozen=True)
class _RowText:
    event_json: str
    context_json: str
    hash_profile: str


@dataclass(frozen=True)
class ParsedRow:
    """A stored event row read back: its JSON, its recomputed hash and the parsed event."""

    raw: Mapping[str, Any] | None  # the event JSON object, None when it is not one
    recomputed: str  # CBV 2.0 hash (hex) of the stored event now, "" when it cannot be hashed
    event: Event | None  # None when the stored JSON no longer validates
    hash_id: str | None  # ``ni:///sha-256;…?ver=CBV2.0`` of the parsed event
    #: The stored ``@context`` the event was captured with (decoded JSON), None when unreadable.
    context: Any = None


def parsed_row(caches: Caches, record: StoredRow) -> ParsedRow:
    """Parse and hash a stored event (cached by its exact stored text; treat as read-only).

    The hash is recomputed with the profile the row was hashed (and anchored) with.
    """
    key = (record.event_json, record.context_json, record.hash_profile)
    return caches.slot(PARSED_ROWS).get_or_compute(key, lambda: _parse_row(*key))


def _parse_row(event_json: str, context_json: str, profile: str) -> ParsedRow:
    try:
        raw = json.loads(event_json)
        context = json.loads(context_json)
    except ValueError:
        return ParsedRow(None, "", None, None)
    try:
        recomputed = anchored_hash_bytes(raw, context=context, profile=profile).hex()
    except (ValueError, TypeError, AttributeError):
        recomputed = ""
    try:
        event: Event | None = parse_event(raw, context=context)
        hash_id = (
            HASH_PREFIX + recomputed + HASH_SUFFIX if event is not None and recomputed else None
        )
    except (ValueError, TypeError, AttributeError, InvalidEvent):
        event, hash_id = None, None
    return ParsedRow(raw if isinstance(raw, dict) else None, recomputed, event, hash_id, context)


#: (stored hash, event_json, context_json, hash_profile) of each row, in the lot's event order.
RowTexts = tuple[tuple[str, str, str, str], ...]


@dataclass(frozen=True)
class LotView:
    """The parsed events of a lot (by stored hash) and the lineage built from them."""

    events: Mapping[str, Event]
    lineage: Lineage


def lot_view(caches: Caches, rows: RowTexts, gtin: str, lot: str, recalled: bool) -> LotView:
    """Events and lineage of a lot (cached by the exact stored rows; treat as read-only).

    The lineage holds the very event objects of ``events``, so callers may map
    one to the other by identity.
    """
    return caches.slot(LOT_VIEWS).get_or_compute(
        (rows, gtin, lot, recalled), lambda: _lot_view(caches, rows, gtin, lot, recalled)
    )


def _lot_view(caches: Caches, rows: RowTexts, gtin: str, lot: str, recalled: bool) -> LotView:
    events: dict[str, Event] = {}
    for event_hash, event_json, context_json, profile in rows:
        event = parsed_row(caches, _RowText(event_json, context_json, profile)).event
        if event is not None:
            events[event_hash] = event
    return LotView(events, build_lineage(events.values(), gtin=gtin, lot=lot, recalled=recalled))


def row_texts(records: Sequence[Any]) -> RowTexts:
    """The cache key of :func:`lot_view` for stored event rows."""
    return tuple((r.event_hash, r.event_json, r.context_json, r.hash_profile) for r in records)


@dataclass
class _ChainFactsHolder:
    """The runtime's chain-answer cache, made with its ledger connection on first use."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    facts: ChainFacts | None = None


#: This module's caches, held by each Runtime (``runtime.caches.slot(...)``).
PARSED_ROWS: CacheSlot[LruCache[tuple[str, str, str], ParsedRow]] = CacheSlot(
    "trace.parsed_rows", lambda: LruCache(8192)
)
LOT_VIEWS: CacheSlot[LruCache[tuple[RowTexts, str, str, bool], LotView]] = CacheSlot(
    "trace.lot_views", lambda: LruCache(1024)
)
_CHAIN_FACTS: CacheSlot[_ChainFactsHolder] = CacheSlot("trace.chain_facts", _ChainFactsHolder)
