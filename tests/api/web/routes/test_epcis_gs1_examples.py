"""GS1's own EPCIS 2.0 example documents: each one the official schema accepts is captured.

The examples (tests/data/epcis/gs1-examples, from github.com/gs1/EPCIS) are first
validated by the official JSON Schema, then captured by one party holding every role
that owns their company prefixes and their locations, as a brand owner would.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import World, WorldStage, stage_fixtures
from tests.api.factories import Actor
from tests.traceability.epcis.official_schema import schema_errors
from traceability.epcis import parse_event, parse_link
from traceability.epcis.model import Event

EXAMPLES = Path(__file__).parents[3] / "data" / "epcis" / "gs1-examples"
DOCUMENTS = sorted(
    p
    for p in EXAMPLES.rglob("*.jsonld")
    if json.loads(p.read_text(encoding="utf-8")).get("type") == "EPCISDocument"
)
ALL_ROLES = ["producer", "inspector", "logistics", "warehouse"]


def _load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def _events(document: dict[str, Any]) -> list[Event]:
    return [
        parse_event(e, context=document["@context"]) for e in document["epcisBody"]["eventList"]
    ]


def _identifiers(event: Event) -> list[str]:
    classes = (
        *event.quantities,
        *event.child_quantities,
        *event.input_quantities,
        *event.output_quantities,
    )
    return [
        *event.epcs,
        *event.child_epcs,
        *event.input_epcs,
        *event.output_epcs,
        *([event.parent_id] if event.parent_id else []),
        *(q.epc_class for q in classes),
    ]


def _owned(events: list[Event]) -> tuple[set[str], set[str]]:
    """The company prefixes of the GTINs the events name, and the GLNs where they happen."""
    prefixes, glns = set(), set()
    for event in events:
        for value in _identifiers(event):
            link = parse_link(value)
            if link is not None and link.key_ai == "01":
                prefixes.add(link.key[1:8])
        for place in (event.read_point, event.biz_location):
            link = parse_link(place) if place else None
            if link is not None and link.key_ai == "414":
                glns.add(link.key)
    return prefixes, glns


def test_the_copied_examples_are_the_gs1_set() -> None:
    assert len(DOCUMENTS) == 46
    assert (EXAMPLES / "SOURCE.md").exists()


def _register_owner(world: World) -> Actor:
    return world.actor("gs1-example", ALL_ROLES)


#: The party holding every role, registered once per backend; each test makes it the owner
#: of the prefixes and places its example names.
world_stage, owner = stage_fixtures("owner", WorldStage("the GS1 examples' owner", _register_owner))


def _own(world: World, owner: Actor, document: dict[str, Any]) -> None:
    """Make ``owner`` the owner of the example's company prefixes and places."""
    prefixes, glns = _owned(_events(document))
    for route, body in (
        ("locations", {"glns": sorted(glns)}),
        ("company-prefixes", {"prefixes": sorted(prefixes)}),
    ):
        if not next(iter(body.values())):
            continue  # the example names no GTIN (or no GLN): nothing to own
        response = world.client.put(
            f"/parties/{owner.code}/{route}", json=body, headers=world.admin
        )
        assert response.status_code == 200, response.text


def _capture(world: World, owner: Actor, document: dict[str, Any]) -> dict[str, Any]:
    response = world.client.post("/capture", json=document, headers=owner.headers)
    assert response.status_code == 202, response.text
    job: dict[str, Any] = world.client.get(
        response.headers["Location"], headers=owner.headers
    ).json()
    return job


def _stored(world: World, owner: Actor) -> list[dict[str, Any]]:
    """Every stored event, read back as a query document the official schema accepts."""
    answer = world.client.get("/events", params={"perPage": "100"}, headers=owner.headers)
    assert answer.status_code == 200, answer.text
    assert schema_errors(answer.json()) == []
    events: list[dict[str, Any]] = answer.json()["epcisBody"]["queryResults"]["resultsBody"][
        "eventList"
    ]
    return events


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_every_gs1_example_the_schema_accepts_is_captured(
    world: World, owner: Actor, path: Path
) -> None:
    document = _load(path)
    assert schema_errors(document) == []
    _own(world, owner, document)
    job = _capture(world, owner, document)
    assert job["errors"] == []
    count = len(document["epcisBody"]["eventList"])
    assert job["counts"] == {"events": count, "captured": count, "duplicates": 0, "rejected": 0}
    assert len(_stored(world, owner)) == count


def test_gs1_error_declaration_example_keeps_the_declared_event_and_its_declaration(
    world: World, owner: Actor
) -> None:
    document = _load(
        EXAMPLES
        / "WithErrorDeclaration"
        / "Example_9.6.1-ObjectEvent-with-error-declaration.jsonld"
    )
    _own(world, owner, document)
    declared = copy.deepcopy(document["epcisBody"]["eventList"][0])
    declaration = declared.pop("errorDeclaration")
    original = document | {"epcisBody": {"eventList": [declared]}}
    assert _capture(world, owner, original)["counts"]["captured"] == 1
    job = _capture(world, owner, document)  # the declaration and the corrective event
    assert job["errors"] == []
    assert job["counts"] == {"events": 2, "captured": 2, "duplicates": 0, "rejected": 0}
    under_id = [e for e in _stored(world, owner) if e["eventID"] == declared["eventID"]]
    assert [e.get("errorDeclaration") for e in under_id] == [None, declaration]
