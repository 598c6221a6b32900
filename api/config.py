"""Service settings, read from ``SANDAN_*`` environment variables at the edge.

One class, :class:`ApiSettings`, reads the service's own variables and nests the
chain-side ones as :attr:`ApiSettings.ledger`, a :class:`ledger_client.LedgerSettings`
read from the same environment (``SANDAN_RPC_URL``, ``SANDAN_DATA_DIR``,
``SANDAN_CONFIRMATIONS``, ``SANDAN_ANCHORER_KEY``, ``SANDAN_SOLC_*`` ...), so every
variable keeps the name the README lists and is validated once, in one place.

Defaults run with an empty environment: a SQLite file in sandan's data directory
and the embedded local node. :func:`get_settings` builds them once per process;
nothing here runs at import time.
"""

from __future__ import annotations

from datetime import tzinfo
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger_client import LedgerSettings

__all__ = ["ApiSettings", "get_settings"]


class ApiSettings(BaseSettings):
    """Settings of the sandan service, its worker and its CLI."""

    # "forbid" rejects keyword arguments that are not fields (a chain setting passed flat
    # instead of through ``ledger``); unknown SANDAN_* variables are still ignored.
    model_config = SettingsConfigDict(env_prefix="SANDAN_", extra="forbid", env_ignore_empty=True)

    #: Chain, compiler, data directory, deployment file and service keys, read from the
    #: same ``SANDAN_*`` environment by ledger_client's own settings class.
    ledger: LedgerSettings = Field(default_factory=LedgerSettings)
    database_url: str | None = Field(default=None, repr=False)  # may carry a password
    admin_token: SecretStr | None = None
    keystore_secret: SecretStr | None = None

    batch_size: Annotated[int, Field(ge=1, le=10_000)] = 1_000
    batch_wait_seconds: Annotated[float, Field(ge=0)] = 0.5
    #: The outbox kinds this worker anchors (comma-separated: document, event, verdict,
    #: supersede, party); all when unset. Two workers share one database by splitting the
    #: kinds, each with its own chain account: a kind has one writer, so a trade's verdicts
    #: stay in order and no two processes spend one account's nonces.
    worker_kinds: str | None = Field(default=None, pattern=r"^[a-z]+(,[a-z]+)*$")
    max_body_bytes: Annotated[int, Field(ge=1_024)] = 1_048_576
    max_bulk_documents: Annotated[int, Field(ge=1)] = 10_000
    max_clock_skew_seconds: Annotated[int, Field(ge=0)] = 300
    rate_limit_per_minute: Annotated[int, Field(ge=0)] = 6_000
    max_slow_verifications: Annotated[int, Field(ge=1)] = 50
    public_base_url: str = "http://127.0.0.1:8000"
    #: The zone's IANA time zone: a summary period given as a date, or as a date-time
    #: without an offset, is in it.
    zone_timezone: str = "Asia/Shanghai"
    test_kill_after: str | None = Field(
        default=None,
        pattern=r"^[a-z_]+(:[0-9]+)?$",
        description=(
            "Test-only: `<step>[:<n>]` makes the anchoring worker SIGKILL itself the n-th"
            " time it finishes <step> (see api.anchoring.faults); never set it in service."
        ),
    )

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str | None) -> str | None:
        """Accept ``postgres://`` / ``postgresql://`` and pick the psycopg 3 driver."""
        if value is None or value == "":
            return None
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        if value.startswith(("postgresql+psycopg://", "sqlite://")):
            return value
        scheme = value.split(":", 1)[0]
        raise ValueError(
            f"SANDAN_DATABASE_URL: unsupported scheme {scheme!r}: use sqlite or postgresql"
        )

    @field_validator("zone_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        """An IANA zone name the system's tz database knows (``Asia/Shanghai``)."""
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"SANDAN_ZONE_TIMEZONE: unknown time zone {value!r}") from exc
        return value

    @property
    def zone(self) -> tzinfo:
        """The zone's time zone."""
        return ZoneInfo(self.zone_timezone)

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{self.ledger.data_dir / 'sandan.db'}"


@lru_cache(maxsize=1)
def get_settings() -> ApiSettings:
    """The process's settings, read from the environment on first use."""
    return ApiSettings()
