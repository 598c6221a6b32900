"""Forged and replayed signatures, wrong-role calls on every write route: 4xx, no change."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from tests.api.conftest import World, stage_fixtures
from tests.api.factories import Actor
from tests.api.web.adversarial import (
    DOC_SIGNER,
    TRADE_PARTIES,
    assert_error,
    documents,
    snapshot,
    stored_unchanged,
)
from traceability import Algorithm, SigningKey

world_stage, parties = stage_fixtures("parties", TRADE_PARTIES)


def _flip(text: str, index: int = 0) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


def _forged_signature(env: dict[str, Any], actor: Actor) -> None:
    env["signature"] = _flip(env["signature"], 5)


def _tampered_document(env: dict[str, Any], actor: Actor) -> None:
    env["payload"]["document"]["freight"] = "0.01"  # signed bytes no longer match


def _signed_by_a_stranger(env: dict[str, Any], actor: Actor) -> None:
    stranger = SigningKey.generate(Algorithm.ED25519)
    forged = stranger.sign(json.dumps(env["payload"]).encode())
    env["signature"] = base64.urlsafe_b64encode(forged).rstrip(b"=").decode()


def _unknown_key_id(env: dict[str, Any], actor: Actor) -> None:
    env["payload"]["keyId"] = "nobody-k9"


def _wrong_algorithm(env: dict[str, Any], actor: Actor) -> None:
    env["alg"] = "ES256"


def _truncated_signature(env: dict[str, Any], actor: Actor) -> None:
    env["signature"] = env["signature"][:20]


@pytest.mark.parametrize(
    ("tamper", "status"),
    [
        (_forged_signature, 401),
        (_tampered_document, 401),
        (_signed_by_a_stranger, 401),
        (_unknown_key_id, 401),
        (_wrong_algorithm, 401),
        (_truncated_signature, 422),
    ],
)
def test_submit_document_rejects_forged_envelope_and_changes_nothing(
    world: World, parties: dict[str, Actor], tamper: Any, status: int
) -> None:
    platform = parties["platform"]
    envelope = platform.envelope("order", documents()["order"])
    tamper(envelope, platform)
    with stored_unchanged(world):
        response = world.client.post("/documents", json=envelope, headers=platform.headers)
        assert_error(response, status)
        assert response.json()["field"], response.json()


def test_submit_document_signed_with_another_partys_key_is_refused(
    world: World, parties: dict[str, Actor]
) -> None:
    platform, payment = parties["platform"], parties["payment"]
    # The payment company signs an order in the platform's name with its own key.
    envelope = payment.envelope("order", documents()["order"], party=platform.code)
    with stored_unchanged(world):
        response = world.client.post("/documents", json=envelope, headers=platform.headers)
        assert response.status_code in (401, 403), response.text
        assert_error(response, response.status_code)


def test_replayed_salt_with_other_bytes_is_refused_and_changes_nothing(
    world: World, parties: dict[str, Actor]
) -> None:
    platform = parties["platform"]
    order = documents()["order"]
    salt = bytes(range(16))
    first = world.client.post(
        "/documents", json=platform.envelope("order", order, salt=salt), headers=platform.headers
    )
    assert first.status_code == 201, first.text
    with stored_unchanged(world):
        changed = {**order, "freight": "99.00"}
        replay = platform.envelope("order", changed, salt=salt)
        response = world.client.post("/documents", json=replay, headers=platform.headers)
        assert_error(response, 409, code="replayed_envelope")


def test_resubmitting_identical_bytes_is_idempotent_not_a_replay(
    world: World, parties: dict[str, Actor]
) -> None:
    platform = parties["platform"]
    envelope = platform.envelope("order", documents()["order"])
    assert (
        world.client.post("/documents", json=envelope, headers=platform.headers).status_code == 201
    )
    with stored_unchanged(world):
        again = world.client.post(
            "/documents", json=copy.deepcopy(envelope), headers=platform.headers
        )
        assert again.status_code == 200, again.text


@pytest.mark.parametrize(
    ("signer", "doc_kind"),
    [
        ("logistics", "payment"),  # a logistics company cannot submit a payment
        ("bank", "order"),
        ("customs", "waybill"),
        ("platform", "payment"),
        ("payment", "waybill"),
    ],
)
def test_submit_document_refuses_wrong_role(
    world: World, parties: dict[str, Actor], signer: str, doc_kind: str
) -> None:
    actor = parties[signer]
    with stored_unchanged(world):
        response = world.client.post(
            "/documents",
            json=actor.envelope(doc_kind, documents()[doc_kind]),
            headers=actor.headers,
        )
        assert_error(response, 403, code="role_not_allowed", field="payload.docType")


def _submit_trade(world: World, parties: dict[str, Actor]) -> str:
    ids = {world.submit(parties[DOC_SIGNER[kind]], kind, d) for kind, d in documents().items()}
    world.worker.drain()
    (trade_id,) = ids
    assert trade_id is not None
    return trade_id


WRONG_ROLE_WRITES = [
    # (who calls, method, path template, body) — none of them holds the needed role
    ("bank", "POST", "/customs/trades/{trade}/release", None),  # a bank cannot release goods
    ("platform", "POST", "/customs/trades/{trade}/release", None),
    ("logistics", "POST", "/banks/trades/{trade}/settlement", {"settlementRef": "FX-1"}),
    ("customs", "POST", "/banks/trades/{trade}/settlement", {"settlementRef": "FX-1"}),
    ("platform", "POST", "/banks/trades/{trade}/financing", {"terms": {"amount": "1"}}),
    ("payment", "POST", "/banks/trades/{trade}/financing", {"terms": {"amount": "1"}}),
    ("logistics", "POST", "/banks/trades/{trade}/financing/discharge", None),
    ("bank", "POST", "/capture", {"type": "EPCISDocument"}),
    ("platform", "POST", "/events", {"type": "ObjectEvent"}),
    ("platform", "POST", "/lots/06901234123456/L1/recall", {"reason": "no"}),
    ("logistics", "POST", "/lots/06901234123456/L1/clear-recall", {"reason": "no"}),
]


def test_every_write_route_refuses_wrong_role_and_changes_nothing(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = _submit_trade(world, parties)
    with stored_unchanged(world):
        chain_block = world.ledger.w3.eth.block_number
        for who, method, template, body in WRONG_ROLE_WRITES:
            path = template.format(trade=trade_id)
            response = world.client.request(method, path, json=body, headers=parties[who].headers)
            assert_error(response, 403, code="role_not_allowed")
            assert (
                who in response.json()["message"] or parties[who].code in response.json()["message"]
            )
    assert world.ledger.w3.eth.block_number == chain_block  # no transaction was sent
    trade = world.client.get(f"/trades/{trade_id}", headers=parties["customs"].headers).json()
    assert not trade.get("released")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/parties", {"code": "EVIL01", "name": "x", "roles": ["customs"]}),
        ("PUT", "/parties/{own}/locations", {"glns": ["6901234000016"]}),
    ],
)
def test_admin_routes_refuse_party_keys(
    world: World, parties: dict[str, Actor], method: str, path: str, body: dict[str, Any]
) -> None:
    actor = parties["platform"]
    with stored_unchanged(world):
        response = world.client.request(
            method, path.format(own=actor.code), json=body, headers=actor.headers
        )
        assert_error(response, 403, field="Authorization")


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("POST", "keys", {"keyId": "evil-k1", "alg": "Ed25519", "publicKey": "A" * 43}),
        ("POST", "keys/{key}/revoke", {"reason": "sabotage"}),
    ],
)
def test_party_cannot_touch_another_partys_keys(
    world: World, parties: dict[str, Actor], method: str, suffix: str, body: dict[str, Any]
) -> None:
    victim, attacker = parties["payment"], parties["platform"]
    with stored_unchanged(world):
        path = f"/parties/{victim.code}/" + suffix.format(key=victim.key_id)
        response = world.client.request(method, path, json=body, headers=attacker.headers)
        assert_error(response, 403)
    keys = world.client.get(f"/parties/{victim.code}/keys", headers=attacker.headers).json()
    assert [(k["keyId"], k.get("revokedAt")) for k in keys] == [(victim.key_id, None)]


def test_bulk_lines_with_wrong_role_or_forgery_are_refused_one_by_one(
    world: World, parties: dict[str, Actor]
) -> None:
    logistics = parties["logistics"]
    docs = documents()
    good = logistics.envelope("waybill", docs["waybill"])
    wrong_role = logistics.envelope("payment", docs["payment"])
    forged = logistics.envelope("waybill", {**docs["waybill"], "logisticsNo": "LN-OTHER"})
    forged["signature"] = _flip(forged["signature"], 3)
    body = b"\n".join(json.dumps(e).encode() for e in (good, wrong_role, forged))
    response = world.client.post(
        "/documents/bulk",
        content=body,
        headers={**logistics.headers, "content-type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["accepted"], result["rejected"]) == (1, 2)
    assert [line["status"] for line in result["results"]] == [201, 403, 401]
    assert snapshot(world)["document"] == 1
