"""Staged worlds really are pristine for each test: rows, sequences, chain and parties.

Each database backend runs the same two rounds from one stage (a platform that stored an
order). Whichever runs second finds the world as the first found it, although the first
stored another order, anchored both and so moved the chain on.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from api.db.models import DocumentRecord
from tests.api.conftest import World, WorldStage
from tests.api.factories import Actor
from tests.api.web.adversarial import snapshot
from traceability.trade import samples

_FIRST_SEEN: dict[str, dict[str, Any]] = {}


def _order(order_no: str) -> dict[str, Any]:
    return samples.import_order_json(samples.ImportTerms(order_no=order_no))


def _platform_with_an_order(world: World) -> Actor:
    platform = world.actor(samples.PLATFORM[0], ["platform"])
    envelope = platform.envelope("order", _order("SD20250301000001"))
    response = world.client.post("/documents", json=envelope, headers=platform.headers)
    assert response.status_code == 201, response.text
    return platform


ONE_ORDER = WorldStage("a platform with one order", _platform_with_an_order)


@pytest.fixture
def world_stage() -> WorldStage[Actor]:
    return ONE_ORDER


def _state(world: World) -> dict[str, Any]:
    with Session(world.runtime.engine) as session:
        documents = [(d.id, d.content_hash) for d in session.exec(select(DocumentRecord)).all()]
    return {
        "rows": snapshot(world),
        "documents": documents,
        "block": world.ledger.w3.eth.block_number,
    }


@pytest.mark.parametrize("round_", [1, 2])
def test_each_test_starts_from_the_built_world(world: World, round_: int) -> None:
    platform = ONE_ORDER.of(world)
    state = _state(world)
    assert state["rows"]["document"] == 1
    assert state == _FIRST_SEEN.setdefault(world.runtime.engine.dialect.name, state)
    # The stage's party still acts, and the next id follows the stage's rows.
    envelope = platform.envelope("order", _order("SD20250301000002"))
    response = world.client.post("/documents", json=envelope, headers=platform.headers)
    assert response.status_code == 201, response.text
    with Session(world.runtime.engine) as session:
        ids = sorted(d.id or 0 for d in session.exec(select(DocumentRecord)).all())
    assert ids == [1, 2]
    world.worker.drain()
    assert world.ledger.w3.eth.block_number > state["block"]


def test_a_world_from_another_stage_is_refused(world: World) -> None:
    other = WorldStage("another stage", _platform_with_an_order)
    with pytest.raises(pytest.UsageError, match="a platform with one order"):
        other.of(world)
