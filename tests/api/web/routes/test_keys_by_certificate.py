"""Signing keys registered by SM2 certificate: chained to the zone's CAs, named by the
certificate number, valid within the certificate's period, revoked like any key."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from tests.api.conftest import World
from tests.api.factories import Actor
from tests.api.web.adversarial import documents
from tests.sm2_openssl import Sm2Authority, Sm2Signer
from traceability import Algorithm, SigningKey
from traceability.signing import PartyKey, new_salt, sign_envelope
from traceability.signing.certificates import certificate_number


@pytest.fixture
def authorities(tmp_path: Path) -> tuple[Sm2Authority, Sm2Authority]:
    root = Sm2Authority(tmp_path, "E-Port Root CA")
    return root, Sm2Authority(tmp_path, "E-Port Issuing CA", parent=root)


@pytest.fixture
def trusting(world: World, authorities, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The world's service trusts the root authority (``SANDAN_TRUSTED_CA_FILE``)."""
    trusted = tmp_path / "trusted.pem"
    trusted.write_bytes(authorities[0].pem)
    settings = world.runtime.settings.model_copy(update={"trusted_ca_file": trusted})
    monkeypatch.setattr(world.runtime, "settings", settings)
    return trusted


def _register(world: World, actor: Actor, body: dict[str, Any]) -> Any:
    return world.client.post(f"/parties/{actor.code}/keys", json=body, headers=actor.headers)


def _certified(actor: Actor, key_path: Path, certificate: x509.Certificate) -> Actor:
    """``actor`` signing with the certificate's key under the certificate number."""
    key = SigningKey.from_pem(key_path.read_bytes())
    return replace(actor, key_id=certificate_number(certificate), signing_key=key)


def test_key_by_certificate_is_named_by_its_number_and_signs(world: World, authorities, trusting):
    issuing = authorities[1]
    key_path, leaf_path = issuing.issue("3301960L04", end="20991231000000Z")
    carrier = world.actor("3301960L04", ["logistics"])
    pem = leaf_path.read_bytes() + issuing.pem
    registered = _register(world, carrier, {"certificatePem": pem.decode()})
    assert registered.status_code == 201, registered.text
    leaf = x509.load_pem_x509_certificate(leaf_path.read_bytes())
    answer = registered.json()
    assert answer["keyId"] == certificate_number(leaf)
    assert answer["alg"] == "SM2"
    assert answer["validUntil"].startswith("2099-12-31")
    signer = _certified(carrier, key_path, leaf)
    response = world.client.post(
        "/documents", json=signer.envelope("waybill", documents()["waybill"]),
        headers=carrier.headers,
    )  # fmt: skip
    assert response.status_code == 201, response.text
    # Revoked through the registry like any key: its envelopes are refused from then on.
    revoke = world.client.post(
        f"/parties/{carrier.code}/keys/{signer.key_id}/revoke",
        json={"reason": "ukey lost"}, headers=carrier.headers,
    )  # fmt: skip
    assert revoke.status_code == 200, revoke.text
    again = world.client.post(
        "/documents", json=signer.envelope("waybill", documents()["waybill"]),
        headers=carrier.headers,
    )  # fmt: skip
    assert again.status_code == 401
    assert again.json()["error"] == "key_revoked"


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("unknown-ca", "not issued by a trusted CA"),
        ("self-signed", "not issued by a trusted CA"),
        ("expired", "expired on 2021-01-01"),
        ("not-yet-valid", "not valid before 2090-01-01"),
        ("no-intermediate", "not issued by a trusted CA"),
    ],
)
def test_certificate_outside_the_trusted_chain_or_period_is_refused(
    world: World, authorities, trusting, tmp_path: Path, case: str, reason: str
):
    issuing = authorities[1]
    if case == "unknown-ca":
        stranger = Sm2Authority(tmp_path, "Unknown CA")
        pem = stranger.issue("x")[1].read_bytes() + stranger.pem
    elif case == "self-signed":
        pem = Sm2Signer(tmp_path, "self").cert_pem
    elif case == "expired":
        pem = issuing.issue("x", start="20200101000000Z", end="20210101000000Z")[1].read_bytes()
        pem += issuing.pem
    elif case == "not-yet-valid":
        pem = issuing.issue("x", start="20900101000000Z", end="20910101000000Z")[1].read_bytes()
        pem += issuing.pem
    else:
        pem = issuing.issue("x")[1].read_bytes()
    actor = world.actor(f"CERT-{case}".upper(), ["logistics"])
    refused = _register(world, actor, {"certificatePem": pem.decode()})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == "untrusted_certificate"
    assert refused.json()["field"] == "certificatePem"
    assert reason in refused.json()["message"]


def test_key_by_certificate_needs_configured_cas_and_one_form(world: World, authorities, tmp_path):
    issuing = authorities[1]
    pem = (issuing.issue("x")[1].read_bytes() + issuing.pem).decode()
    actor = world.actor("CERT-NOCA", ["logistics"])
    refused = _register(world, actor, {"certificatePem": pem})  # no SANDAN_TRUSTED_CA_FILE
    assert refused.status_code == 422
    assert "SANDAN_TRUSTED_CA_FILE" in refused.json()["message"]
    both = {"certificatePem": pem, "publicKey": SigningKey.generate(Algorithm.SM2).public_key}
    assert _register(world, actor, both).json()["field"] == "publicKey"
    neither = {"keyId": "k-2", "alg": "SM2"}
    assert _register(world, actor, neither).json()["field"] == "publicKey"


def test_key_id_other_than_the_certificate_number_is_refused(world: World, authorities, trusting):
    issuing = authorities[1]
    pem = (issuing.issue("x")[1].read_bytes() + issuing.pem).decode()
    actor = world.actor("CERT-NAME", ["logistics"])
    refused = _register(world, actor, {"certificatePem": pem, "keyId": "my-own-name"})
    assert refused.status_code == 422
    assert refused.json()["field"] == "keyId"


def test_envelope_after_the_certificate_ends_is_refused():
    """The domain rule the service applies to a key registered by certificate."""
    from traceability.errors import KeyExpired
    from traceability.signing import verify_envelope
    from traceability.signing.parties import Party, PartyRegistry, Role

    key = SigningKey.generate(Algorithm.SM2)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + timedelta(days=30)
    registry = PartyRegistry(
        [Party("3301960L04", "Carrier", frozenset({Role.LOGISTICS}))],
        [
            PartyKey(
                "03000000000cde6f", "3301960L04", Algorithm.SM2, key.public_key, start, None, end
            )
        ],
    )
    envelope = sign_envelope(
        documents()["waybill"], doc_type="waybill", party="3301960L04",
        key_id="03000000000cde6f", signing_key=key, issued_at=end - timedelta(days=1),
        salt=new_salt(),
    )  # fmt: skip
    verify_envelope(envelope, registry, now=end - timedelta(hours=1))
    with pytest.raises(KeyExpired, match="valid until"):
        verify_envelope(envelope, registry, now=end + timedelta(seconds=1))
    late = sign_envelope(
        documents()["waybill"], doc_type="waybill", party="3301960L04",
        key_id="03000000000cde6f", signing_key=key, issued_at=end + timedelta(minutes=1),
        salt=new_salt(),
    )  # fmt: skip
    with pytest.raises(KeyExpired):
        verify_envelope(late, registry, now=end + timedelta(minutes=2))


def test_an_unusable_ca_file_stops_certificate_checks_with_503_not_a_guess(
    world: World, authorities, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    broken = tmp_path / "broken.pem"
    broken.write_text("not a certificate")
    settings = world.runtime.settings.model_copy(update={"trusted_ca_file": broken})
    monkeypatch.setattr(world.runtime, "settings", settings)
    issuing = authorities[1]
    pem = (issuing.issue("x")[1].read_bytes() + issuing.pem).decode()
    actor = world.actor("CERT-BROKEN", ["logistics"])
    answer = _register(world, actor, {"certificatePem": pem})
    assert answer.status_code == 503
    assert answer.json()["error"] == "trust_unconfigured"
    assert "SANDAN_TRUSTED_CA_FILE" in answer.json()["message"]
    keys = world.client.get(f"/parties/{actor.code}/keys", headers=actor.headers).json()
    assert len(keys) == 1  # nothing stored
