"""Error declarations (EPCIS 2.0): an event captured again with an ``errorDeclaration``
is stored beside it, anchored under a hash of its own, shown in queries and on the
consumer page, and only its recorder or the lot's brand owner may declare it."""

from __future__ import annotations

import copy
from typing import Any

from tests.api.conftest import World
from tests.api.trace_fixtures import LOT_PATH, ROLE_OF_STEP, TraceParties, chain_document
from tests.traceability.epcis.official_schema import schema_errors

CONTEXT = chain_document()["@context"]


def _chain_event(step: str) -> dict[str, Any]:
    events = chain_document()["epcisBody"]["eventList"]
    return copy.deepcopy(next(e for e in events if e["bizStep"] == step))


def _declared(step: str, **declaration: Any) -> dict[str, Any]:
    event = _chain_event(step)
    event["errorDeclaration"] = {"declarationTime": "2024-12-01T08:00:00Z", **declaration}
    return event | {"@context": CONTEXT}


def _events(world: World, parties: TraceParties, step: str) -> list[dict[str, Any]]:
    response = world.client.get(
        "/events", params={"EQ_bizStep": step}, headers=parties.warehouse.headers
    )
    assert response.status_code == 200, response.text
    assert schema_errors(response.json()) == []
    found: list[dict[str, Any]] = response.json()["epcisBody"]["queryResults"]["resultsBody"][
        "eventList"
    ]
    return found


def test_an_error_declaration_is_stored_beside_the_event_and_anchored(
    world: World, captured: TraceParties
) -> None:
    (original,) = _events(world, captured, "shipping")
    body = _declared("shipping", reason="incorrect_data")
    signed = captured.logistics.envelope("epcis-event", body)
    response = world.client.post("/events", json=signed, headers=captured.logistics.headers)
    assert response.status_code == 201, response.text  # stored, not a duplicate
    answer = response.json()
    assert answer["created"] is True
    assert answer["eventID"] == original["eventID"]
    shown = _events(world, captured, "shipping")
    assert [e.get("errorDeclaration") for e in shown] == [None, body["errorDeclaration"]]
    again = world.client.post("/events", json=body, headers=captured.logistics.headers)
    assert again.status_code == 200
    assert again.json()["created"] is False
    world.worker.drain()
    lot = world.client.get(LOT_PATH, headers={"Accept": "application/json"}).json()
    by_hash = {e["eventHash"]: e for e in lot["events"]}
    declaration = by_hash[answer["eventHash"]]
    assert declaration["verification"]["status"] == "verified"
    assert declaration["correction"] == "corrected"
    declared = [e for e in lot["events"] if e["eventID"] == original["eventID"]]
    assert len(declared) == 2
    assert {e["correction"] for e in declared} == {"corrected"}
    assert sum(e["correction"] is None for e in lot["events"]) == len(lot["events"]) - 2


def test_the_consumer_page_shows_a_retraction_in_both_languages(
    world: World, captured: TraceParties
) -> None:
    body = _declared("storing", reason="did_not_occur")
    # The producer owns the GTIN: a brand owner may retract an event another party recorded.
    response = world.client.post("/events", json=body, headers=captured.producer.headers)
    assert response.status_code == 201, response.text
    english = world.client.get(LOT_PATH + "?lang=en").text
    chinese = world.client.get(LOT_PATH + "?lang=zh").text
    assert english.count("retracted: the recorder declared this never happened") == 2
    assert chinese.count("已撤回") == 2


def test_only_the_recorder_or_the_brand_owner_may_declare_an_error(
    world: World, captured: TraceParties
) -> None:
    body = _declared("shipping", reason="did_not_occur")
    response = world.client.post("/events", json=body, headers=captured.warehouse.headers)
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "not_declarer"
    assert response.json()["field"] == "errorDeclaration"
    assert "logistics-1" in response.json()["message"]
    assert len(_events(world, captured, "shipping")) == 1


def test_an_error_declaration_in_a_capture_job_names_the_event(
    world: World, captured: TraceParties
) -> None:
    document = chain_document()
    body = _declared("shipping", reason="did_not_occur")
    del body["@context"]
    document["epcisBody"]["eventList"] = [body]
    response = world.client.post("/capture", json=document, headers=captured.inspector.headers)
    job = world.client.get(response.headers["Location"], headers=captured.inspector.headers)
    errors = job.json()["errors"]
    assert [(e["field"], e["error"]) for e in errors] == [
        ("epcisBody.eventList[0].errorDeclaration", "not_declarer")
    ]


def test_an_event_and_its_error_declaration_in_one_capture_are_both_stored(
    world: World, trace_parties: TraceParties
) -> None:
    harvest = _chain_event("commissioning")
    declaration = copy.deepcopy(harvest)
    declaration["errorDeclaration"] = {"declarationTime": "2024-12-01T08:00:00Z"}
    document = chain_document()
    document["epcisBody"]["eventList"] = [harvest, declaration]
    producer = trace_parties.producer
    response = world.client.post("/capture", json=document, headers=producer.headers)
    job = world.client.get(response.headers["Location"], headers=producer.headers).json()
    assert job["errors"] == []
    assert job["counts"] == {"events": 2, "captured": 2, "duplicates": 0, "rejected": 0}
    shown = _events(world, trace_parties, "commissioning")
    assert [e.get("errorDeclaration") for e in shown] == [None, declaration["errorDeclaration"]]


def test_an_event_declared_in_error_grants_no_custody(
    world: World, trace_parties: TraceParties
) -> None:
    events = chain_document()["epcisBody"]["eventList"]
    upto = next(i for i, e in enumerate(events) if e["bizStep"] == "shipping")
    for event in events[: upto + 1]:
        actor = trace_parties.by_role(ROLE_OF_STEP[event["bizStep"]])
        response = world.client.post(
            "/events", json=event | {"@context": CONTEXT}, headers=actor.headers
        )
        assert response.status_code == 201, response.text
    # The carrier retracts its shipping: the goods never went to the warehouse.
    retraction = _declared("shipping", reason="did_not_occur")
    response = world.client.post(
        "/events", json=retraction, headers=trace_parties.logistics.headers
    )
    assert response.status_code == 201, response.text
    receiving = _chain_event("receiving") | {"@context": CONTEXT}
    response = world.client.post("/events", json=receiving, headers=trace_parties.warehouse.headers)
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "lot_not_held"
