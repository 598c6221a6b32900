"""LedgerSettings: environment names, URL normalisation, defaults."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from ledger_client import LedgerSettings
from tests.probe import modules_loaded_by, top_level


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://LocalHost:8545/", "http://localhost:8545"),
        ("  https://node.example/v3/KEY ", "https://node.example/v3/KEY"),
        ("", None),
    ],
)
def test_settings_normalise_rpc_url(monkeypatch, raw, expected):
    monkeypatch.setenv("SANDAN_RPC_URL", raw)
    assert LedgerSettings().rpc_url == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [("ws://x:8546", "'ws'"), ("localhost:8545", "scheme"), ("http://", "no host")],
)
def test_settings_reject_bad_rpc_url(monkeypatch, raw, fragment):
    monkeypatch.setenv("SANDAN_RPC_URL", raw)
    with pytest.raises(ValidationError, match=fragment):
        LedgerSettings()


def test_settings_default_data_dir_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    settings = LedgerSettings()
    assert settings.data_dir == tmp_path / "sandan"
    assert settings.deployment_file == tmp_path / "sandan" / "deployment.json"
    assert (settings.rpc_url, settings.confirmations, settings.solc_version) == (None, 1, "0.8.28")


def test_settings_read_data_dir_and_confirmations(monkeypatch, tmp_path):
    monkeypatch.setenv("SANDAN_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("SANDAN_CONFIRMATIONS", "3")
    settings = LedgerSettings()
    assert (settings.data_dir, settings.confirmations) == (Path(tmp_path / "d"), 3)


def test_settings_reject_zero_confirmations(monkeypatch):
    monkeypatch.setenv("SANDAN_CONFIRMATIONS", "0")
    with pytest.raises(ValidationError, match="confirmations"):
        LedgerSettings()


def test_settings_deployment_file_follows_the_data_dir_unless_set(monkeypatch, tmp_path):
    monkeypatch.setenv("SANDAN_DATA_DIR", str(tmp_path))
    assert LedgerSettings().deployment_file == tmp_path / "deployment.json"
    monkeypatch.setenv("SANDAN_DEPLOYMENT_FILE", str(tmp_path / "elsewhere.json"))
    assert LedgerSettings().deployment_file == tmp_path / "elsewhere.json"


def test_settings_accept_node_modules_dir_by_field_name(tmp_path):
    assert LedgerSettings(node_modules_dir=tmp_path).node_modules_dir == tmp_path


def test_settings_hide_keys_in_repr(monkeypatch):
    monkeypatch.setenv("SANDAN_ANCHORER_KEY", "0x" + "ab" * 32)
    settings = LedgerSettings()
    assert "abab" not in repr(settings)
    assert settings.anchorer_key is not None
    assert settings.anchorer_key.get_secret_value() == "0x" + "ab" * 32


def test_ledger_client_settings_do_not_import_the_service():
    loaded = modules_loaded_by("from ledger_client import LedgerSettings; LedgerSettings()")
    assert "api" not in top_level(loaded)
