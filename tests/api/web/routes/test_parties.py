"""Parties, API keys and signing keys."""

from __future__ import annotations

import pytest

from tests.api.conftest import World
from traceability import Algorithm, SigningKey


def test_register_party_requires_the_admin_token(world: World) -> None:
    body = {"code": "P1", "name": "P1", "roles": ["platform"]}
    # No token, or one nobody holds: 401 before the body is read (issue 12); a party's own
    # key is a known caller without the right: 403.
    assert world.client.post("/parties", json=body).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert world.client.post("/parties", json=body, headers=wrong).status_code == 401
    party = world.actor("P0", ["platform"])
    assert world.client.post("/parties", json=body, headers=party.headers).status_code == 403
    assert world.client.post("/parties", json=body, headers=world.admin).status_code == 201
    again = world.client.post("/parties", json=body, headers=world.admin)
    assert again.status_code == 409
    assert again.json()["field"] == "code"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "bad code", "name": "x", "roles": ["platform"]}, "code"),
        ({"code": "P2", "name": "x", "roles": ["pirate"]}, "roles.0"),
        ({"code": "P2", "name": "x", "roles": []}, "roles"),
        ({"code": "P2", "name": "x", "roles": ["platform"], "chainAccount": True}, "chainAccount"),
    ],
)
def test_register_party_names_the_bad_field(
    world: World, body: dict[str, object], field: str
) -> None:
    response = world.client.post("/parties", json=body, headers=world.admin)
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_rotate_api_key_retires_the_old_one(world: World) -> None:
    actor = world.actor("P3", ["platform"])
    assert world.client.get("/parties/me", headers=actor.headers).status_code == 200
    rotated = world.client.post("/parties/P3/api-key", headers=world.admin)
    assert rotated.status_code == 200
    assert world.client.get("/parties/me", headers=actor.headers).status_code == 401
    fresh = {"Authorization": f"Bearer {rotated.json()['apiKey']}"}
    assert world.client.get("/parties/me", headers=fresh).json()["code"] == "P3"


def test_keys_are_checked_and_owned(world: World) -> None:
    alice = world.actor("ALICE", ["platform"])
    bob = world.actor("BOB", ["payment"])
    bad = {
        "keyId": "a-2",
        "alg": "ES256",
        "publicKey": SigningKey.generate(Algorithm.ED25519).public_key,
    }
    response = world.client.post("/parties/ALICE/keys", json=bad, headers=alice.headers)
    assert response.status_code == 422
    assert response.json()["field"] == "publicKey"
    good = {
        "keyId": "b-2",
        "alg": "Ed25519",
        "publicKey": SigningKey.generate(Algorithm.ED25519).public_key,
    }
    assert (
        world.client.post("/parties/BOB/keys", json=good, headers=alice.headers).status_code == 403
    )
    assert world.client.post("/parties/BOB/keys", json=good, headers=bob.headers).status_code == 201
    duplicate = world.client.post("/parties/BOB/keys", json=good, headers=bob.headers)
    assert duplicate.status_code == 409
    keys = world.client.get("/parties/BOB/keys", headers=alice.headers).json()
    assert [k["keyId"] for k in keys] == ["BOB-k1", "b-2"]


def test_write_routes_are_rate_limited_per_key(world: World) -> None:
    from api.web.ratelimit import RateLimiter

    alice = world.actor("ALICE", ["platform"])
    world.client.app.state.rate_limiter = RateLimiter(2)  # type: ignore[attr-defined]
    statuses = []
    for n in range(3):
        key = {
            "keyId": f"a-{n}",
            "alg": "Ed25519",
            "publicKey": SigningKey.generate(Algorithm.ED25519).public_key,
        }
        statuses.append(world.client.post("/parties/ALICE/keys", json=key, headers=alice.headers))
    assert [r.status_code for r in statuses] == [201, 201, 429]
    assert statuses[2].headers["Retry-After"] == "1"
    assert world.client.get("/parties/ALICE/keys", headers=alice.headers).status_code == 200
