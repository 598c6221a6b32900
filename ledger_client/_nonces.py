"""A thread-safe nonce counter per signing account, so many sends can be in flight.

The node is asked once for the account's pending transaction count; after that nonces
are handed out locally. A failed send forgets the counter, so the next send asks the
node again (``resync``): a gap or a clash heals itself instead of stalling the account.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from web3 import Web3

__all__ = ["NonceManager", "nonce_manager_for"]


class NonceManager:
    """Hands out consecutive nonces for one account under a lock."""

    def __init__(self, fetch_pending_count: Callable[[], int]):
        self._fetch = fetch_pending_count
        self._lock = threading.Lock()
        self._next: int | None = None

    @contextmanager
    def reserve(self) -> Iterator[int]:
        """Yield the next nonce; it counts as used only if the block exits without error.

        The lock is held while the caller signs and sends, so transactions reach the
        node in nonce order (some nodes reject a nonce gap instead of queueing it).
        """
        with self._lock:
            if self._next is None:
                self._next = self._fetch()
            nonce = self._next
            try:
                yield nonce
            except BaseException:
                self._next = None
                raise
            self._next = nonce + 1

    def resync(self) -> None:
        """Forget the local counter; the next reservation asks the node."""
        with self._lock:
            self._next = None


_MANAGERS: weakref.WeakKeyDictionary[Web3, dict[str, NonceManager]] = weakref.WeakKeyDictionary()
_MANAGERS_LOCK = threading.Lock()


def nonce_manager_for(w3: Web3, address: str, fetch: Callable[[], int]) -> NonceManager:
    """Return the one manager of ``address`` on ``w3``, shared by every client in the process.

    ``fetch`` asks the node for the pending count; it is used when the manager is created.
    """
    with _MANAGERS_LOCK:
        per_chain = _MANAGERS.setdefault(w3, {})
        manager = per_chain.get(address)
        if manager is None:
            manager = per_chain[address] = NonceManager(fetch)
        return manager
