"""The zone's digest profile is chosen once, by the ledger's first start, and then kept."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.engine import Engine

from api.db.engine import create_db_and_tables
from api.db.zone import ZoneMismatch, settle_digest_profile
from api.runtime import Runtime
from tests.api.factories import app_settings
from traceability import DigestProfile


@pytest.fixture
def ledger_db(engine: Engine) -> Engine:
    create_db_and_tables(engine)
    return engine


def test_a_new_ledger_records_the_configured_profile_and_keeps_it(ledger_db: Engine) -> None:
    assert settle_digest_profile(ledger_db, DigestProfile.SM3) is DigestProfile.SM3
    # A process started without the setting (a worker) follows the ledger's choice.
    assert settle_digest_profile(ledger_db, None) is DigestProfile.SM3
    assert settle_digest_profile(ledger_db, DigestProfile.SM3) is DigestProfile.SM3
    with pytest.raises(ZoneMismatch) as refused:
        settle_digest_profile(ledger_db, DigestProfile.SHA256)
    assert "SANDAN_DIGEST_PROFILE=sha256, but this ledger's content hashes are sm3" in str(
        refused.value
    )


def test_a_new_ledger_without_the_setting_is_sha256_for_good(ledger_db: Engine) -> None:
    assert settle_digest_profile(ledger_db, None) is DigestProfile.SHA256
    with pytest.raises(ZoneMismatch, match="SANDAN_DIGEST_PROFILE=sm3"):
        settle_digest_profile(ledger_db, DigestProfile.SM3)


def test_two_processes_starting_at_once_record_one_profile(ledger_db: Engine) -> None:
    results: list[object] = []

    def start() -> None:
        try:
            results.append(settle_digest_profile(ledger_db, DigestProfile.SM3))
        except Exception as exc:  # recorded, then asserted: a thread must not swallow it
            results.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [DigestProfile.SM3] * 4


def test_the_runtime_of_a_contradicting_configuration_does_not_start(
    ledger_db: Engine, tmp_path
) -> None:
    settings = app_settings(tmp_path, admin_token="t" * 32, digest_profile=DigestProfile.SM3)
    assert Runtime.from_settings(settings, engine=ledger_db).digest is DigestProfile.SM3
    follower = app_settings(tmp_path, admin_token="t" * 32)
    assert Runtime.from_settings(follower, engine=ledger_db).digest is DigestProfile.SM3
    contradicting = app_settings(
        tmp_path, admin_token="t" * 32, digest_profile=DigestProfile.SHA256
    )
    with pytest.raises(ZoneMismatch):
        Runtime.from_settings(contradicting, engine=ledger_db)


def test_the_setting_names_the_profiles_it_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from api.config import ApiSettings

    monkeypatch.setenv("SANDAN_DIGEST_PROFILE", "sm4")
    with pytest.raises(ValidationError, match="'sha256' or 'sm3'"):
        ApiSettings()
    monkeypatch.setenv("SANDAN_DIGEST_PROFILE", "sm3")
    assert ApiSettings().digest_profile is DigestProfile.SM3


def test_the_cli_says_the_mismatch_in_one_line() -> None:
    from api.cli import _user_error

    assert _user_error(ZoneMismatch("SANDAN_DIGEST_PROFILE=sm3, but …")) == (
        "SANDAN_DIGEST_PROFILE=sm3, but …"
    )
