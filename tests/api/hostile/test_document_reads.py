"""Finding 8b: a document and its proof go to its trade's parties, its signer, customs,
banks and the admin; anyone else gets the 404 of a document that does not exist."""

from __future__ import annotations

from typing import Any

import pytest

from api.demo.parties import bearer
from tests.api.conftest import World, WorldStage, stage_by_fixture
from tests.api.factories import Actor
from tests.api.hostile.conftest import (
    HOSTILE_PARTIES,
    Trade,
    hostile_parties,
    submit_genuine,
    submit_hostile,
)


def _anchored_trade(world: World) -> tuple[dict[str, Actor], Trade]:
    parties = hostile_parties(world)
    trade = Trade.new()
    submit_genuine(world, parties, trade)
    world.worker.drain()
    return parties, trade


#: The hostile parties after the genuine trade's four documents were stored and anchored:
#: the tests that only read them start from it instead of submitting and anchoring them.
ANCHORED_TRADE = WorldStage("a genuine trade, anchored", _anchored_trade)


@pytest.fixture
def world_stage(request: pytest.FixtureRequest) -> WorldStage[Any] | None:
    return stage_by_fixture(request, [("anchored", ANCHORED_TRADE), ("parties", HOSTILE_PARTIES)])


@pytest.fixture
def anchored(world: World) -> tuple[dict[str, Actor], Trade]:
    """The parties and the genuine trade of :data:`ANCHORED_TRADE` (read only: tests share
    them)."""
    return ANCHORED_TRADE.of(world)


@pytest.mark.parametrize("route", ["", "/proof", "/envelope"])
def test_outsider_reads_of_a_document_answer_as_for_a_missing_one(
    world: World, anchored: tuple[dict[str, Actor], Trade], route: str
) -> None:
    parties, trade = anchored
    outsider = parties["hostile_payment"].headers
    missing = world.client.get(f"/documents/{'0' * 64}{route}", headers=outsider)

    for content_hash in trade.hashes.values():
        hidden = world.client.get(f"/documents/{content_hash}{route}", headers=outsider)
        assert hidden.status_code == 404
        assert hidden.json()["error"] == missing.json()["error"]
        assert hidden.json()["field"] == missing.json()["field"] == "contentHash"


@pytest.mark.parametrize("route", ["", "/proof"])
@pytest.mark.parametrize("reader", ["platform", "payment", "logistics", "customs", "bank", "admin"])
def test_trade_parties_customs_banks_and_admin_read_every_document_of_the_trade(
    world: World, anchored: tuple[dict[str, Actor], Trade], route: str, reader: str
) -> None:
    parties, trade = anchored
    assert len(trade.hashes) == 4
    headers = world.admin if reader == "admin" else parties[reader].headers
    for content_hash in trade.hashes.values():
        response = world.client.get(f"/documents/{content_hash}{route}", headers=headers)
        assert response.status_code == 200, (reader, response.text)


def test_conflicting_document_is_read_by_its_signer_and_customs_not_the_victims(
    world: World, parties: dict[str, Actor]
) -> None:
    trade = Trade.new()
    submit_genuine(world, parties, trade)
    hostile = submit_hostile(world, parties, trade, "payment")["contentHash"]
    own = world.client.get(f"/documents/{hostile}", headers=parties["hostile_payment"].headers)
    assert own.status_code == 200
    assert world.client.get(f"/documents/{hostile}", headers=parties["customs"].headers).is_success
    # The conflict grants its signer nothing of the trade it names.
    genuine = trade.hashes["payment"]
    stolen = world.client.get(f"/documents/{genuine}", headers=parties["hostile_payment"].headers)
    assert stolen.status_code == 404


def test_document_reads_still_need_credentials(world: World, parties: dict[str, Actor]) -> None:
    trade = Trade.new()
    submit_genuine(world, parties, trade, ["order"])
    content_hash = trade.hashes["order"]
    assert world.client.get(f"/documents/{content_hash}").status_code == 401
    wrong = world.client.get(f"/documents/{content_hash}", headers=bearer("sk_not-a-key"))
    assert wrong.status_code == 401
