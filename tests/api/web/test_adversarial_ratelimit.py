"""Rate limiting per party key on write routes: 429 with Retry-After; other parties unaffected."""

from __future__ import annotations

import json

from api.web.ratelimit import RateLimiter
from tests.api.conftest import World
from tests.api.web.adversarial import (
    assert_error,
    documents,
    stored_unchanged,
    trade_parties,
)


def test_party_over_its_write_budget_gets_429_and_others_are_unaffected(world: World) -> None:
    parties = trade_parties(world)
    world.client.app.state.rate_limiter = RateLimiter(per_minute=2)  # type: ignore[attr-defined]
    platform, logistics = parties["platform"], parties["logistics"]
    order = documents()["order"]
    for _ in range(2):
        envelope = platform.envelope("order", order)
        ok = world.client.post("/documents", json=envelope, headers=platform.headers)
        assert ok.status_code in (200, 201), ok.text
    with stored_unchanged(world):
        refused = world.client.post(
            "/documents", json=platform.envelope("order", order), headers=platform.headers
        )
        assert_error(refused, 429, code="rate_limited")
        assert int(refused.headers["Retry-After"]) >= 1
    waybill = logistics.envelope("waybill", documents()["waybill"])
    other = world.client.post("/documents", json=waybill, headers=logistics.headers)
    assert other.status_code == 201, other.text
    # reads stay open to the limited party
    assert world.client.get("/parties/me", headers=platform.headers).status_code == 200


def test_bulk_costs_one_token_per_line(world: World) -> None:
    parties = trade_parties(world)
    world.client.app.state.rate_limiter = RateLimiter(per_minute=3)  # type: ignore[attr-defined]
    logistics = parties["logistics"]
    lines = [json.dumps(logistics.envelope("waybill", documents()["waybill"])) for _ in range(4)]
    with stored_unchanged(world):
        response = world.client.post(
            "/documents/bulk",
            content="\n".join(lines).encode(),
            headers={**logistics.headers, "content-type": "application/x-ndjson"},
        )
        assert_error(response, 429, code="rate_limited")


def test_token_bucket_refills_over_time() -> None:
    limiter = RateLimiter(per_minute=60)
    assert all(limiter.allow("A", now=0.0) for _ in range(60))
    assert not limiter.allow("A", now=0.0)
    assert limiter.allow("B", now=0.0)
    assert limiter.allow("A", now=1.0)  # one token per second comes back
    assert not limiter.allow("A", now=1.0)
