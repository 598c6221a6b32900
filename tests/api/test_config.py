"""ApiSettings: every documented SANDAN_* name lands in its field, defaults, validation."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from api.config import ApiSettings, RiskSettings, get_settings
from ledger_client import LedgerSettings
from traceability import DigestProfile

README = Path(__file__).resolve().parents[2] / "README.md"
TEST_ONLY = {"SANDAN_TEST_POSTGRES_URL", "SANDAN_REQUIRE_ALL_BACKENDS"}
#: Read by the offline verifiers' options, never by the service's settings.
VERIFIER_ONLY = {"SANDAN_TRUST_FILE"}
#: Read by the client commands (`sandan submit`, `register-key`, `verdict`), not the service.
CLIENT_ONLY = {"SANDAN_URL", "SANDAN_API_KEY"}


def _plain(value: object) -> object:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


#: Every risk threshold, ``SANDAN_RISK_<FIELD>`` (a value the engine accepts for each).
_RISK_DECIMALS = {
    "single_limit": "6000",
    "annual_limit": "30000",
    "hugging_low_ratio": "0.9",
    "price_low_ratio": "0.2",
    "price_high_ratio": "4",
}
RISK_CASES = [
    (
        f"SANDAN_RISK_{name.upper()}",
        raw,
        f"risk.{name}",
        Decimal(raw) if name in _RISK_DECIMALS else 7,
    )
    for name in RiskSettings.model_fields
    for raw in [_RISK_DECIMALS.get(name, "7")]
]

# (variable, value from the environment, where it lands, the value found there)
CASES = [
    ("SANDAN_DATA_DIR", "/srv/sandan", "ledger.data_dir", Path("/srv/sandan")),
    ("SANDAN_DATABASE_URL", "postgres://u@db/s", "database_url", "postgresql+psycopg://u@db/s"),
    ("SANDAN_RPC_URL", "HTTPS://Node.Example/", "ledger.rpc_url", "https://node.example"),
    ("SANDAN_DEPLOYMENT_FILE", "/srv/d.json", "ledger.deployment_file", Path("/srv/d.json")),
    ("SANDAN_ADMIN_TOKEN", "tok", "admin_token", "tok"),
    ("SANDAN_ANCHORER_KEY", "0x" + "11" * 32, "ledger.anchorer_key", "0x" + "11" * 32),
    ("SANDAN_ADMIN_KEY", "0x" + "22" * 32, "ledger.admin_key", "0x" + "22" * 32),
    ("SANDAN_REGISTRAR_KEY", "0x" + "33" * 32, "ledger.registrar_key", "0x" + "33" * 32),
    ("SANDAN_KEYSTORE_SECRET", "ks", "keystore_secret", "ks"),
    ("SANDAN_CONFIRMATIONS", "3", "ledger.confirmations", 3),
    ("SANDAN_BATCH_SIZE", "7", "batch_size", 7),
    ("SANDAN_BATCH_WAIT_SECONDS", "0.25", "batch_wait_seconds", 0.25),
    ("SANDAN_WORKER_KINDS", "verdict,party", "worker_kinds", "verdict,party"),
    ("SANDAN_MAX_BODY_BYTES", "2048", "max_body_bytes", 2048),
    ("SANDAN_MAX_BULK_DOCUMENTS", "5", "max_bulk_documents", 5),
    ("SANDAN_MAX_CLOCK_SKEW_SECONDS", "9", "max_clock_skew_seconds", 9),
    ("SANDAN_RATE_LIMIT_PER_MINUTE", "0", "rate_limit_per_minute", 0),
    ("SANDAN_SIGNIN_FAILURES_PER_MINUTE", "3", "signin_failures_per_minute", 3),
    ("SANDAN_PUBLIC_BASE_URL", "https://dl.example", "public_base_url", "https://dl.example"),
    ("SANDAN_TEST_KILL_AFTER", "tx_sent:2", "test_kill_after", "tx_sent:2"),
    ("SANDAN_ZONE_TIMEZONE", "Asia/Urumqi", "zone_timezone", "Asia/Urumqi"),
    ("SANDAN_RETURN_PERIOD_DAYS", "15", "return_period_days", 15),
    ("SANDAN_EXPORT_RETURN_PERIOD_DAYS", "180", "export_return_period_days", 180),
    ("SANDAN_TRUSTED_CA_FILE", "/etc/sandan/ca.pem", "trusted_ca_file", Path("/etc/sandan/ca.pem")),
    ("SANDAN_DIGEST_PROFILE", "sm3", "digest_profile", DigestProfile.SM3),
    ("SANDAN_SESSION_IDLE_MINUTES", "15", "session_idle_minutes", 15),
    ("SANDAN_WEBHOOK_ALLOW_PRIVATE", "true", "webhook_allow_private", True),
    ("SANDAN_SESSION_MAX_HOURS", "12", "session_max_hours", 12),
    ("SANDAN_CHAIN_TIMEOUT", "4.5", "ledger.chain_timeout", 4.5),
    ("SANDAN_SOLC_VERSION", "0.8.30", "ledger.solc_version", "0.8.30"),
    ("SANDAN_SOLC_BINARY", "/opt/solc", "ledger.solc_binary", Path("/opt/solc")),
    ("SANDAN_CONTRACTS_DIR", "/src/contracts", "ledger.contracts_dir", Path("/src/contracts")),
    ("SANDAN_NODE_MODULES_DIR", "/nm", "ledger.node_modules_dir", Path("/nm")),
    ("SANDAN_NODE_MODULES", "/nm2", "ledger.node_modules_dir", Path("/nm2")),
    ("SANDAN_ANVIL_BINARY", "/opt/anvil", "ledger.anvil_binary", Path("/opt/anvil")),
    ("SANDAN_NODE_PORT", "28545", "ledger.node_port", 28545),
    ("SANDAN_FX_INDIVIDUAL_QUOTA_USD", "30000.50", "fx_individual_quota_usd", Decimal("30000.50")),
    ("SANDAN_TAX_REFUND_EXCLUDED_HS", "7601,2710", "tax_refund_excluded_hs", "7601,2710"),
    *RISK_CASES,
]


@pytest.mark.parametrize(("name", "raw", "where", "expected"), CASES)
def test_settings_read_each_variable_into_its_field(monkeypatch, name, raw, where, expected):
    monkeypatch.setenv(name, raw)
    found: object = ApiSettings()
    for part in where.split("."):
        found = getattr(found, part)
    assert _plain(found) == expected


def test_settings_cover_every_variable_the_readme_lists():
    listed = set(re.findall(r"SANDAN_[A-Z_]*[A-Z]", README.read_text(encoding="utf-8")))
    assert listed - TEST_ONLY - VERIFIER_ONLY - CLIENT_ONLY <= {name for name, *_ in CASES}


def test_settings_defaults_with_an_empty_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    settings = ApiSettings()
    data_dir = tmp_path / "sandan"
    assert settings.ledger.data_dir == data_dir
    assert settings.resolved_database_url == f"sqlite:///{data_dir / 'sandan.db'}"
    assert settings.ledger.rpc_url is None  # the embedded node
    assert settings.ledger.deployment_file == data_dir / "deployment.json"
    assert (settings.admin_token, settings.keystore_secret) == (None, None)
    assert settings.ledger == LedgerSettings()


def test_settings_treat_an_exported_empty_variable_as_unset(monkeypatch):
    for field in ("rpc_url", "database_url", "solc_binary", "batch_size"):
        monkeypatch.setenv(f"SANDAN_{field.upper()}", "")
    settings = ApiSettings()
    assert (settings.ledger.rpc_url, settings.database_url) == (None, None)
    assert (settings.ledger.solc_binary, settings.batch_size) == (None, 1_000)


@pytest.mark.parametrize(
    ("name", "raw", "fragment"),
    [
        pytest.param(
            "SANDAN_RPC_URL",
            "ws://node:8546",
            "SANDAN_RPC_URL: unsupported RPC URL scheme 'ws'",
            id="rpc-url-websocket-scheme",
        ),
        pytest.param(
            "SANDAN_RPC_URL",
            "http://",
            "SANDAN_RPC_URL: RPC URL 'http://' has no host",
            id="rpc-url-without-host",
        ),
        pytest.param(
            "SANDAN_DATABASE_URL",
            "mysql://db/x",
            "SANDAN_DATABASE_URL: unsupported scheme 'mysql'",
            id="database-url-mysql",
        ),
        pytest.param("SANDAN_CONFIRMATIONS", "0", "confirmations", id="zero-confirmations"),
        pytest.param(
            "SANDAN_ZONE_TIMEZONE",
            "Asia/Atlantis",
            "SANDAN_ZONE_TIMEZONE: unknown time zone 'Asia/Atlantis'",
            id="unknown-time-zone",
        ),
    ],
)
def test_settings_reject_bad_value_naming_the_variable(monkeypatch, name, raw, fragment):
    monkeypatch.setenv(name, raw)
    with pytest.raises(ValidationError, match=re.escape(fragment)):
        ApiSettings()


def test_settings_reject_a_chain_setting_passed_flat():
    with pytest.raises(ValidationError, match="rpc_url"):
        ApiSettings(rpc_url="http://node")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "field", ["database_url", "admin_token", "keystore_secret", "anchorer_key", "admin_key"]
)
def test_settings_repr_hides_secrets(monkeypatch, field):
    secret = "postgresql://sandan:hunter2@db/sandan" if field == "database_url" else "hunter2"
    monkeypatch.setenv(f"SANDAN_{field.upper()}", secret)
    settings = ApiSettings()
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings)


def test_one_validator_per_field():
    for cls in (ApiSettings, LedgerSettings):
        counts: dict[str, int] = {}
        for decorator in cls.__pydantic_decorators__.field_validators.values():
            for field in decorator.info.fields:
                counts[field] = counts.get(field, 0) + 1
        assert all(count == 1 for count in counts.values()), (cls.__name__, counts)


def test_get_settings_is_cached_per_process(monkeypatch):
    first = get_settings()
    monkeypatch.setenv("SANDAN_BATCH_SIZE", "3")
    assert get_settings() is first
    get_settings.cache_clear()
    assert get_settings().batch_size == 3
