"""EPCIS queries: the standard filters and cursor paging."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.api.conftest import World, WorldStage
from tests.api.trace_fixtures import CAPTURED_UNSIGNED, IDS, TraceParties
from tests.traceability.epcis.official_schema import schema_errors


@pytest.fixture
def world_stage() -> WorldStage[TraceParties]:
    return CAPTURED_UNSIGNED


@pytest.fixture
def captured(world: World) -> TraceParties:
    """The four parties, after they captured the sample chain unsigned and it was anchored."""
    return CAPTURED_UNSIGNED.of(world)


def _query(world: World, parties: TraceParties, params: Any) -> Any:
    response = world.client.get("/events", params=params, headers=parties.warehouse.headers)
    if response.status_code == 200:
        assert schema_errors(response.json()) == []  # every query answer, by the official schema
    return response


def _steps(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    events = response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return [e.get("bizStep") for e in events]


LOT = f"https://id.gs1.org/01/{IDS.gtin}/10/{IDS.lot}"
SSCC = f"https://id.gs1.org/00/{IDS.sscc}"


@pytest.mark.parametrize(
    ("params", "steps"),
    [
        ({"eventType": "AggregationEvent"}, ["packing"]),
        ({"eventType": "TransformationEvent,AggregationEvent"}, ["commissioning", "packing"]),
        ({"EQ_bizStep": "shipping"}, ["shipping"]),
        ({"EQ_bizStep": "urn:epcglobal:cbv:bizstep:storing"}, ["storing"]),
        ({"EQ_disposition": "retail_sold"}, ["retail_selling"]),
        ({"MATCH_epc": SSCC}, ["shipping", "receiving", "storing"]),
        ({"MATCH_anyEPC": SSCC}, ["packing", "shipping", "receiving", "storing"]),
        ({"MATCH_epcClass": LOT}, ["inspecting", "packing", "retail_selling"]),
        ({"MATCH_anyEPCClass": LOT}, ["commissioning", "inspecting", "packing", "retail_selling"]),
        (
            {"MATCH_epcClass": f"urn:epc:class:lgtin:6901234.012345.{IDS.lot}"},
            ["inspecting", "packing", "retail_selling"],
        ),
        ({"EQ_bizLocation": f"https://id.gs1.org/414/{IDS.warehouse}"}, ["receiving", "storing"]),
        ({"EQ_readPoint": f"https://id.gs1.org/414/{IDS.lab}"}, ["inspecting"]),
        ({"GE_eventTime": "2024-11-29T00:00:00Z"}, ["receiving", "storing", "retail_selling"]),
        ({"LT_eventTime": "2024-11-06T00:00:00+08:00"}, ["commissioning"]),
        ({"GE_recordTime": "2000-01-01T00:00:00Z", "EQ_bizStep": "packing"}, ["packing"]),
    ],
)
def test_query_events_filters(
    world: World, captured: TraceParties, params: Any, steps: list[str]
) -> None:
    assert sorted(_steps(_query(world, captured, params))) == sorted(steps)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"EQ_colour": "orange"}, "EQ_colour"),
        ({"eventType": "BogusEvent"}, "eventType"),
        ({"GE_eventTime": "tomorrow"}, "GE_eventTime"),
        ({"perPage": "0"}, "perPage"),
        ({"nextPageToken": "not-a-token"}, "nextPageToken"),
    ],
)
def test_query_events_rejects_bad_parameters(
    world: World, captured: TraceParties, params: Any, field: str
) -> None:
    response = _query(world, captured, params)
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_query_events_pages_in_the_link_header_only(world: World, captured: TraceParties) -> None:
    seen: list[str] = []
    params: Any = {"perPage": "3"}
    pages = 0
    while True:
        response = _query(world, captured, params)
        assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
        body = response.json()
        assert "nextPageToken" not in body  # the schema allows no such top-level property
        seen += [
            e["eventID"] for e in body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        ]
        pages += 1
        if "Link" not in response.headers:
            break
        target, relation = response.headers["Link"].split(";", 1)
        assert relation.strip() == 'rel="next"'
        url = urlsplit(target.strip().removeprefix("<").removesuffix(">"))
        assert url.path == "/events"
        params = parse_qsl(url.query)
        assert ("perPage", "3") in params
    assert pages == 3
    assert len(seen) == len(set(seen)) == 8


def test_query_events_needs_api_key(world: World, captured: TraceParties) -> None:
    assert world.client.get("/events").status_code == 401


def test_read_event_by_hash_id(world: World, captured: TraceParties) -> None:
    page = _query(world, captured, {"EQ_bizStep": "inspecting"}).json()
    event = page["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0]
    response = world.client.get(f"/events/{event['eventID']}", headers=captured.producer.headers)
    assert response.status_code == 200
    assert response.json()["certificationInfo"] == event["certificationInfo"]
    missing = world.client.get(
        "/events/ni:///sha-256;00?ver=CBV2.0", headers=captured.producer.headers
    )
    assert missing.status_code == 404
