"""Service settings, read from ``SANDAN_*`` environment variables at the edge.

Defaults run with an empty environment: a SQLite file in sandan's data
directory and the embedded local node. Settings are created by
:func:`api.web.deps.get_settings` (cached) or passed in explicitly; nothing here
runs at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger_client.config import default_data_dir


class ApiSettings(BaseSettings):
    """Settings of the sandan service, its worker and its CLI."""

    model_config = SettingsConfigDict(env_prefix="SANDAN_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    rpc_url: str | None = None
    deployment_file: Path | None = None
    admin_token: str | None = Field(default=None, repr=False)
    anchorer_key: str | None = Field(default=None, repr=False)
    admin_key: str | None = Field(default=None, repr=False)
    keystore_secret: str | None = Field(default=None, repr=False)

    batch_size: Annotated[int, Field(ge=1, le=10_000)] = 1_000
    batch_wait_seconds: Annotated[float, Field(ge=0)] = 0.5
    confirmations: Annotated[int, Field(ge=1, le=64)] = 1
    max_body_bytes: Annotated[int, Field(ge=1_024)] = 1_048_576
    max_bulk_documents: Annotated[int, Field(ge=1)] = 10_000
    max_clock_skew_seconds: Annotated[int, Field(ge=0)] = 300
    rate_limit_per_minute: Annotated[int, Field(ge=0)] = 6_000
    public_base_url: str = "http://127.0.0.1:8000"
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
        raise ValueError(f"unsupported database URL scheme {scheme!r}: use sqlite or postgresql")

    @field_validator("rpc_url")
    @classmethod
    def _check_rpc_url(cls, value: str | None) -> str | None:
        """An RPC URL is http(s); anything else is a configuration error."""
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            scheme = value.split(":", 1)[0] if ":" in value else value
            raise ValueError(f"unsupported RPC URL scheme {scheme!r}: use http:// or https://")
        return value

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir / 'sandan.db'}"

    @property
    def resolved_deployment_file(self) -> Path:
        """The deployment file that ``sandan deploy`` writes and others read."""
        return self.deployment_file or self.data_dir / "deployment.json"
