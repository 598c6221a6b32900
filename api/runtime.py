"""What a running service holds: settings, database engine, keystore, ledger and caches.

``create_app`` builds one :class:`Runtime` and attaches it to ``app.state``;
the worker and the CLI build their own from the same settings, so nothing is
created at import time.

Every cache whose contents come from the database or the chain lives in the
runtime's :class:`Caches`, so two runtimes (two apps in one test process, a
test and the next) never see each other's entries. Module-level memoisation is
kept only for pure functions of immutable arguments, each saying so where it
is declared.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from api.config import ApiSettings
from api.db.engine import create_db_and_tables, make_engine, private_directory
from api.db.zone import settle_digest_profile
from traceability import DigestProfile

if TYPE_CHECKING:
    from api.anchoring.gateway import LedgerGateway
    from traceability.trade import TradeDocument

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _secret(configured: SecretStr | None, path: Path) -> str:
    """The configured secret, else the one kept in ``path``."""
    return configured.get_secret_value() if configured is not None else _secret_file(path)


def _secret_file(path: Path) -> str:
    """Read a secret from ``path``, creating it (mode 0600) on first use."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    private_directory(path.parent)
    value = secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.write_text(value + "\n", encoding="utf-8")
    return value


#: Allocations between young-generation collections in a service process (CPython: 700).
SERVICE_GC_THRESHOLDS = (50_000, 50, 100)


def tune_gc_for_service() -> None:
    """Collect cyclic garbage less often in a long-running service process, and never scan
    what start-up allocated (modules, the app, the settings) again.

    A bulk body allocates hundreds of thousands of short-lived objects (JSON, models,
    rows), nearly none in cycles; with CPython's default thresholds the collector ran
    so often over a heap holding the parsed-document cache that it took about a fifth
    of the ingest path's CPU (POST /documents/bulk, 500 lines: 670-710 -> 550-570 us
    per document). Call it once, after start-up, in the process that serves.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVICE_GC_THRESHOLDS)


class LruCache(Generic[K, V]):
    """A thread-safe map keeping the ``max_entries`` most recently used entries."""

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        """The value of ``key``, or None."""
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` under ``key``, dropping the least recently used beyond the bound."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def get_or_compute(self, key: K, compute: Callable[[], V]) -> V:
        """The value of ``key``, computed (outside the lock) and kept when missing."""
        value = self.get(key)
        if value is None:
            value = compute()
            self.put(key, value)
        return value

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()


@dataclass(frozen=True)
class CacheSlot(Generic[V]):
    """A cache that a service module declares and every Runtime holds its own copy of.

    The module that fills a cache owns its type; the runtime only keeps the values,
    so the runtime never imports the services above it.
    """

    name: str
    create: Callable[[], V]


@dataclass
class Caches:
    """What this runtime's requests reuse of each other's work on its database and chain.

    * ``documents``: parsed models of stored trade documents, by content hash
      (:mod:`api.services.trade_linker`);
    * slots declared by services (:class:`CacheSlot`): parsed trace rows, lot views
      and the chain's answers of :mod:`api.services.trace.cache`.
    """

    documents: LruCache[str, TradeDocument] = field(default_factory=lambda: LruCache(20_000))
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _slots: dict[str, Any] = field(default_factory=dict, repr=False)

    def slot(self, slot: CacheSlot[V]) -> V:
        """This runtime's value of ``slot``, created on first use."""
        with self.lock:
            if slot.name not in self._slots:
                self._slots[slot.name] = slot.create()
            return cast(V, self._slots[slot.name])


@dataclass
class Runtime:
    """Long-lived resources of one service process."""

    settings: ApiSettings
    engine: Engine
    admin_token: str
    keystore: Fernet
    ledger_factory: Callable[[], LedgerGateway] | None = None
    #: The zone's digest profile, as the ledger recorded it (api.db.zone).
    digest: DigestProfile = DigestProfile.SHA256
    #: The key of the zone's keyed hashes of personal identifiers (an individual's ID number,
    #: a bank account): derived from the keystore secret, so the database alone cannot be
    #: searched for a guessed number. A runtime built without settings gets a random one.
    pseudonym_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    caches: Caches = field(default_factory=Caches)
    _ledger: LedgerGateway | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def from_settings(
        cls,
        settings: ApiSettings,
        *,
        engine: Engine | None = None,
        ledger_factory: Callable[[], LedgerGateway] | None = None,
    ) -> Runtime:
        """Build the runtime; creates the data directory and tables if needed."""
        data_dir = settings.ledger.data_dir
        if settings.database_url is None or settings.admin_token is None:
            private_directory(data_dir)
        engine = engine or make_engine(settings.resolved_database_url)
        create_db_and_tables(engine)
        digest = settle_digest_profile(engine, settings.digest_profile)
        admin = _secret(settings.admin_token, data_dir / "admin-token")
        secret = _secret(settings.keystore_secret, data_dir / "keystore-secret")
        fernet_key = base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())
        return cls(
            settings=settings,
            engine=engine,
            admin_token=admin,
            keystore=Fernet(fernet_key),
            ledger_factory=ledger_factory,
            digest=digest,
            pseudonym_key=hmac.new(secret.encode(), b"sandan pseudonyms", hashlib.sha256).digest(),
        )

    def ledger(self) -> LedgerGateway:
        """The chain gateway, connected on first use (the node may start after us)."""
        with self._lock:
            if self._ledger is None:
                if self.ledger_factory is not None:
                    self._ledger = self.ledger_factory()
                else:
                    from api.anchoring.gateway import LedgerGateway

                    self._ledger = LedgerGateway.from_settings(self.settings)
            return self._ledger

    def has_ledger(self) -> bool:
        """Whether a ledger connection was already made."""
        return self._ledger is not None
