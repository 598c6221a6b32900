"""Issue 12, finding 7: keys and identities, attacked through the public API.

* another party's public key, in any encoding, cannot be registered (409 ``publicKey``,
  without saying whose it is), nor one key twice under two key ids;
* a key is valid from its registration: a client cannot backdate it;
* every path (JSON, bulk NDJSON, CEB XML) holds a submission to the same signer checks;
* the high-S twin of an accepted ES256 signature is refused, not a second submission.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import World
from tests.api.factories import Actor
from tests.api.web.adversarial import assert_error, stored_unchanged
from tests.traceability.ceb.conftest import make_signer
from traceability import Algorithm, SigningKey
from traceability.signing import b64url_decode, b64url_encode
from traceability.trade import samples

P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
CEB_IMPORT = Path(__file__).parents[2] / "data" / "ceb" / "import"


def _register(world: World, actor: Actor, public_key: str, alg: Algorithm, key_id: str) -> Any:
    body = {"keyId": key_id, "alg": alg.value, "publicKey": public_key}
    return world.client.post(f"/parties/{actor.code}/keys", json=body, headers=actor.headers)


def _compressed(public_key: str) -> str:
    point = b64url_decode(public_key)
    return b64url_encode(bytes([2 + (point[-1] & 1)]) + point[1:33])


def _assert_key_taken(response: Any, *hidden: str) -> None:
    assert_error(response, 409, field="publicKey", code="public_key_taken")
    for name in hidden:
        assert name not in response.text  # whose key it is stays unsaid


# --- one public key, one party ----------------------------------------------------------


@pytest.mark.parametrize("alg", list(Algorithm))
def test_register_another_partys_public_key_is_refused(world: World, alg: Algorithm) -> None:
    victim = world.actor("VICTIM", ["payment"], alg=alg)
    thief = world.actor("THIEF", ["payment"])
    stolen = victim.signing_key.public_key
    forms = [stolen] if alg is Algorithm.ED25519 else [stolen, _compressed(stolen)]
    for index, form in enumerate(forms):
        response = _register(world, thief, form, alg, f"THIEF-stolen-{index}")
        _assert_key_taken(response, victim.code, victim.key_id)
    keys = world.client.get("/parties/THIEF/keys", headers=thief.headers).json()
    assert [k["keyId"] for k in keys] == [thief.key_id]


def test_register_own_key_twice_under_two_key_ids_is_refused(world: World) -> None:
    party = world.actor("EBP1", ["platform"], alg=Algorithm.ES256)
    again = _register(
        world, party, _compressed(party.signing_key.public_key), Algorithm.ES256, "k2"
    )
    _assert_key_taken(again)


def test_register_compressed_key_stores_its_canonical_form(world: World) -> None:
    """One key has one text, so the PartyRegistry's hash of the text is one per key too."""
    party = world.actor("EBP1", ["platform"])
    key = SigningKey.generate(Algorithm.SM2)
    response = _register(world, party, _compressed(key.public_key), Algorithm.SM2, "EBP1-sm2")
    assert response.status_code == 201, response.text
    assert response.json()["publicKey"] == key.public_key


def _spki_der(public_key: str) -> bytes:
    point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(public_key))
    return point.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


#: Ways to write one ES256 key that a careless registry could take for another key.
REWRITES = {
    "same": lambda k: k,
    "compressed": _compressed,
    "hybrid": lambda k: b64url_encode(
        bytes([6 + (b64url_decode(k)[-1] & 1)]) + b64url_decode(k)[1:]
    ),
    "padded": lambda k: k + "=",
    "standard-base64": lambda k: base64.b64encode(b64url_decode(k)).decode(),
    "der-spki": lambda k: b64url_encode(_spki_der(k)),
    "trailing-space": lambda k: k + " ",
}


_SERIALS = itertools.count()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rewrite=st.sampled_from(sorted(REWRITES)))
def test_reencoded_registered_key_is_refused_for_another_party(world: World, rewrite: str) -> None:
    serial = next(_SERIALS)  # the world outlives each example: fresh codes for each
    victim = world.actor(f"V{serial}", ["payment"], alg=Algorithm.ES256)
    thief = world.actor(f"T{serial}", ["payment"])
    text = REWRITES[rewrite](victim.signing_key.public_key)
    response = _register(world, thief, text, Algorithm.ES256, f"T{serial}-stolen")
    assert response.status_code in (409, 422), response.text
    assert response.json()["field"] == "publicKey"
    assert victim.code not in response.text


def test_register_certificate_for_another_partys_xml_key_is_refused(world: World) -> None:
    """A second certificate for the victim's RSA key (any subject, any serial) is refused."""
    victim = world.actor("VICTIM", ["platform"])
    thief = world.actor("THIEF", ["platform"])
    victims = make_signer("VICTIM")
    key = serialization.load_pem_private_key(victims.key_pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)

    def put(actor: Actor, pem: str) -> Any:
        return world.client.put(
            f"/parties/{actor.code}/xml-certificate",
            json={"certificatePem": pem},
            headers=actor.headers,
        )

    assert put(victim, victims.cert_pem.decode()).status_code == 200
    refused = put(thief, make_signer("THIEF", key=key).cert_pem.decode())
    assert_error(refused, 409, field="certificatePem", code="public_key_taken")
    assert "VICTIM" not in refused.text
    renewed = make_signer("VICTIM renewed", key=key).cert_pem.decode()
    assert put(victim, renewed).status_code == 200


# --- validity starts at registration ----------------------------------------------------


def test_backdated_key_signs_nothing_issued_before_its_registration(world: World) -> None:
    """The reported attack: a key "valid from 2001" signed an order "issued 2002"."""
    platform = world.actor("EBP1", ["platform"])
    key = SigningKey.generate(Algorithm.ED25519)
    body = {
        "keyId": "EBP1-2001",
        "alg": "Ed25519",
        "publicKey": key.public_key,
        "validFrom": "2001-01-01T00:00:00Z",
    }
    backdated = world.client.post("/parties/EBP1/keys", json=body, headers=platform.headers)
    assert_error(backdated, 422, field="validFrom", code="valid_from_in_past")

    del body["validFrom"]
    now_on = world.client.post("/parties/EBP1/keys", json=body, headers=platform.headers)
    assert now_on.status_code == 201, now_on.text
    signer = Actor(platform.code, platform.api_key, "EBP1-2001", key)
    order = signer.envelope(
        "order",
        samples.import_order_json(samples.ImportTerms(order_no="OLD1")),
        issued_at=dt.datetime(2002, 1, 1, tzinfo=dt.UTC),
    )
    with stored_unchanged(world):
        refused = world.client.post("/documents", json=order, headers=platform.headers)
    assert_error(refused, 401, field="payload.keyId", code="key_not_yet_valid")


def test_key_may_start_later_than_its_registration(world: World) -> None:
    platform = world.actor("EBP1", ["platform"])
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    key = SigningKey.generate(Algorithm.ED25519)
    body = {
        "keyId": "EBP1-k2",
        "alg": "Ed25519",
        "publicKey": key.public_key,
        "validFrom": later.isoformat(),
    }
    response = world.client.post("/parties/EBP1/keys", json=body, headers=platform.headers)
    assert response.status_code == 201, response.text
    assert dt.datetime.fromisoformat(response.json()["validFrom"]) == later
    signer = Actor(platform.code, platform.api_key, "EBP1-k2", key)
    order = signer.envelope(
        "order", samples.import_order_json(samples.ImportTerms(order_no="LATE1"))
    )
    refused = world.client.post("/documents", json=order, headers=platform.headers)
    assert_error(refused, 401, code="key_not_yet_valid")


# --- the high-S twin of a signature -----------------------------------------------------


def _high_s_twin(signature: str) -> str:
    """(r, n - s): as valid as (r, s) to plain ECDSA. sandan signs low-S, so this is high-S."""
    raw = b64url_decode(signature)
    s = int.from_bytes(raw[32:], "big")
    return b64url_encode(raw[:32] + (P256_N - s).to_bytes(32, "big"))


def _payment(payer: Actor) -> dict[str, Any]:
    return payer.envelope("payment", samples.import_trade().payment.to_json_dict())


def test_high_s_twin_of_an_accepted_es256_signature_is_refused(world: World) -> None:
    payer = world.actor(samples.PAYER_COMPANY[0], ["payment"], alg=Algorithm.ES256)
    envelope = _payment(payer)
    accepted = world.client.post("/documents", json=envelope, headers=payer.headers)
    assert accepted.status_code == 201, accepted.text
    twin = {**envelope, "signature": _high_s_twin(envelope["signature"])}
    with stored_unchanged(world):
        refused = world.client.post("/documents", json=twin, headers=payer.headers)
    assert_error(refused, 401, field="signature", code="bad_signature")


def test_high_s_twin_is_refused_in_a_bulk_body(world: World) -> None:
    payer = world.actor(samples.PAYER_COMPANY[0], ["payment"], alg=Algorithm.ES256)
    envelope = _payment(payer)
    twin = {**envelope, "signature": _high_s_twin(envelope["signature"])}
    with stored_unchanged(world):
        response = world.client.post(
            "/documents/bulk",
            content=json.dumps(twin).encode(),
            headers={**payer.headers, "Content-Type": "application/x-ndjson"},
        )
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert result["status"] == 401
    assert result["error"]["error"] == "bad_signature"


def _post_xml(world: World, actor: Actor, body: bytes, signature: bytes) -> Any:
    headers = {
        **actor.headers,
        "Content-Type": "application/xml",
        "Sandan-Key-Id": actor.key_id,
        "Sandan-Signature": b64url_encode(signature),
    }
    return world.client.post("/documents/xml", content=body, headers=headers)


def _dated_soon(body: bytes) -> bytes:
    """The sample order re-dated two minutes on (China time): after its signer's key was
    registered, inside the clock-skew allowance."""
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    china = soon.astimezone(dt.timezone(dt.timedelta(hours=8)))
    changed = body.replace(b">20240315103000<", f">{china:%Y%m%d%H%M%S}<".encode())
    assert changed != body
    return changed


def test_xml_path_refuses_high_s_twin_and_keeps_the_time_rules(world: World) -> None:
    """CEB XML goes through the same signer checks: low-S, validity and clock skew."""
    platform = world.actor("3301960001", ["platform"], alg=Algorithm.ES256)
    sample = (CEB_IMPORT / "order.xml").read_bytes()
    body = _dated_soon(sample)
    signature = platform.signing_key.sign(body)
    twin = b64url_decode(_high_s_twin(b64url_encode(signature)))
    with stored_unchanged(world):
        refused = _post_xml(world, platform, body, twin)
    assert_error(refused, 401, field="signature", code="bad_signature")
    accepted = _post_xml(world, platform, body, signature)
    assert accepted.status_code == 201, accepted.text

    with stored_unchanged(world):  # made in 2024, before the key was registered
        too_early = _post_xml(world, platform, sample, platform.signing_key.sign(sample))
    assert_error(too_early, 401, field="payload.keyId", code="key_not_yet_valid")
