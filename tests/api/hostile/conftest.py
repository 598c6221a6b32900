"""Hostile parties: registered companies attacking another party's trades through the API.

``Trade`` holds one sample import trade's documents and who signs each; the hostile
parties' documents name that trade with their own codes in their signing roles, which
is all a registered payment, logistics or platform company can do.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.api.conftest import World, WorldStage, stage_by_fixture
from tests.api.factories import Actor
from tests.api.web.adversarial import trade_parties
from traceability.trade import samples
from traceability.trade.inputs import TradeDocuments

HOSTILE_PAYER = "3301960X91"
HOSTILE_CARRIER = "3301960X92"
HOSTILE_PLATFORM = "3301960X93"

#: Which party signs each genuine document.
SIGNER = {
    "order": "platform",
    "payment": "payment",
    "waybill": "logistics",
    "inventory": "platform",
}
_numbers = itertools.count(1)


def hostile_parties(world: World) -> dict[str, Actor]:
    """The genuine trade's parties, customs, a bank and three hostile companies."""
    return {
        **trade_parties(world),
        "hostile_payment": world.actor(HOSTILE_PAYER, ["payment"]),
        "hostile_logistics": world.actor(HOSTILE_CARRIER, ["logistics"]),
        "hostile_platform": world.actor(HOSTILE_PLATFORM, ["platform"]),
    }


#: The world after :func:`hostile_parties` registered its eight parties: built once per
#: backend, copied for each test instead of registering eight parties every time.
HOSTILE_PARTIES = WorldStage("the hostile parties", hostile_parties)


@pytest.fixture
def world_stage(request: pytest.FixtureRequest) -> WorldStage[Any] | None:
    """Tests that use ``parties`` start from :data:`HOSTILE_PARTIES` (a module that brings
    a ``world_stage`` of its own overrides this one)."""
    return stage_by_fixture(request, [("parties", HOSTILE_PARTIES)])


@pytest.fixture
def parties(world: World) -> dict[str, Actor]:
    """The eight parties of :func:`hostile_parties`: a copy of the staged ones, or, in a
    module whose own ``world_stage`` built something else, registered now."""
    if world.stage is HOSTILE_PARTIES:
        return copy.copy(HOSTILE_PARTIES.of(world))
    return hostile_parties(world)


@dataclass
class Trade:
    """One genuine import trade (fresh numbers each time) and the hostile twins of its documents."""

    docs: TradeDocuments
    hashes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def new(cls) -> Trade:
        """A consistent trade with numbers no other test trade uses."""
        n = next(_numbers)
        terms = samples.ImportTerms(
            order_no=f"SD2025030199{n:04d}",
            logistics_no=f"SF99{n:011d}",
            pay_transaction_id=f"AP2025030199{n:06d}",
        )
        return cls(samples.import_trade(terms))

    def genuine(self, kind: str) -> dict[str, Any]:
        """The genuine document of ``kind`` as JSON."""
        return getattr(self.docs, kind).to_json_dict()  # type: ignore[no-any-return]

    def hostile(self, kind: str) -> tuple[str, dict[str, Any]]:
        """A hostile party's twin of the document of ``kind``: (party key, document)."""
        document = self.genuine(kind)
        if kind == "payment":
            return "hostile_payment", document | {"payCode": HOSTILE_PAYER, "payName": "冒名支付"}
        if kind == "waybill":
            return "hostile_logistics", document | {
                "logisticsCode": HOSTILE_CARRIER,
                "logisticsName": "冒名物流",
                "freight": "99",
            }
        assert kind == "order"
        # A platform named only as ebcCode, on the victim platform's order number.
        return "hostile_platform", document | {"ebcCode": HOSTILE_PLATFORM, "goodsValue": "1"}


def post(world: World, actor: Actor, kind: str, document: dict[str, Any]) -> Any:
    """POST one signed document; the response."""
    envelope = actor.envelope(kind, document)
    return world.client.post("/documents", json=envelope, headers=actor.headers)


def submit_genuine(
    world: World, parties: dict[str, Actor], trade: Trade, kinds: list[str] | None = None
) -> str:
    """Submit the genuine documents (all, or ``kinds``); the trade id."""
    trade_id = ""
    for kind in kinds or list(SIGNER):
        response = post(world, parties[SIGNER[kind]], kind, trade.genuine(kind))
        assert response.status_code == 201, response.text
        trade.hashes[kind] = response.json()["contentHash"]
        trade_id = response.json()["tradeId"] or trade_id
    return trade_id


def submit_hostile(world: World, parties: dict[str, Actor], trade: Trade, kind: str) -> Any:
    """Submit the hostile twin of ``kind``; the response body (it must be stored: 201)."""
    who, document = trade.hostile(kind)
    response = post(world, parties[who], kind, document)
    assert response.status_code == 201, response.text
    return response.json()


def trade_id_of(trade: Trade) -> str:
    """The trade id the genuine order names."""
    from traceability.trade import TradeKey

    return TradeKey.of(trade.docs.order).trade_id.hex()  # type: ignore[arg-type]


def release_and_settle(world: World, parties: dict[str, Actor], trade_id: str) -> dict[str, Any]:
    """Anchor, release (customs) and settle (bank) the trade; the bank's bundle."""
    world.worker.drain()
    customs, bank = parties["customs"].headers, parties["bank"].headers
    released = world.client.post(f"/customs/trades/{trade_id}/release", headers=customs)
    assert released.status_code == 200, released.text
    settled = world.client.post(
        f"/banks/trades/{trade_id}/settlement", json={"settlementRef": "FX-1"}, headers=bank
    )
    assert settled.status_code == 200, settled.text
    return bank_bundle(world, parties, trade_id)


def bank_bundle(world: World, parties: dict[str, Actor], trade_id: str) -> dict[str, Any]:
    """The bank's authenticity bundle of the trade (after anchoring what is pending)."""
    world.worker.drain()
    response = world.client.get(f"/banks/trades/{trade_id}/bundle", headers=parties["bank"].headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def read_trade(world: World, actor: Actor, trade_id: str) -> Any:
    """GET /trades/{id} as ``actor``; the response."""
    return world.client.get(f"/trades/{trade_id}", headers=actor.headers)
