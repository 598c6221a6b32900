"""The negative list through the API: listing and lifting by customs or the regulator, the
listing on the party's page, and release and financing refused naming it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from api.db.models import TradeRecord
from api.services import negative_list
from tests.api.conftest import World, WorldStage, stage_fixtures
from tests.api.factories import Actor
from traceability import Algorithm
from traceability.signing.registry_ids import party_id
from traceability.trade import samples

SIGNER = {"order": "platform", "payment": "payment", "waybill": "logistics"}
TERMS = {"terms": {"amount": "100.00", "currency": "CNY", "rate": "0.04"}}


def _register_parties(world: World) -> dict[str, Actor]:
    return {
        "platform": world.actor(samples.PLATFORM[0], ["platform"]),
        "payment": world.actor(samples.PAYER_COMPANY[0], ["payment"], alg=Algorithm.ES256),
        "logistics": world.actor(samples.CARRIER[0], ["logistics"], alg=Algorithm.ES256K),
        "customs": world.actor("GACC-NL", ["customs"], chain_account=True),
        "regulator": world.actor("ZONE-REG", ["regulator"], chain_account=True),
        "bank": world.actor("BANK-NL", ["bank"], chain_account=True),
    }


world_stage, parties = stage_fixtures(
    "parties", WorldStage("the negative list's parties", _register_parties)
)


def _matched_trade(world: World, parties: dict[str, Actor]) -> str:
    """Submit and anchor a matched import trade; its id."""
    docs = samples.import_trade()
    trade_id = ""
    for kind, signer in SIGNER.items():
        actor = parties[signer]
        body = actor.envelope(kind, getattr(docs, kind).to_json_dict())
        response = world.client.post("/documents", json=body, headers=actor.headers)
        assert response.status_code == 201, response.text
        trade_id = response.json()["tradeId"] or trade_id
    world.worker.drain()
    return trade_id


def _until(days: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


def _list(world: World, who: Actor, code: str, **body: Any):
    payload = {"reason": "suspected fictitious trade", "until": _until(), **body}
    return world.client.post(f"/parties/{code}/listing", json=payload, headers=who.headers)


def _lift(world: World, who: Actor, code: str, reason: str = "appeal upheld"):
    return world.client.request(
        "DELETE", f"/parties/{code}/listing", json={"reason": reason}, headers=who.headers
    )


def test_listing_blocks_release_and_financing_until_lifted(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = _matched_trade(world, parties)
    platform = samples.PLATFORM[0]
    until = _until(10)
    listed = _list(world, parties["regulator"], platform, until=until)
    assert listed.status_code == 201, listed.text
    body = listed.json()
    assert (body["party"], body["active"], body["listedBy"]) == (platform, True, "ZONE-REG")
    assert body["reason"] == "suspected fictitious trade"
    assert datetime.fromisoformat(body["until"]) == datetime.fromisoformat(until)

    page = world.client.get(f"/parties/{platform}", headers=parties["bank"].headers).json()
    assert page["listing"]["reason"] == "suspected fictitious trade"
    other = world.client.get(f"/parties/{samples.CARRIER[0]}", headers=parties["bank"].headers)
    assert other.json()["listing"] is None

    release = world.client.post(
        f"/customs/trades/{trade_id}/release", headers=parties["customs"].headers
    )
    financing = world.client.post(
        f"/banks/trades/{trade_id}/financing", json=TERMS, headers=parties["bank"].headers
    )
    for refused in (release, financing):
        assert refused.status_code == 409, refused.text
        answer = refused.json()
        assert answer["error"] == "party_listed"
        assert answer["party"] == platform
        assert answer["reason"] == "suspected fictitious trade"
        assert datetime.fromisoformat(answer["until"]) == datetime.fromisoformat(until)

    lifted = _lift(world, parties["customs"], platform)
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["active"] is False
    page = world.client.get(f"/parties/{platform}", headers=parties["bank"].headers).json()
    assert page["listing"] is None
    release = world.client.post(
        f"/customs/trades/{trade_id}/release", headers=parties["customs"].headers
    )
    assert release.status_code == 200, release.text


def test_verdict_batch_commits_the_trades_signers(world: World, parties: dict[str, Actor]) -> None:
    trade_id = _matched_trade(world, parties)
    with Session(world.runtime.engine) as session:
        trade = session.get(TradeRecord, trade_id)
        assert trade is not None
        assert trade.verdict_batch is not None
        batch, position = trade.verdict_batch, trade.verdict_position
    committed = world.ledger.trade.parties_of(batch)
    assert committed is not None
    assert position is not None
    signers = [samples.PLATFORM[0], samples.PAYER_COMPANY[0], samples.CARRIER[0]]
    assert committed.parties_at(position) == frozenset(party_id(c) for c in signers)


def test_contract_refusal_is_answered_naming_the_listing(
    world: World, parties: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    trade_id = _matched_trade(world, parties)
    payer = samples.PAYER_COMPANY[0]
    assert _list(world, parties["customs"], payer, reason="borrowed identity").status_code == 201
    # A listing the service did not see before sending: the chain refuses by itself.
    monkeypatch.setattr(negative_list, "check_unlisted", lambda **_: None)
    release = world.client.post(
        f"/customs/trades/{trade_id}/release", headers=parties["customs"].headers
    )
    assert release.status_code == 409, release.text
    assert (release.json()["error"], release.json()["party"]) == ("party_listed", payer)
    assert release.json()["reason"] == "borrowed identity"


def test_listing_refuses_other_roles_and_bad_periods_naming_the_field(
    world: World, parties: dict[str, Actor]
) -> None:
    platform = samples.PLATFORM[0]
    for who in ("platform", "bank"):
        refused = _list(world, parties[who], platform)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"] == "role_not_allowed"
        assert _lift(world, parties[who], platform).status_code == 403
    past = _list(world, parties["customs"], platform, until=_until(-1))
    assert (past.status_code, past.json()["field"]) == (422, "until")
    empty = _list(world, parties["customs"], platform, reason="")
    assert empty.status_code == 422
    assert _list(world, parties["customs"], "NO-SUCH-PARTY").status_code == 404
    not_listed = _lift(world, parties["regulator"], platform)
    assert (not_listed.status_code, not_listed.json()["error"]) == (409, "not_listed")
