"""Shared traceability test helpers: the four capturing parties and the sample chain."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, select

from api.db.trace_models import TraceEventRecord
from api.demo.trace import PLACES, PRODUCTS
from tests.api.conftest import World, WorldStage
from tests.api.factories import Actor
from traceability.epcis.samples import OrangeLot, navel_orange_chain

IDS = OrangeLot()
START = datetime(2024, 11, 5, 0, 0, tzinfo=UTC)
LOT_PATH = f"/01/{IDS.gtin}/10/{IDS.lot}"


@dataclass
class TraceParties:
    """A producer, an inspector (with a chain account), a logistics company and a warehouse."""

    producer: Actor
    inspector: Actor
    logistics: Actor
    warehouse: Actor

    def by_role(self, role: str) -> Actor:
        return getattr(self, role)


def tamper_aggregation_event(world: World) -> str:
    """Change the stored aggregation event's quantity behind the API; return its hash."""
    with Session(world.runtime.engine) as session:
        record = session.exec(
            select(TraceEventRecord).where(TraceEventRecord.event_type == "AggregationEvent")
        ).one()
        event = json.loads(record.event_json)
        event["childQuantityList"][0]["quantity"] = 229
        record.event_json = json.dumps(event)
        session.add(record)
        session.commit()
        return record.event_hash


def chain_document() -> dict[str, Any]:
    """The navel-orange chain as one EPCISDocument."""
    return navel_orange_chain(START, IDS)


def sub_document(events: list[dict[str, Any]]) -> dict[str, Any]:
    """An EPCISDocument holding ``events`` with the sample's context."""
    document = chain_document()
    return {**document, "epcisBody": {"eventList": events}}


ROLE_OF_STEP = {
    "commissioning": "producer", "packing": "producer", "inspecting": "inspector",
    "shipping": "logistics", "receiving": "warehouse", "storing": "warehouse",
    "retail_selling": "warehouse",
}  # fmt: skip


def make_trace_parties(world: World) -> TraceParties:
    """The four capturing parties with their locations registered (the producer owns the GTINs
    and names its product; the farm, packhouse, port and shop are named, the warehouse is a
    bare GLN)."""
    places: dict[str, list[Any]] = {
        "producer": [
            {"gln": IDS.farm, **PLACES["farm"]},
            {"gln": IDS.packhouse, **PLACES["packhouse"]},
        ],
        "logistics": [{"gln": IDS.port, **PLACES["port"]}],
        "warehouse": [IDS.warehouse, {"gln": IDS.store, **PLACES["store"]}],
    }
    actors = {}
    for role in ("producer", "inspector", "logistics", "warehouse"):
        actors[role] = world.actor(f"{role}-1", [role], chain_account=role == "inspector")
        if role in places:
            response = world.client.put(
                f"/parties/{role}-1/locations", json={"glns": places[role]}, headers=world.admin
            )
            assert response.status_code == 200, response.text
    response = world.client.put(
        "/parties/producer-1/company-prefixes",
        json={"prefixes": [IDS.company_prefix]},
        headers=world.admin,
    )
    assert response.status_code == 200, response.text
    product = world.client.put(
        f"/products/{IDS.gtin}", json=PRODUCTS["gtin"], headers=actors["producer"].headers
    )
    assert product.status_code == 200, product.text
    return TraceParties(**actors)


def capture_chain(world: World, parties: TraceParties, *, signed: bool = True) -> None:
    """Capture the whole sample chain, each event by its role, and anchor it."""
    capture_chain_without_anchoring(world, parties, signed=signed)
    world.worker.drain()


def capture_chain_without_anchoring(
    world: World, parties: TraceParties, *, signed: bool = True
) -> None:
    """Capture the whole sample chain, each event by its role; the worker has not run."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for event in chain_document()["epcisBody"]["eventList"]:
        groups.setdefault(ROLE_OF_STEP[event["bizStep"]], []).append(event)
    for role, events in groups.items():
        actor = parties.by_role(role)
        document = sub_document(events)
        body = actor.envelope("epcis-event", document) if signed else document
        response = world.client.post("/capture", json=body, headers=actor.headers)
        assert response.status_code == 202, response.text
        job = world.client.get(response.headers["Location"], headers=actor.headers).json()
        assert job["success"], job


def _captured(world: World, *, signed: bool) -> TraceParties:
    parties = make_trace_parties(world)
    capture_chain(world, parties, signed=signed)
    return parties


#: The four parties registered with their locations (:func:`make_trace_parties`).
TRACE_PARTIES = WorldStage("the trace parties", make_trace_parties)
#: The four parties after they captured the signed sample chain and it was anchored.
CAPTURED = WorldStage("the captured chain", lambda world: _captured(world, signed=True))
#: The same with every event captured unsigned.
CAPTURED_UNSIGNED = WorldStage(
    "the unsigned captured chain", lambda world: _captured(world, signed=False)
)
