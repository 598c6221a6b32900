"""What a running service holds: settings, database engine, keystore and ledger.

``create_app`` builds one :class:`Runtime` and attaches it to ``app.state``;
the worker and the CLI build their own from the same settings, so nothing is
created at import time.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from api.config import ApiSettings
from api.db.engine import create_db_and_tables, make_engine

if TYPE_CHECKING:
    from api.anchoring.gateway import LedgerGateway


def _secret(configured: SecretStr | None, path: Path) -> str:
    """The configured secret, else the one kept in ``path``."""
    return configured.get_secret_value() if configured is not None else _secret_file(path)


def _secret_file(path: Path) -> str:
    """Read a secret from ``path``, creating it (mode 0600) on first use."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.write_text(value + "\n", encoding="utf-8")
    return value


@dataclass
class Runtime:
    """Long-lived resources of one service process."""

    settings: ApiSettings
    engine: Engine
    admin_token: str
    keystore: Fernet
    ledger_factory: Callable[[], LedgerGateway] | None = None
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
            data_dir.mkdir(parents=True, exist_ok=True)
        engine = engine or make_engine(settings.resolved_database_url)
        create_db_and_tables(engine)
        admin = _secret(settings.admin_token, data_dir / "admin-token")
        secret = _secret(settings.keystore_secret, data_dir / "keystore-secret")
        fernet_key = base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())
        return cls(
            settings=settings,
            engine=engine,
            admin_token=admin,
            keystore=Fernet(fernet_key),
            ledger_factory=ledger_factory,
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
