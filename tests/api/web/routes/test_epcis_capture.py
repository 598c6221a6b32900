"""EPCIS capture: asynchronous jobs, error behaviour, idempotency, roles, validation, limits."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlmodel import Session, select

from api.db.models import OutboxRecord
from api.db.trace_models import CaptureJobRecord, TraceEventRecord
from api.services.trace.policy import CAPTURE_STEPS, roles_for
from tests.api.conftest import World
from tests.api.trace_fixtures import (
    IDS,
    TraceParties,
    chain_document,
    sub_document,
)
from traceability.epcis import parse_event
from traceability.epcis.vocabulary import BIZ_STEPS
from traceability.gs1 import lot_id


def _events() -> list[dict[str, Any]]:
    return chain_document()["epcisBody"]["eventList"]


def _post_capture(world: World, actor: Any, body: Any, behaviour: str | None = None) -> Any:
    headers = dict(actor.headers)
    if behaviour:
        headers["GS1-Capture-Error-Behaviour"] = behaviour
    return world.client.post("/capture", json=body, headers=headers)


def _job(world: World, actor: Any, response: Any) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    location = response.headers["Location"]
    assert location.startswith("/capture/")
    return world.client.get(location, headers=actor.headers).json()


def test_capture_document_stores_events_with_outbox_rows_per_lot(
    world: World, trace_parties: TraceParties
) -> None:
    harvest, grading = _events()[0], _events()[1]
    producer = trace_parties.producer
    response = _post_capture(
        world, producer, producer.envelope("epcis-event", sub_document([harvest, grading]))
    )
    assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
    assert response.headers["GS1-CBV-Version"] == "2.0.0"
    job = _job(world, producer, response)
    assert job["success"]
    assert not job["running"]
    assert job["counts"] == {"events": 2, "captured": 2, "duplicates": 0, "rejected": 0}
    with Session(world.runtime.engine) as session:
        rows = session.exec(select(OutboxRecord).where(OutboxRecord.lane != "party")).all()
        lanes = {(r.subject, r.lane) for r in rows}
        stored = session.exec(select(TraceEventRecord)).all()
    raw_lane = f"lot:{lot_id(IDS.raw_gtin, IDS.lot).hex()}"
    case_lane = f"lot:{lot_id(IDS.gtin, IDS.lot).hex()}"
    harvest_hash, grading_hash = job["eventHashes"]
    # The transformation touches both its input lot and its output lot.
    assert lanes == {(harvest_hash, raw_lane), (grading_hash, raw_lane), (grading_hash, case_lane)}
    assert all(r.envelope_hash for r in stored)


def test_capture_rollback_stores_nothing_when_one_event_is_invalid(
    world: World, trace_parties: TraceParties
) -> None:
    harvest, grading = copy.deepcopy(_events()[:2])
    grading["eventTime"] = "yesterday"
    producer = trace_parties.producer
    job = _job(
        world,
        producer,
        _post_capture(world, producer, sub_document([harvest, grading]), "rollback"),
    )
    assert job["success"] is False
    assert job["counts"]["captured"] == 0
    assert job["errors"][0]["field"] == "epcisBody.eventList[1].eventTime"
    assert job["errors"][0]["eventIndex"] == 1
    with Session(world.runtime.engine) as session:
        assert session.exec(select(TraceEventRecord)).all() == []
        assert session.exec(select(OutboxRecord).where(OutboxRecord.lane != "party")).all() == []


def test_capture_proceed_stores_valid_events_and_reports_invalid(
    world: World, trace_parties: TraceParties
) -> None:
    harvest, grading = copy.deepcopy(_events()[:2])
    del harvest["eventTimeZoneOffset"]
    producer = trace_parties.producer
    job = _job(
        world, producer, _post_capture(world, producer, sub_document([harvest, grading]), "proceed")
    )
    assert job["success"] is False
    assert job["counts"] == {"events": 2, "captured": 1, "duplicates": 0, "rejected": 1}
    assert job["errors"][0]["field"] == "epcisBody.eventList[0].eventTimeZoneOffset"
    with Session(world.runtime.engine) as session:
        assert [r.event_type for r in session.exec(select(TraceEventRecord)).all()] == [
            "TransformationEvent"
        ]


def test_capture_twice_is_idempotent(world: World, trace_parties: TraceParties) -> None:
    producer = trace_parties.producer
    document = sub_document(_events()[:1])
    first = _job(world, producer, _post_capture(world, producer, document))
    again = _job(
        world, producer, _post_capture(world, producer, producer.envelope("epcis-event", document))
    )
    assert first["counts"]["captured"] == 1
    assert again["counts"] == {"events": 1, "captured": 0, "duplicates": 1, "rejected": 0}
    assert again["eventHashes"] == first["eventHashes"]
    single = world.client.post(
        "/events", json=_events()[0] | {"@context": document["@context"]}, headers=producer.headers
    )
    assert single.status_code == 200, single.text
    assert single.json()["created"] is False
    with Session(world.runtime.engine) as session:
        rows = session.exec(select(OutboxRecord).where(OutboxRecord.lane != "party")).all()
        assert len(rows) == 1


def test_post_event_captures_one_event_with_location(
    world: World, trace_parties: TraceParties
) -> None:
    producer = trace_parties.producer  # the brand owner starts the lot: harvest, grading
    _job(world, producer, _post_capture(world, producer, sub_document(_events()[:2])))
    inspection = _events()[2] | {"@context": chain_document()["@context"]}
    inspector = trace_parties.inspector
    response = world.client.post(
        "/events", json=inspector.envelope("epcis-event", inspection), headers=inspector.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == f"/events/{body['eventID']}"
    assert body["lots"] == [f"{IDS.gtin}/{IDS.lot}"]
    read = world.client.get(response.headers["Location"], headers=inspector.headers)
    assert read.status_code == 200
    assert read.json()["bizStep"] == "inspecting"


@pytest.mark.parametrize(
    ("role", "index", "field"),
    [
        ("logistics", 0, "bizStep"),  # a carrier may not record a harvest
        ("producer", 2, "certificationInfo"),  # only inspectors attach certificates
        ("warehouse", 3, "bizStep"),  # a warehouse does not pack the exporter's pallets
        ("inspector", 1, "bizStep"),  # transformations are the producer's
    ],
)
def test_post_event_refuses_wrong_role(
    world: World, trace_parties: TraceParties, role: str, index: int, field: str
) -> None:
    actor = trace_parties.by_role(role)
    event = _events()[index] | {"@context": chain_document()["@context"]}
    response = world.client.post("/events", json=event, headers=actor.headers)
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "role_not_allowed"
    assert response.json()["field"] == field


def test_post_event_refusal_names_the_role_that_may_capture_the_step(
    world: World, trace_parties: TraceParties
) -> None:
    event = _events()[0] | {"@context": chain_document()["@context"]}
    response = world.client.post("/events", json=event, headers=trace_parties.logistics.headers)
    assert response.status_code == 403, response.text
    assert response.json()["message"].endswith("needs role producer")


@pytest.mark.parametrize("step", sorted(BIZ_STEPS))
def test_every_cbv_business_step_is_capturable_by_some_role(step: str) -> None:
    event = parse_event(
        {
            "type": "ObjectEvent",
            "action": "OBSERVE",
            "bizStep": step,
            "epcList": [],
            "eventTime": "2024-11-05T08:00:00Z",
            "eventTimeZoneOffset": "+00:00",
        }
    )
    assert roles_for(event), step


def test_a_business_step_of_the_partys_own_vocabulary_is_open_to_every_role() -> None:
    event = parse_event(
        {
            "type": "ObjectEvent",
            "action": "OBSERVE",
            "epcList": [],
            "bizStep": "http://epcis.example.org/hc/bizstep/summarising_discharge",
            "eventTime": "2024-11-05T08:00:00Z",
            "eventTimeZoneOffset": "+00:00",
        }
    )
    assert roles_for(event) == set(CAPTURE_STEPS)


def test_post_event_refuses_producer_outside_its_locations(
    world: World, trace_parties: TraceParties
) -> None:
    event = copy.deepcopy(_events()[0]) | {"@context": chain_document()["@context"]}
    event["bizLocation"] = {"id": f"https://id.gs1.org/414/{IDS.store}"}
    response = world.client.post("/events", json=event, headers=trace_parties.producer.headers)
    assert response.status_code == 403
    assert response.json() | {"message": ""} == {
        "error": "location_not_allowed",
        "field": "bizLocation",
        "message": "",
    }


def test_capture_by_party_without_capture_role_is_forbidden(world: World) -> None:
    platform = world.actor("platform-1", ["platform"])
    response = world.client.post("/capture", json=chain_document(), headers=platform.headers)
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda e: e.pop("eventTime"), "eventTime"),
        (lambda e: e.update(action="MOVE"), "action"),
        (
            lambda e: e["quantityList"][0].update(
                epcClass="https://id.gs1.org/01/06901234000109/10/X"
            ),
            "quantityList[0].epcClass",
        ),
    ],
)
def test_post_event_rejects_invalid_event_naming_field(
    world: World, trace_parties: TraceParties, mutate: Any, field: str
) -> None:
    event = copy.deepcopy(_events()[0]) | {"@context": chain_document()["@context"]}
    mutate(event)
    response = world.client.post("/events", json=event, headers=trace_parties.producer.headers)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


def test_capture_rejects_non_document_synchronously(
    world: World, trace_parties: TraceParties
) -> None:
    body = {"type": "EPCISDocument", "schemaVersion": "2.0"}
    response = _post_capture(world, trace_parties.producer, body)
    assert response.status_code == 422
    assert response.json()["field"] == "@context"
    with Session(world.runtime.engine) as session:
        assert session.exec(select(CaptureJobRecord)).all() == []


def test_capture_rejects_unknown_error_behaviour(world: World, trace_parties: TraceParties) -> None:
    response = _post_capture(world, trace_parties.producer, chain_document(), "ignore")
    assert response.status_code == 400
    assert response.json()["field"] == "GS1-Capture-Error-Behaviour"


def test_capture_refuses_oversized_body(world: World, trace_parties: TraceParties) -> None:
    document = sub_document([_events()[0]] * 200)
    response = _post_capture(world, trace_parties.producer, document)
    assert response.status_code == 413


def test_capture_refuses_envelope_signed_by_another_party(
    world: World, trace_parties: TraceParties
) -> None:
    envelope = trace_parties.producer.envelope("epcis-event", sub_document(_events()[:1]))
    response = _post_capture(world, trace_parties.warehouse, envelope)
    assert response.status_code == 403
    assert response.json()["field"] == "payload.party"


def test_capture_job_is_private_to_its_party(world: World, trace_parties: TraceParties) -> None:
    producer = trace_parties.producer
    response = _post_capture(world, producer, sub_document(_events()[:1]))
    other = world.client.get(response.headers["Location"], headers=trace_parties.warehouse.headers)
    assert other.status_code == 404


def test_capture_order_independent_container_links(
    world: World, trace_parties: TraceParties
) -> None:
    events = _events()
    shipping, packing = events[4], events[3]
    logistics, producer = trace_parties.logistics, trace_parties.producer
    _job(world, logistics, _post_capture(world, logistics, sub_document([shipping])))
    _job(world, producer, _post_capture(world, producer, sub_document([packing])))
    case_lane = f"lot:{lot_id(IDS.gtin, IDS.lot).hex()}"
    with Session(world.runtime.engine) as session:
        rows = session.exec(select(OutboxRecord).where(OutboxRecord.lane == case_lane)).all()
    assert len(rows) == 2  # the shipping of the pallet was linked once the packing arrived
