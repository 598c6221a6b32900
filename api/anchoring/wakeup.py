"""How an idle anchoring worker waits for work: ``LISTEN`` on PostgreSQL, a sleep elsewhere.

An outbox insert notifies :data:`api.db.outbox_notify.CHANNEL` when its transaction
commits. The worker listens on a connection of its own, outside the pool, and wakes as
soon as a notification arrives or the timeout it was given passes, whichever is first:
the timeout still bounds every wait, so a lost connection or a missed notification only
delays work, and the worker falls back to sleeping until it can listen again.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy.engine import Engine

from api.db.outbox_notify import CHANNEL

__all__ = ["OutboxWakeup"]

logger = logging.getLogger("sandan.worker")


class OutboxWakeup:
    """Waits until new outbox rows are committed, or a timeout."""

    def __init__(self, engine: Engine, stop: threading.Event) -> None:
        self.engine = engine
        self.stop = stop
        self.listens = engine.dialect.name == "postgresql"
        self._connection: Any = None  # the DBAPI (psycopg) connection, while it works

    def wait(self, timeout: float) -> None:
        """Return when work may have arrived, after at most ``timeout`` seconds (or at stop)."""
        if timeout <= 0 or self.stop.is_set():
            return
        connection = self._listening() if self.listens else None
        if connection is None:
            self.stop.wait(timeout)
            return
        try:
            for _ in connection.notifies(timeout=timeout, stop_after=1):
                pass
        except Exception as exc:  # the connection broke: sleep, and listen again next time
            logger.warning("outbox notifications lost (%s): polling until reconnected", exc)
            self.close()
            self.stop.wait(timeout)

    def _listening(self) -> Any:
        if self._connection is None:
            try:
                raw = self.engine.raw_connection()
                connection: Any = raw.driver_connection
                raw.detach()  # this connection listens for the worker's life, outside the pool
                connection.autocommit = True
                connection.execute(f"LISTEN {CHANNEL}")
            except Exception as exc:
                logger.warning("cannot listen for outbox notifications (%s): polling", exc)
                return None
            self._connection = connection
        return self._connection

    def close(self) -> None:
        """Stop listening (closes the connection)."""
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:  # closing a broken connection: nothing left to release
                logger.debug("closing the listening connection failed", exc_info=True)
            self._connection = None
