"""The lot's verification material (``sandan-lot/1``) and the page's pointer to the verifier."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import event as sa_event
from sqlmodel import Session, select

from api.db.trace_models import TraceEventRecord
from tests.api.conftest import World
from tests.api.trace_fixtures import (
    LOT_PATH,
    TraceParties,
    chain_document,
    sub_document,
)
from traceability.epcis import event_hash_bytes
from traceability.epcis.hashing import DEFAULT_PROFILE

BASE = "http://testserver"
JSON = {"Accept": "application/json"}


def _material(world: World) -> dict[str, Any]:
    response = world.client.get(LOT_PATH, headers=JSON)
    assert response.status_code == 200, response.text
    return dict(response.json()["verification"])


def test_lot_json_carries_the_verification_material(world: World, captured: TraceParties) -> None:
    # One captured lot for the shape, the events, the envelopes and the cache: capturing costs.
    body = _read_twice_reading_envelopes_once(world)
    _check_shape(world, body)
    _check_events_as_captured(world, body["verification"])
    _check_envelopes(captured, body["verification"])


def _check_shape(world: World, body: dict[str, Any]) -> None:
    material = body["verification"]
    # sandan's own conclusion stays beside the material.
    assert (material["total"], material["verified"], material["allVerified"]) == (8, 8, True)
    deployment = world.ledger.deployment
    assert material["format"] == "sandan-lot/1"
    assert material["chain"] == {
        "chainId": world.ledger.chain_id,
        "traceRegistry": deployment.trace_registry.address,
        "partyRegistry": deployment.party_registry.address,
    }
    assert material["lotId"] == body["lotId"]
    assert [e["eventHash"] for e in material["events"]] == [e["eventHash"] for e in body["events"]]
    assert {tuple(sorted(e)) for e in material["events"]} == {
        ("anchor", "context", "envelopeHash", "event", "eventHash", "hashProfile")
    }
    assert {e["hashProfile"] for e in material["events"]} == {DEFAULT_PROFILE}
    assert {tuple(sorted(e["anchor"])) for e in material["events"]} == {
        ("batchId", "blockNumber", "proof", "root", "txHash")
    }


def _check_events_as_captured(world: World, material: dict[str, Any]) -> None:
    with Session(world.runtime.engine) as session:
        rows = {r.event_hash: r for r in session.exec(select(TraceEventRecord)).all()}
    context = chain_document()["@context"]
    for entry in material["events"]:
        row = rows[entry["eventHash"]]
        assert entry["event"] == json.loads(row.event_json)
        assert entry["context"] == context
        assert entry["hashProfile"] == row.hash_profile
        recomputed = event_hash_bytes(
            entry["event"], context=entry["context"], profile=entry["hashProfile"]
        )
        assert recomputed.hex() == entry["eventHash"]
        assert entry["anchor"]["txHash"].startswith("0x")
        assert entry["envelopeHash"] == row.envelope_hash


def _check_envelopes(captured: TraceParties, material: dict[str, Any]) -> None:
    used = {e["envelopeHash"] for e in material["events"]}
    assert set(material["envelopes"]) == used
    assert len(used) == 4  # one signed capture per party
    for digest, entry in material["envelopes"].items():
        payload = entry["envelope"]["payload"]
        actor = captured.by_role(payload["party"].removesuffix("-1"))
        assert entry["publicKey"] == {
            "keyId": payload["keyId"],
            "party": actor.code,
            "alg": entry["envelope"]["alg"],
            "publicKey": actor.signing_key.public_key,
        }
        assert payload["docType"] == "epcis-event"
        held = payload["document"]["epcisBody"]["eventList"]
        mine = [e["event"] for e in material["events"] if e["envelopeHash"] == digest]
        assert all(event in held for event in mine)


def test_lot_json_anchor_is_null_while_pending(world: World, trace_parties: TraceParties) -> None:
    producer = trace_parties.producer
    event = chain_document()["epcisBody"]["eventList"][1]
    body = producer.envelope("epcis-event", sub_document([event]))
    response = world.client.post("/capture", json=body, headers=producer.headers)
    assert response.status_code == 202
    (entry,) = _material(world)["events"]
    assert entry["anchor"] is None
    assert entry["envelopeHash"] is not None


def test_lot_json_unsigned_event_has_no_envelope(world: World, trace_parties: TraceParties) -> None:
    event = chain_document()["epcisBody"]["eventList"][1]
    producer = trace_parties.producer
    response = world.client.post("/capture", json=sub_document([event]), headers=producer.headers)
    assert response.status_code == 202
    material = _material(world)
    assert [e["envelopeHash"] for e in material["events"]] == [None]
    assert material["envelopes"] == {}


def _read_twice_reading_envelopes_once(world: World) -> dict[str, Any]:
    """The lot's JSON; a warm lot costs no envelope query (kept by their content hash)."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa_event.listen(world.runtime.engine, "before_cursor_execute", record)
    try:
        first = world.client.get(LOT_PATH, headers=JSON).json()
        envelope_reads = sum("trace_envelope" in s for s in statements)
        statements.clear()
        assert world.client.get(LOT_PATH, headers=JSON).json() == first
    finally:
        sa_event.remove(world.runtime.engine, "before_cursor_execute", record)
    assert envelope_reads == 1
    assert not any("trace_envelope" in s for s in statements)
    return dict(first)


def test_page_names_the_chain_and_links_to_the_verifier(
    world: World, captured: TraceParties
) -> None:
    deployment = world.ledger.deployment
    trace, party = deployment.trace_registry.address, deployment.party_registry.address
    for lang, words in (("en", "Check this lot yourself"), ("zh", "自行验证此批次")):
        page = world.client.get(LOT_PATH + f"?lang={lang}").text
        assert words in page
        assert f'<code data-testid="chain-id">{world.ledger.chain_id}</code>' in page
        assert f'<code data-testid="trace-registry">{trace}</code>' in page
        assert f'<code data-testid="party-registry">{party}</code>' in page
    href = page.split('data-testid="verify-link"')[0].rsplit('href="', 1)[1].split('"', 1)[0]
    link = urlsplit(href.replace("&amp;", "&"))
    assert link.path == "/verify"
    assert "%2F01%2F" in link.query  # the lot URL travels encoded, not as a second path
    assert parse_qs(link.query) == {"lot": [BASE + LOT_PATH], "registry": [trace, party]}
