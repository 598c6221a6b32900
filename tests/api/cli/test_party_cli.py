"""``sandan register-key`` and ``sandan verdict`` through CliRunner, on the app in process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

import api.cli._connection
import api.cli.party
from api.client import RetryPolicy, SandanClient, write_signing_key
from tests.api.client.conftest import BASE_URL, KIT_PARTIES, AppTransport
from tests.api.client.conftest import database_url as database_url  # SQLite only, see there
from tests.api.conftest import World, stage_fixtures
from tests.api.factories import Actor
from traceability import Algorithm, SigningKey
from traceability.trade import samples

world_stage, parties = stage_fixtures("parties", KIT_PARTIES)


@pytest.fixture(autouse=True)
def _bound(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands' client talks to the app; a poll's wait runs the worker instead."""

    def factory(_url: str, api_key: str, attempts: int) -> SandanClient:
        policy = RetryPolicy(max_attempts=attempts, sleep=lambda _: world.worker.drain())
        return SandanClient(BASE_URL, api_key, transport=AppTransport(world.client), retry=policy)

    monkeypatch.setattr(api.cli._connection, "client_factory", factory)


def run(*args: str) -> Result:
    app = typer.Typer()
    api.cli.party.register(app)
    return CliRunner().invoke(app, list(args))


def test_register_key_sends_the_public_half_and_the_key_signs_from_then_on(
    parties: dict[str, Actor], world: World, tmp_path: Path
) -> None:
    platform = parties["platform"]
    key = SigningKey.generate(Algorithm.SM2)
    write_signing_key(tmp_path / "new.key", key)
    result = run("register-key", "--key", str(tmp_path / "new.key"), "--party", platform.code,
                 "--key-id", "ebp-rotated", "--api-key", platform.api_key)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"{platform.code} key ebp-rotated (SM2) registered" in result.stdout
    keys = world.client.get(f"/parties/{platform.code}/keys", headers=platform.headers).json()
    assert {"keyId": "ebp-rotated", "publicKey": key.public_key} in [
        {"keyId": k["keyId"], "publicKey": k["publicKey"]} for k in keys
    ]


def test_register_key_for_another_party_is_refused_naming_why(
    parties: dict[str, Actor], tmp_path: Path
) -> None:
    write_signing_key(tmp_path / "k.key", SigningKey.generate(Algorithm.ED25519))
    payer = parties["payment"]
    result = run("register-key", "--key", str(tmp_path / "k.key"), "--party", payer.code,
                 "--key-id", "not-mine", "--api-key", parties["platform"].api_key)  # fmt: skip
    assert result.exit_code == 2
    assert "the service refused" in result.stderr


def test_register_key_refuses_a_file_that_is_no_key(
    parties: dict[str, Actor], tmp_path: Path
) -> None:
    (tmp_path / "k.key").write_text("not a key")
    platform = parties["platform"]
    result = run("register-key", "--key", str(tmp_path / "k.key"), "--party", platform.code,
                 "--key-id", "x", "--api-key", platform.api_key)  # fmt: skip
    assert result.exit_code == 2
    assert "k.key" in result.stderr


def _submit_trade(parties: dict[str, Actor], world: World, trade: Any) -> str:
    signers = {"order": "platform", "payment": "payment", "waybill": "logistics"}
    ids = {world.submit(parties[who], kind, getattr(trade, kind).to_json_dict())
           for kind, who in signers.items()}  # fmt: skip
    (trade_id,) = ids
    assert trade_id is not None
    return trade_id


def test_verdict_waits_until_anchored_and_prints_match(
    parties: dict[str, Actor], world: World
) -> None:
    trade_id = _submit_trade(parties, world, samples.import_trade(inventory=False))
    result = run("verdict", trade_id, "--wait", "--api-key", parties["platform"].api_key)
    assert result.exit_code == 0, result.output
    assert f"trade {trade_id}: verdict: match" in result.stdout
    assert "(anchored on chain)" in result.stdout


def test_verdict_of_a_mismatch_names_each_rule_and_exits_4(
    parties: dict[str, Actor], world: World
) -> None:
    trade_id = _submit_trade(parties, world, samples.short_payment_trade())
    result = run("verdict", trade_id, "--api-key", parties["platform"].api_key)
    assert result.exit_code == 4, result.output
    assert "verdict: mismatch" in result.stdout
    assert "✗ amount.payment_equals_paid [payment.amountPaid]" in result.stdout


def test_register_key_by_sm2_certificate_names_it_by_the_certificate_number(
    parties: dict[str, Actor], world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography import x509

    from tests.sm2_openssl import Sm2Authority
    from traceability.signing.certificates import certificate_number

    root = Sm2Authority(tmp_path, "E-Port Root CA")
    trusted = tmp_path / "trusted.pem"
    trusted.write_bytes(root.pem)
    settings = world.runtime.settings.model_copy(update={"trusted_ca_file": trusted})
    monkeypatch.setattr(world.runtime, "settings", settings)
    platform = parties["platform"]
    key, certificate = root.issue(platform.code)
    _, other = root.issue("someone-else")
    mismatch = run("register-key", "--certificate", str(other), "--key", str(key),
                   "--party", platform.code, "--api-key", platform.api_key)  # fmt: skip
    assert mismatch.exit_code == 2
    assert "does not certify the key" in mismatch.stderr
    result = run("register-key", "--certificate", str(certificate), "--key", str(key),
                 "--party", platform.code, "--api-key", platform.api_key)  # fmt: skip
    assert result.exit_code == 0, result.output
    number = certificate_number(x509.load_pem_x509_certificate(certificate.read_bytes()))
    assert f"{platform.code} key {number} (SM2) registered" in result.stdout
    assert "until 2045-01-01" in result.stdout
    neither = run("register-key", "--party", platform.code, "--api-key", platform.api_key)
    assert neither.exit_code == 2
    assert "--certificate" in neither.stderr
