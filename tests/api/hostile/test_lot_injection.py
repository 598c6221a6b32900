"""Issue 12 finding 5: no party can inject events into a lot it never held.

The lot rule (:mod:`api.services.trace.policy`): the GTIN's brand owner, the
custody chain the lot's own accepted events establish, parties at places the lot
has been, and inspectors' observations. Anything else is refused at capture, and
an unsigned event is "recorded, not signed": never verified, never in the lineage.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from biip.checksums import gs1_standard_check_digit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from api.db.trace_models import TraceEventLotRecord, TraceEventRecord
from tests.api.conftest import World, WorldStage, stage_by_fixture
from tests.api.factories import Actor
from tests.api.trace_fixtures import (
    CAPTURED,
    IDS,
    LOT_PATH,
    START,
    TRACE_PARTIES,
    TraceParties,
    capture_chain,
    chain_document,
    sub_document,
)

CONTEXT = chain_document()["@context"]
JSON = {"Accept": "application/json"}
#: A GLN of a second logistics company, that the sample lot never goes near.
OTHER_PORT = "6901234000054"
LOT_CLASS = f"https://id.gs1.org/01/{IDS.gtin}/10/{IDS.lot}"


@pytest.fixture
def world_stage(request: pytest.FixtureRequest) -> WorldStage[Any] | None:
    """A test that reads the captured sample chain (``captured``) starts from the world where
    it was captured and anchored once; one that needs the four parties only (``parties``)
    from the world where they were registered."""
    return stage_by_fixture(request, [("captured", CAPTURED), ("parties", TRACE_PARTIES)])


@pytest.fixture
def parties(world: World) -> TraceParties:
    """The sample chain's four parties (the producer owns the GTINs), registered with their
    locations."""
    return TRACE_PARTIES.of(world)


@pytest.fixture
def captured(world: World) -> TraceParties:
    """The four parties, after they captured the signed sample chain and it was anchored."""
    return CAPTURED.of(world)


def _located(world: World, code: str, role: str, glns: list[str], **kw: Any) -> Actor:
    actor = world.actor(code, [role], **kw)
    response = world.client.put(
        f"/parties/{code}/locations", json={"glns": glns}, headers=world.admin
    )
    assert response.status_code == 200, response.text
    return actor


def _outsider(world: World) -> Actor:
    """A registered logistics company with its own port: it never held the sample lot."""
    return _located(world, "logistics-x", "logistics", [OTHER_PORT])


def _event(step: str, where: str, *, what: str = LOT_CLASS, hours: float = 0, **extra: Any) -> Any:
    """An ObjectEvent of ``step`` at GLN ``where``, ``hours`` after the sample harvest."""
    moment = (START + timedelta(hours=hours)).isoformat(timespec="milliseconds")
    listed = {"epcList": [what]} if "/00/" in what else {"quantityList": [{"epcClass": what}]}
    return {
        "type": "ObjectEvent",
        "eventTime": moment,
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "bizStep": step,
        "readPoint": {"id": f"https://id.gs1.org/414/{where}"},
        "bizLocation": {"id": f"https://id.gs1.org/414/{where}"},
        **listed,
        **extra,
    }


def _post(world: World, actor: Actor, event: Any, *, signed: bool) -> Any:
    body = event | {"@context": CONTEXT}
    body = actor.envelope("epcis-event", body) if signed else body
    return world.client.post("/events", json=body, headers=actor.headers)


def _lot_json(world: World, path: str = LOT_PATH) -> dict[str, Any]:
    response = world.client.get(path, headers=JSON)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _shown(lot: dict[str, Any]) -> dict[str, Any]:
    """What the consumer sees of a lot: the badge, the stages and the findings."""
    summary = lot["verification"]
    return {
        "verified": summary["verified"],
        "allVerified": summary["allVerified"],
        "complete": lot["complete"],
        "findings": lot["findings"],
        "stages": lot["stages"],
    }


# --- the exact attack -------------------------------------------------------------------------


def test_outsider_unsigned_shipping_is_refused_and_the_lot_unchanged(
    world: World, captured: TraceParties
) -> None:
    before = _lot_json(world)
    assert before["complete"], before["findings"]
    assert before["verification"]["allVerified"]
    attacker = _outsider(world)
    # Shipped "before" the harvest, from a port the lot never saw: "incomplete, time reversed".
    shipping = _event("shipping", OTHER_PORT, hours=-10, disposition="in_transit")
    response = _post(world, attacker, shipping, signed=False)
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["error"] == "lot_not_held"
    assert body["field"] == "quantityList"
    assert f"lot {IDS.lot} of GTIN {IDS.gtin}" in body["message"]
    assert "never held it" in body["message"]
    world.worker.drain()
    after = _lot_json(world)
    assert _shown(after) == _shown(before)
    assert len(after["events"]) == len(before["events"])
    page = world.client.get(LOT_PATH).text
    assert f"{before['verification']['verified']} of {before['verification']['total']}" in page


def test_outsider_capture_document_reports_each_lot_it_may_not_touch(
    world: World, captured: TraceParties
) -> None:
    attacker = _outsider(world)
    document = sub_document([_event("shipping", OTHER_PORT, hours=50)])
    response = world.client.post("/capture", json=document, headers=attacker.headers)
    assert response.status_code == 202, response.text
    job = world.client.get(response.headers["Location"], headers=attacker.headers).json()
    assert not job["success"]
    assert job["counts"]["captured"] == 0
    (error,) = job["errors"]
    assert (error["error"], error["status"]) == ("lot_not_held", 403)
    assert error["field"] == "epcisBody.eventList[0].quantityList"


def test_outsider_event_naming_the_pallet_is_refused(world: World, captured: TraceParties) -> None:
    pallet = f"https://id.gs1.org/00/{IDS.sscc}"
    response = _post(
        world, _outsider(world), _event("arriving", OTHER_PORT, what=pallet, hours=60), signed=True
    )
    assert response.status_code == 403, response.text
    assert response.json()["field"] == "epcList"


def test_outsider_event_naming_the_pallet_before_its_packing_never_joins_the_lot(
    world: World, parties: TraceParties
) -> None:
    """Naming the pallet first must not get the outsider linked by the packing later."""
    pallet = f"https://id.gs1.org/00/{IDS.sscc}"
    early = _post(
        world, _outsider(world), _event("shipping", OTHER_PORT, what=pallet, hours=40), signed=True
    )
    assert early.status_code == 201, early.text  # no lot is in the pallet yet: nothing to judge
    capture_chain(world, parties)
    with Session(world.runtime.engine) as session:
        record = session.exec(
            select(TraceEventRecord).where(TraceEventRecord.captured_by == "logistics-x")
        ).one()
        links = session.exec(
            select(TraceEventLotRecord).where(TraceEventLotRecord.event_id == record.id)
        ).all()
    assert links == []
    lot = _lot_json(world)
    assert all(e["capturedBy"] != "logistics-x" for e in lot["events"])
    assert lot["complete"], lot["findings"]
    assert lot["verification"]["allVerified"]


def test_outsider_may_not_unpack_the_lot_from_its_pallet(
    world: World, parties: TraceParties
) -> None:
    """An unpacking naming no child would take the lot out of the pallet, and every later
    event of the pallet (the warehouse's) off the lot."""
    pallet = f"https://id.gs1.org/00/{IDS.sscc}"
    unpack = _event("unloading", OTHER_PORT, what=pallet, hours=40) | {
        "type": "AggregationEvent",
        "action": "DELETE",
        "parentID": pallet,
    }
    del unpack["epcList"]
    document = chain_document()["epcisBody"]["eventList"]
    producer_events = [e for e in document if e["bizStep"] in ("commissioning", "packing")]
    assert _post_document(world, parties.producer, producer_events)["success"]
    response = _post(world, _outsider(world), unpack, signed=True)
    assert response.status_code == 403, response.text
    assert (response.json()["error"], response.json()["field"]) == ("lot_not_held", "parentID")
    capture_chain(world, parties)
    lot = _lot_json(world)
    assert lot["complete"], lot["findings"]
    assert lot["verification"]["allVerified"]


def _post_document(world: World, actor: Actor, events: list[Any]) -> dict[str, Any]:
    body = actor.envelope("epcis-event", sub_document(events))
    response = world.client.post("/capture", json=body, headers=actor.headers)
    assert response.status_code == 202, response.text
    return dict(world.client.get(response.headers["Location"], headers=actor.headers).json())


def test_signed_event_of_a_party_outside_the_custody_chain_is_refused(
    world: World, captured: TraceParties
) -> None:
    response = _post(
        world, _outsider(world), _event("receiving", OTHER_PORT, hours=70), signed=True
    )
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "lot_not_held"


# --- who may -----------------------------------------------------------------------------------


def test_custody_hand_over_lets_the_receiver_record_and_counts_it(
    world: World, parties: TraceParties
) -> None:
    """Producer commissions a new lot and ships it to B's port; B's receiving is accepted."""
    receiver = _located(world, "logistics-b", "logistics", [OTHER_PORT])
    lot = f"https://id.gs1.org/01/{IDS.gtin}/10/HANDOVER1"
    farm = IDS.farm
    commissioning = _event("commissioning", farm, what=lot, action="ADD")
    before = _post(world, receiver, _event("receiving", OTHER_PORT, what=lot, hours=5), signed=True)
    assert before.status_code == 403, before.text  # not (yet) in the custody chain
    assert _post(world, parties.producer, commissioning, signed=True).status_code == 201
    to_b = [{"type": "location", "destination": f"https://id.gs1.org/414/{OTHER_PORT}"}]
    packing = _event("packing", IDS.packhouse, what=lot, hours=2, destinationList=to_b)
    assert _post(world, parties.producer, packing, signed=True).status_code == 201
    received = _post(
        world, receiver, _event("receiving", OTHER_PORT, what=lot, hours=5), signed=True
    )
    assert received.status_code == 201, received.text
    world.worker.drain()
    shown = _lot_json(world, f"/01/{IDS.gtin}/10/HANDOVER1")
    assert shown["verification"]["verified"] == 3
    assert shown["verification"]["allVerified"]
    by_receiver = [e for e in shown["events"] if e["capturedBy"] == "logistics-b"]
    assert by_receiver[0]["verification"]["status"] == "verified"
    assert by_receiver[0]["stage"] == "warehouse"


def test_brand_owner_may_always_record(world: World, captured: TraceParties) -> None:
    # Long after the lot left for Rotterdam, the cooperative still records of its own GTIN.
    repack = _event("repackaging", IDS.packhouse, hours=24 * 30)
    response = _post(world, captured.producer, repack, signed=True)
    assert response.status_code == 201, response.text


def test_party_at_a_registered_location_of_the_chain_may_record(
    world: World, captured: TraceParties
) -> None:
    # A second warehouse company runs the shop the lot was sold at.
    shop = _located(world, "warehouse-2", "warehouse", [IDS.store])
    counted = _post(world, shop, _event("stock_taking", IDS.store, hours=24 * 28), signed=True)
    assert counted.status_code == 201, counted.text
    elsewhere = _located(world, "warehouse-3", "warehouse", ["8712345000301"])
    refused = _post(
        world, elsewhere, _event("stock_taking", "8712345000301", hours=24 * 28), signed=True
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"] == "lot_not_held"


def test_an_event_of_several_lots_is_refused_for_the_one_the_party_never_held(
    world: World, captured: TraceParties
) -> None:
    other = f"https://id.gs1.org/01/{IDS.gtin}/10/NOTHELD1"
    both = _event("shipping", IDS.port, hours=50)
    both["quantityList"].append({"epcClass": other})
    response = _post(world, captured.logistics, both, signed=True)
    assert response.status_code == 403, response.text
    assert "lot NOTHELD1" in response.json()["message"]
    alone = _post(world, captured.logistics, _event("shipping", IDS.port, hours=50), signed=True)
    assert alone.status_code == 201, alone.text  # the lot it holds, on its own, is fine


def test_nobody_but_the_brand_owner_may_start_a_lot(world: World, parties: TraceParties) -> None:
    lot = f"https://id.gs1.org/01/{IDS.gtin}/10/FRESH1"
    response = _post(world, parties.logistics, _event("shipping", IDS.port, what=lot), signed=True)
    assert response.status_code == 403, response.text
    assert "only its brand owner (producer-1) may start it" in response.json()["message"]


# --- unsigned events: recorded, not signed ----------------------------------------------------


def test_unsigned_event_of_a_custody_party_is_recorded_not_signed_and_changes_no_finding(
    world: World, captured: TraceParties
) -> None:
    before = _lot_json(world)
    late = _event("shipping", IDS.port, hours=-5, disposition="in_transit")  # "before" harvest
    response = _post(world, captured.logistics, late, signed=False)
    assert response.status_code == 201, response.text
    world.worker.drain()
    after = _lot_json(world)
    assert _shown(after) | {"allVerified": True} == _shown(before)
    assert not after["verification"]["allVerified"]
    assert after["verification"]["total"] == before["verification"]["total"] + 1
    (unsigned,) = [e for e in after["events"] if not e["signed"]]
    assert unsigned["verification"]["status"] == "unsigned"
    assert unsigned["verification"]["verified"] is False
    assert unsigned["verification"]["message"].startswith("recorded, not signed")
    assert unsigned["stage"] is None
    page = world.client.get(LOT_PATH, params={"lang": "en"}).text
    assert "recorded, not signed" in page
    assert "已记录，未签名" in world.client.get(LOT_PATH, params={"lang": "zh"}).text
    # The offline verifier agrees: that event is not authentic provenance, the lot not verified.
    report = _verify_offline(world, after)
    assert not report.verified
    failed = {c.name for c in report.checks if not c.ok}
    (label,) = {name.rsplit(":", 1)[0] for name in failed}
    assert label.startswith("event 1 (shipping, ")  # the unsigned one, first in time
    assert any(name.endswith(": signed") for name in failed)


def _verify_offline(world: World, lot: dict[str, Any]) -> Any:
    """``sandan verify-lot`` of the lot JSON on this chain, pinning this deployment."""
    from api.services.live_verify import provider_rpc
    from api.verify.lot import verify_lot
    from api.verify.lot_chain import RpcLotChain
    from api.verify.lot_input import lot_material
    from api.verify.trust import load_trust_roots

    material = lot_material(lot)
    ledger = world.ledger
    registries = [ledger.deployment.trace_registry.address, ledger.party_registry_address]
    rpc = provider_rpc(ledger.w3)
    chain = RpcLotChain(
        rpc,
        trace_registry=registries[0],
        party_registry=registries[1],
        material=material,
    )
    trust = load_trust_roots(registries=registries)
    return verify_lot(material, chain, chain_id=ledger.w3.eth.chain_id, trust=trust)


# --- company prefixes: the brand owner's registration ------------------------------------------


@pytest.mark.parametrize(
    ("prefixes", "status", "field"),
    [
        (["69"], 422, "prefixes.0"),  # fewer than 4 digits
        (["69012345678901"], 422, "prefixes.0"),  # more than 12: that is a GTIN
        (["6901 234"], 422, "prefixes.0"),
        (["690123"], 409, "prefixes[0]"),  # would own producer-1's GTINs too
        (["69012341"], 409, "prefixes[0]"),  # inside producer-1's prefix
    ],
)
def test_company_prefix_registration_is_checked(
    world: World, parties: TraceParties, prefixes: list[str], status: int, field: str
) -> None:
    response = world.client.put(
        "/parties/logistics-1/company-prefixes", json={"prefixes": prefixes}, headers=world.admin
    )
    assert response.status_code == status, response.text
    assert response.json()["field"] == field


def test_company_prefixes_are_registered_by_the_administrator_only(
    world: World, parties: TraceParties
) -> None:
    body = {"prefixes": ["6901234"], "transfer": True}
    own = world.client.put(
        "/parties/logistics-1/company-prefixes", json=body, headers=parties.logistics.headers
    )
    assert own.status_code in (401, 403), own.text


# --- property: random parties, random events ---------------------------------------------------

#: GLN of each insider of the property test (by role), and role and GLN of each outsider.
INSIDERS = {"producer": IDS.farm, "logistics": IDS.port, "warehouse": IDS.warehouse}
OUTSIDERS = {
    "logistics-x": ("logistics", OTHER_PORT),
    "warehouse-x": ("warehouse", "8712345000301"),
}
STEPS = {"producer": "repackaging", "logistics": "shipping", "warehouse": "receiving"}

action = st.tuples(
    st.sampled_from([*INSIDERS, *OUTSIDERS]),  # who
    st.booleans(),  # signed
    st.sampled_from([*INSIDERS, *OUTSIDERS]),  # whom its destinationList names
    st.integers(min_value=-48, max_value=48),  # hours from the harvest
    st.booleans(),  # names the pallet rather than the lot
)


@pytest.fixture
def cast(world: World, parties: TraceParties) -> dict[str, Actor]:
    """The insiders and the two outsiders of the property test (shared by its examples)."""
    actors = {"producer": parties.producer, "logistics": parties.logistics}
    actors["warehouse"] = parties.warehouse
    for code, (role, gln) in OUTSIDERS.items():
        actors[code] = _located(world, code, role, [gln])
    return actors


_LOTS = itertools.count(1)


def _sscc(serial: int) -> str:
    digits = f"06901234{serial:09d}"
    return digits + str(gs1_standard_check_digit(digits))


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(action, min_size=1, max_size=6))
def test_outsider_events_never_count_as_verified_provenance(
    world: World, cast: dict[str, Actor], actions: list[Any]
) -> None:
    serial = next(_LOTS)  # each example its own lot and pallet (the world is shared)
    lot = f"https://id.gs1.org/01/{IDS.gtin}/10/PROP{serial}"
    pallet = f"https://id.gs1.org/00/{_sscc(serial)}"
    producer = cast["producer"]
    start = _event("commissioning", IDS.farm, what=lot, action="ADD")
    assert _post(world, producer, start, signed=True).status_code == 201
    pack = _event("packing", IDS.packhouse, what=lot, hours=1, action="ADD")
    del pack["quantityList"]
    pack |= {
        "type": "AggregationEvent",
        "parentID": pallet,
        "childQuantityList": [{"epcClass": lot}],
    }
    assert _post(world, producer, pack, signed=True).status_code == 201
    for who, signed, whom, hours, on_pallet in actions:
        role, where = (who, INSIDERS[who]) if who in INSIDERS else OUTSIDERS[who]
        to = INSIDERS.get(whom) or OUTSIDERS[whom][1]
        if who in INSIDERS and whom in OUTSIDERS:
            to = where  # insiders hand the lot to insiders only
        event = _event(
            STEPS[role],
            IDS.packhouse if role == "producer" else where,
            what=pallet if on_pallet else lot,
            hours=hours,
            destinationList=[{"type": "location", "destination": f"https://id.gs1.org/414/{to}"}],
        )
        _post(world, cast[who], event, signed=signed)
    world.worker.drain()
    shown = _lot_json(world, f"/01/{IDS.gtin}/10/PROP{serial}")
    for event in shown["events"]:
        assert event["capturedBy"] not in OUTSIDERS, event
        if event["verification"]["verified"]:
            assert event["signed"], event
    counted = [e for e in shown["events"] if e["verification"]["verified"]]
    assert shown["verification"]["verified"] == len(counted)
