"""Signed CEB XML submissions: same path as JSON, signature over the XML bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.verification import verify_bundle
from ledger_client import TradeRegistryClient
from tests.api.conftest import World
from tests.api.factories import Actor
from traceability.signing._encoding import b64url_encode

DATA = Path(__file__).parents[1] / "data" / "ceb" / "import"
FILES = {"platform": "order.xml", "payment": "payment.xml", "logistics": "logistics.xml"}


@pytest.fixture
def xml_parties(world: World) -> dict[str, Actor]:
    """The parties named in the sample import messages, plus customs and a bank."""
    return {
        "platform": world.actor("3301960001", ["platform"]),
        "payment": world.actor("3301960003", ["payment"]),
        "logistics": world.actor("3301960004", ["logistics"]),
        "customs": world.actor("GACC", ["customs"], chain_account=True),
        "bank": world.actor("BANK", ["bank"], chain_account=True),
    }


def post_xml(world: World, actor: Actor, body: bytes, *, signature: bytes | None = None) -> object:
    sig = signature if signature is not None else actor.signing_key.sign(body)
    headers = {
        **actor.headers,
        "Content-Type": "application/xml",
        "Sandan-Key-Id": actor.key_id,
        "Sandan-Signature": b64url_encode(sig),
    }
    return world.client.post("/documents/xml", content=body, headers=headers)


def test_submit_xml_trade_matches_and_bundle_verifies(
    world: World, xml_parties: dict[str, Actor]
) -> None:
    trade_ids = set()
    for role, name in FILES.items():
        response = post_xml(world, xml_parties[role], (DATA / name).read_bytes())
        assert response.status_code == 201, response.text
        trade_ids |= {d["tradeId"] for d in response.json()}
    (trade_id,) = trade_ids
    customs = xml_parties["customs"].headers
    verdict = world.client.get(f"/trades/{trade_id}/verdict", headers=customs).json()
    assert verdict["status"] == "match", verdict
    world.worker.drain()
    assert world.client.post(f"/customs/trades/{trade_id}/release", headers=customs).status_code == 200
    bundle = world.client.get(
        f"/banks/trades/{trade_id}/bundle", headers=xml_parties["bank"].headers
    ).json()
    assert all("sourceXml" in d for d in bundle["documents"])
    reader = TradeRegistryClient(world.ledger.w3, world.ledger.trade_registry_address)
    assert verify_bundle(bundle, reader, chain_id=world.ledger.chain_id).authentic

    bundle["documents"][0]["sourceXml"] = bundle["documents"][0]["sourceXml"].replace(
        "<ceb:freight>", "<ceb:freight>1"
    )
    report = verify_bundle(bundle, reader, chain_id=world.ledger.chain_id)
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
        (lambda b, a: (b.replace(b"<ceb:goodsValue>", b"<ceb:goodsValue>x"), None), 422, "schema_violation"),
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
