"""Signed CEB XML submissions: same path as JSON, signature over the XML bytes."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import World, WorldStage, stage_fixtures
from tests.api.factories import Actor, registered_at
from tests.traceability.ceb.conftest import make_signer
from traceability.signing._encoding import b64url_encode
from traceability.trade import samples

DATA = Path(__file__).parents[3] / "data" / "ceb" / "import"
FILES = {"platform": "order.xml", "payment": "payment.xml", "logistics": "logistics.xml"}


#: The sample messages were made in March 2024; their signers' keys are older.
KEYS_SINCE = datetime(2024, 1, 1, tzinfo=UTC)


def _register_parties(world: World) -> dict[str, Actor]:
    """The parties named in the sample import messages, plus customs and a bank."""
    with registered_at(KEYS_SINCE):
        signers = {
            "platform": world.actor("3301960001", ["platform"]),
            "payment": world.actor("3301960003", ["payment"]),
            "logistics": world.actor("3301960004", ["logistics"]),
        }
    return {
        **signers,
        "customs": world.actor("GACC", ["customs"], chain_account=True),
        "bank": world.actor("BANK", ["bank"], chain_account=True),
    }


XML_PARTIES = WorldStage("the sample messages' parties", _register_parties)


world_stage, xml_parties = stage_fixtures("xml_parties", XML_PARTIES)


def post_xml(world: World, actor: Actor, body: bytes, *, signature: bytes | None = None) -> object:
    sig = signature if signature is not None else actor.signing_key.sign(body)
    headers = {
        **actor.headers,
        "Content-Type": "application/xml",
        "Sandan-Key-Id": actor.key_id,
        "Sandan-Signature": b64url_encode(sig),
    }
    return world.client.post("/documents/xml", content=body, headers=headers)


def submit_sample_trade(world: World, parties: dict[str, Actor]) -> str:
    """Each sample import message posted by its signer; the one trade they make."""
    trade_ids = set()
    for role, name in FILES.items():
        response = post_xml(world, parties[role], (DATA / name).read_bytes())
        assert response.status_code == 201, response.text
        trade_ids |= {d["tradeId"] for d in response.json()}
    (trade_id,) = trade_ids
    return str(trade_id)


def test_submit_xml_trade_matches_and_bundle_verifies(
    world: World, xml_parties: dict[str, Actor]
) -> None:
    trade_id = submit_sample_trade(world, xml_parties)
    customs = xml_parties["customs"].headers
    verdict = world.client.get(f"/trades/{trade_id}/verdict", headers=customs).json()
    assert verdict["status"] == "match", verdict
    world.worker.drain()
    assert (
        world.client.post(f"/customs/trades/{trade_id}/release", headers=customs).status_code == 200
    )
    bundle = world.client.get(
        f"/banks/trades/{trade_id}/bundle", headers=xml_parties["bank"].headers
    ).json()
    assert all("sourceXml" in d for d in bundle["documents"])
    assert world.verify(bundle).authentic

    bundle["documents"][0]["sourceXml"] = bundle["documents"][0]["sourceXml"].replace(
        "<ceb:freight>", "<ceb:freight>1"
    )
    report = world.verify(bundle)
    assert not report.authentic
    assert any("signature" in c.name and not c.ok for c in report.checks)


def test_submit_xml_is_idempotent(world: World, xml_parties: dict[str, Actor]) -> None:
    body = (DATA / "order.xml").read_bytes()
    assert post_xml(world, xml_parties["platform"], body).status_code == 201
    again = post_xml(world, xml_parties["platform"], body)
    assert again.status_code == 200
    assert again.json()[0]["created"] is False


@pytest.mark.parametrize(
    ("mutate", "status", "error"),
    [
        (lambda b, a: (b + b" ", a.signing_key.sign(b)), 401, "bad_signature"),
        (lambda b, a: (b, b"\x00" * 64), 401, "bad_signature"),
        (
            lambda b, a: (
                b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
                None,
            ),
            422,
            "entity_forbidden",
        ),
        (
            lambda b, a: (b.replace(b"<ceb:goodsValue>", b"<ceb:goodsValue>x"), None),
            422,
            "schema_violation",
        ),
    ],
)
def test_submit_xml_rejects_bad_input_and_stores_nothing(
    world: World, xml_parties: dict[str, Actor], mutate: object, status: int, error: str
) -> None:
    actor = xml_parties["platform"]
    body, signature = mutate((DATA / "order.xml").read_bytes(), actor)  # type: ignore[operator]
    response = post_xml(world, actor, body, signature=signature)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    listing = world.client.get("/trades", headers=xml_parties["customs"].headers).json()
    assert listing["count"] == 0


def test_submit_xml_refuses_a_role_that_may_not_sign_it(
    world: World, xml_parties: dict[str, Actor]
) -> None:
    response = post_xml(world, xml_parties["logistics"], (DATA / "payment.xml").read_bytes())
    assert response.status_code == 403
    assert response.json()["error"] == "role_not_allowed"


def _future_app_time(body: bytes) -> bytes:
    later = (datetime.now(UTC) + timedelta(hours=2)).astimezone(timezone(timedelta(hours=8)))
    changed = body.replace(b">20240315103000<", f">{later:%Y%m%d%H%M%S}<".encode())
    assert changed != body
    return changed


@pytest.mark.parametrize(
    ("registered", "mutate", "status", "error", "field"),
    [
        pytest.param(
            None, lambda b: b, 401, "key_not_yet_valid", "payload.keyId", id="not-yet-valid"
        ),
        pytest.param(
            KEYS_SINCE, _future_app_time, 422, "issued_in_future", "payload.issuedAt", id="future"
        ),
    ],
)
def test_submit_xml_meets_the_time_rules_of_json_envelopes(
    world: World, registered: datetime | None, mutate: Any, status: int, error: str, field: str
) -> None:
    """The merged write path holds XML to the clock-skew and validFrom rules of the JSON path."""
    with registered_at(registered) if registered else nullcontext():
        actor = world.actor("3301960001", ["platform"])
    body = mutate((DATA / "order.xml").read_bytes())
    issued = datetime.now(UTC) + timedelta(hours=2) if registered else KEYS_SINCE
    envelope = actor.envelope(
        "order", samples.import_order_json(samples.ImportTerms(order_no="T1")), issued_at=issued
    )
    as_json = world.client.post("/documents", json=envelope, headers=actor.headers)
    as_xml = post_xml(world, actor, body)
    for response in (as_json, as_xml):
        assert response.status_code == status, response.text
        assert (response.json()["error"], response.json()["field"]) == (error, field)
    customs = world.actor("GACC", ["customs"])
    assert world.client.get("/trades", headers=customs.headers).json()["count"] == 0


def test_xml_signature_is_checked_against_the_registered_certificate(
    world: World, xml_parties: dict[str, Actor]
) -> None:
    from traceability.ceb import sign_xml

    platform = xml_parties["platform"]
    signer = make_signer("3301960001")  # the platform's code as the common name
    key_pem, cert_pem = signer.key_pem, signer.cert_pem
    original = (DATA / "order.xml").read_bytes()
    signed = sign_xml(original, private_key_pem=key_pem, certificate_pem=cert_pem, key_name="k1")

    unverified = post_xml(world, platform, signed)
    assert unverified.status_code == 201, unverified.text
    assert unverified.json()[0]["xmlSignature"] == "unverified"

    bad = world.client.put(
        f"/parties/{platform.code}/xml-certificate",
        json={"certificatePem": "-----BEGIN CERTIFICATE-----\n" + "A" * 80},
        headers=platform.headers,
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "certificatePem"
    registered = world.client.put(
        f"/parties/{platform.code}/xml-certificate",
        json={"certificatePem": cert_pem.decode()},
        headers=platform.headers,
    )
    assert registered.status_code == 200

    valid = post_xml(world, platform, signed)
    assert valid.json()[0]["xmlSignature"] == "valid"
    tampered = signed.replace(b"<ceb:note>", b"<ceb:note>x", 1)
    if tampered == signed:
        tampered = signed.replace(b"<ceb:buyerTelephone>1", b"<ceb:buyerTelephone>2", 1)
    refused = post_xml(world, platform, tampered)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == "xml_signature_invalid"
    assert refused.json()["field"] == "ds:Signature"
    assert post_xml(world, platform, original).json()[0]["xmlSignature"] == "missing"


def test_sm2_sm3_message_signed_as_the_eport_signs_is_accepted_with_an_sm2_certificate(
    world: World, xml_parties: dict[str, Actor], tmp_path: Path
) -> None:
    """A platform whose messages the e-port client signs (SM2-SM3, SM3 digest, r‖s)
    registers its SM2 certificate and submits them as they are."""
    from tests.sm2_openssl import Sm2Signer, openssl_signed

    platform = xml_parties["platform"]
    signer = Sm2Signer(tmp_path, "3301960001")
    registered = world.client.put(
        f"/parties/{platform.code}/xml-certificate",
        json={"certificatePem": signer.cert_pem.decode()},
        headers=platform.headers,
    )
    assert registered.status_code == 200, registered.text
    original = (DATA / "order.xml").read_bytes().replace(b"SD20240315000001", b"SD20240315000077")
    signed = openssl_signed(original, signer, encoding="raw")
    accepted = post_xml(world, platform, signed)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()[0]["xmlSignature"] == "valid"
    tampered = signed.replace("张三".encode(), "李四".encode(), 1)
    assert tampered != signed
    refused = post_xml(world, platform, tampered)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == "xml_signature_invalid"
    assert "digest" in refused.json()["message"].lower()


def test_xml_certificates_must_chain_to_the_trusted_cas_when_they_are_configured(
    world: World, xml_parties: dict[str, Actor], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from tests.sm2_openssl import Sm2Authority, Sm2Signer, openssl_signed

    root = Sm2Authority(tmp_path, "E-Port Root CA")
    issuing = Sm2Authority(tmp_path, "E-Port Issuing CA", parent=root)
    trusted = tmp_path / "trusted.pem"
    trusted.write_bytes(root.pem)
    settings = world.runtime.settings.model_copy(update={"trusted_ca_file": trusted})
    monkeypatch.setattr(world.runtime, "settings", settings)
    platform = xml_parties["platform"]

    def register(pem: bytes) -> Any:
        return world.client.put(
            f"/parties/{platform.code}/xml-certificate",
            json={"certificatePem": pem.decode()},
            headers=platform.headers,
        )

    stranger = Sm2Signer(tmp_path, "self-signed")
    _, expired = issuing.issue("expired", start="20200101000000Z", end="20210101000000Z")
    key, leaf = issuing.issue("3301960001")
    for pem, reason in (
        (stranger.cert_pem, "not issued by a trusted CA"),
        (leaf.read_bytes(), "not issued by a trusted CA"),  # without its intermediate
        (expired.read_bytes() + issuing.pem, "expired on 2021-01-01"),
    ):
        refused = register(pem)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"] == "untrusted_certificate"
        assert refused.json()["field"] == "certificatePem"
        assert reason in refused.json()["message"]
    chain = leaf.read_bytes() + issuing.pem
    assert register(chain).status_code == 200
    original = (DATA / "order.xml").read_bytes().replace(b"SD20240315000001", b"SD20240315000078")
    signed = openssl_signed(original, SimpleNamespace(key=key, cert_pem=leaf.read_bytes()))
    accepted = post_xml(world, platform, signed)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()[0]["xmlSignature"] == "valid"
    # The zone stops trusting that root: the registered certificate no longer verifies.
    other = Sm2Authority(tmp_path, "Another Root CA")
    trusted.write_bytes(other.pem)
    again = openssl_signed(
        original.replace(b"SD20240315000078", b"SD20240315000079"),
        SimpleNamespace(key=key, cert_pem=leaf.read_bytes()),
    )
    refused = post_xml(world, platform, again)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == "untrusted_certificate"
    assert refused.json()["field"] == "ds:Signature"
