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

from dataclasses import asdict
from datetime import tzinfo
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger_client import LedgerSettings
from traceability import DigestProfile
from traceability.risk import InvalidRiskTrade, RiskThresholds

__all__ = ["ApiSettings", "RiskSettings", "get_settings"]

_RISK = RiskThresholds()


class RiskSettings(BaseSettings):
    """The risk rules' thresholds, ``SANDAN_RISK_<FIELD>`` for each field of
    :class:`traceability.risk.RiskThresholds` (README "Risk rules"; same defaults)."""

    model_config = SettingsConfigDict(
        env_prefix="SANDAN_RISK_", extra="forbid", env_ignore_empty=True
    )

    single_limit: Decimal = _RISK.single_limit
    split_order_window_hours: int = _RISK.split_order_window_hours
    split_order_min_orders: int = _RISK.split_order_min_orders
    shared_address_min_buyers: int = _RISK.shared_address_min_buyers
    shared_address_window_days: int = _RISK.shared_address_window_days
    shared_phone_min_buyers: int = _RISK.shared_phone_min_buyers
    shared_phone_window_days: int = _RISK.shared_phone_window_days
    annual_limit: Decimal = _RISK.annual_limit
    hugging_low_ratio: Decimal = _RISK.hugging_low_ratio
    hugging_min_orders: int = _RISK.hugging_min_orders
    hugging_window_days: int = _RISK.hugging_window_days
    price_low_ratio: Decimal = _RISK.price_low_ratio
    price_high_ratio: Decimal = _RISK.price_high_ratio
    price_min_lines: int = _RISK.price_min_lines
    shared_payer_min_buyers: int = _RISK.shared_payer_min_buyers
    shared_payer_window_days: int = _RISK.shared_payer_window_days
    new_company_watch_days: int = _RISK.new_company_watch_days
    new_company_first_days: int = _RISK.new_company_first_days
    new_company_window_days: int = _RISK.new_company_window_days
    new_company_min_orders: int = _RISK.new_company_min_orders

    @model_validator(mode="after")
    def _valid_thresholds(self) -> RiskSettings:
        """The engine's own checks, naming the variable of the field it refuses."""
        try:
            self.thresholds()
        except InvalidRiskTrade as exc:
            name = f"SANDAN_RISK_{(exc.field or '').upper()}"
            raise ValueError(f"{name}: {exc}") from exc
        return self

    def thresholds(self) -> RiskThresholds:
        """The engine's thresholds."""
        return RiskThresholds(**self.model_dump())


assert set(RiskSettings.model_fields) == set(asdict(_RISK)), "RiskSettings follows RiskThresholds"


class ApiSettings(BaseSettings):
    """Settings of the sandan service, its worker and its CLI."""

    # "forbid" rejects keyword arguments that are not fields (a chain setting passed flat
    # instead of through ``ledger``); unknown SANDAN_* variables are still ignored.
    model_config = SettingsConfigDict(env_prefix="SANDAN_", extra="forbid", env_ignore_empty=True)

    #: Chain, compiler, data directory, deployment file and service keys, read from the
    #: same ``SANDAN_*`` environment by ledger_client's own settings class.
    ledger: LedgerSettings = Field(default_factory=LedgerSettings)
    #: The risk rules' thresholds (``SANDAN_RISK_*``).
    risk: RiskSettings = Field(default_factory=RiskSettings)
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
    #: Failed workbench sign-ins a client may make per minute before it is told to wait:
    #: an API key has 256 bits, but a guessed admin token or a leaked key list should cost.
    signin_failures_per_minute: Annotated[int, Field(ge=0)] = 10
    public_base_url: str = "http://127.0.0.1:8000"
    #: PEM bundle of the CA certificates a party's certificate must chain to (the e-port's
    #: SM2 CAs, 中国电子口岸数据中心 / 中国电子业务证书管理中心): XML-signing certificates are
    #: checked against it when it is set, and signing keys registered by certificate need it.
    trusted_ca_file: Path | None = None
    #: The hash function of the zone's content hashes (sha256 or sm3), chosen when its ledger
    #: first starts and kept (api.db.zone); unset, a process follows the ledger's choice.
    digest_profile: DigestProfile | None = None
    #: A workbench session ends after this many idle minutes, and after the hours at the
    #: latest however active (the browser then signs in again).
    session_idle_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 30
    session_max_hours: Annotated[int, Field(ge=1, le=24 * 7)] = 8
    #: Let webhooks use http:// and hosts on loopback, private or link-local addresses: for
    #: a receiver on the operator's own machine while testing, never in service (SSRF).
    webhook_allow_private: bool = False
    #: The zone's IANA time zone: a summary period given as a date, or as a date-time
    #: without an offset, is in it.
    zone_timezone: str = "Asia/Shanghai"
    #: The national annual FX facilitation quota of an individual (个人年度便利化额度), in US
    #: dollars: the quota view (GET /fx/quota/...) reckons what counts against it.
    fx_individual_quota_usd: Annotated[Decimal, Field(gt=0)] = Decimal(50_000)
    #: HS code prefixes of goods whose export tax refund (退免税) was cancelled: a retail
    #: export with such a line never takes the 无票免税 flag (comma-separated digits).
    tax_refund_excluded_hs: str = Field(default="", pattern=r"^([0-9]{2,10}(,[0-9]{2,10})*)?$")
    #: Days after release within which a retail import return is applied for (GACC
    #: announcement 2018 No. 194, as quoted in secondary sources [I]: within 30 days of the
    #: inventory's release); later returns are refused.
    return_period_days: Annotated[int, Field(ge=1, le=3_650)] = 30
    #: Days after export release within which a retail export return is applied for (the
    #: export return measure of GACC announcement 2020 No. 44, CEB213-216; the one-year
    #: period is our reading [I], set it to the zone's rule).
    export_return_period_days: Annotated[int, Field(ge=1, le=3_650)] = 365
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
    def excluded_hs_prefixes(self) -> tuple[str, ...]:
        """The HS prefixes of :attr:`tax_refund_excluded_hs`, in the order given."""
        return tuple(p for p in self.tax_refund_excluded_hs.split(",") if p)

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
