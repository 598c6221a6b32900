"""A trade's timeline and the CEB messages sandan sends for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.receipt_schemas import TimelineEntry
from api.services import timeline
from tests.api.conftest import World, WorldStage, stage_by_fixture
from tests.api.factories import Actor
from tests.api.web.routes.receipt_kit import (
    import_trade,
    post_receipt,
    receipt_xml,
)
from tests.api.web.routes.test_documents_xml import DATA, XML_PARTIES, post_xml, submit_sample_trade
from tests.api.web.routes.test_trade_flow import FLOW_PARTIES
from tests.traceability.ceb.official_xsd import xsd_errors
from traceability.ceb import CustomsStatus, read_message
from traceability.trade import samples


@pytest.fixture
def world_stage(request: pytest.FixtureRequest) -> WorldStage[Any] | None:
    return stage_by_fixture(request, [("parties", FLOW_PARTIES), ("xml_parties", XML_PARTIES)])


@pytest.fixture
def parties(world: World) -> dict[str, Actor]:
    return dict(FLOW_PARTIES.of(world))


@pytest.fixture
def xml_parties(world: World) -> dict[str, Actor]:
    return dict(XML_PARTIES.of(world))


def _timeline(world: World, trade_id: str, actor: Actor) -> list[dict[str, Any]]:
    response = world.client.get(f"/trades/{trade_id}/timeline", headers=actor.headers)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def test_timeline_lists_the_trade_life_in_time_order_with_transactions(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = import_trade(world, parties)
    accepted = receipt_xml(world, trade_id, "CEB312", now=datetime.now(UTC) - timedelta(seconds=1))
    assert post_receipt(world, parties["customs"], accepted).status_code == 201
    customs = parties["customs"].headers
    assert (
        world.client.post(f"/customs/trades/{trade_id}/release", headers=customs).status_code == 200
    )
    released = receipt_xml(world, trade_id, "CEB622", CustomsStatus.RELEASED, "放行")
    assert post_receipt(world, parties["customs"], released).status_code == 201
    settled = world.client.post(
        f"/banks/trades/{trade_id}/settlement",
        json={"settlementRef": "FX-1"},
        headers=parties["bank_a"].headers,
    )
    assert settled.status_code == 200, settled.text
    world.worker.drain()
    entries = _timeline(world, trade_id, parties["platform"])
    kinds = [e["kind"] for e in entries]
    assert kinds.count("document") == 4
    assert kinds.index("verdict") > max(i for i, k in enumerate(kinds) if k == "document")
    assert kinds[-3:] == ["release", "customs_receipt", "settlement"]
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)
    receipts = [e for e in entries if e["kind"] == "customs_receipt"]
    assert [(r["status"], r["note"]) for r in receipts] == [
        ("120", "[Code:2600;Desc:入库成功]"),
        ("800", "放行"),
    ]
    assert all(e["txHash"] for e in entries if e["kind"] in ("document", "release", "settlement"))
    assert all(r["txHash"] for r in receipts)  # anchored by the drain


def test_timeline_is_hidden_from_who_may_not_see_the_trade(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = import_trade(world, parties)
    stranger = world.actor("OTHER-PLATFORM", ["platform"])
    answer = world.client.get(f"/trades/{trade_id}/timeline", headers=stranger.headers)
    assert answer.status_code == 404
    assert _timeline(world, trade_id, parties["bank_a"])  # oversight sees every trade


def test_timeline_takes_new_contributors(world: World, parties: dict[str, Actor]) -> None:
    trade_id = import_trade(world, parties)

    def warehouse(context: timeline.TimelineContext) -> list[TimelineEntry]:
        return [TimelineEntry(at=datetime.now(UTC), kind="warehouse", title="stored")]

    timeline.contribute(warehouse)
    try:
        entries = _timeline(world, trade_id, parties["platform"])
    finally:
        timeline.CONTRIBUTORS.remove(warehouse)
    assert entries[-1]["kind"] == "warehouse"


@pytest.mark.parametrize("message_type", ["CEB311", "CEB411", "CEB511"])
def test_outgoing_import_message_is_valid_against_the_official_xsd(
    world: World, parties: dict[str, Actor], message_type: str
) -> None:
    trade_id = import_trade(world, parties)
    for reader in ("platform", "customs", "logistics"):
        answer = world.client.get(
            f"/trades/{trade_id}/messages/{message_type}.xml", headers=parties[reader].headers
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/xml")
        assert xsd_errors(answer.content) == []
        message = read_message(answer.content)
        assert message.message_type == message_type
        assert message.guid.replace("-", "").lower()[:24] == trade_id[:24]


@pytest.mark.parametrize("message_type", ["CEB303", "CEB403", "CEB505"])
def test_outgoing_export_message_is_valid_against_the_official_xsd(
    world: World, parties: dict[str, Actor], message_type: str
) -> None:
    exporter = world.actor(samples.EXPORTER[0], ["platform"])
    docs = samples.export_trade()
    signers = {"order": exporter, "payment": parties["payment"], "waybill": parties["logistics"]}
    signers["inventory"] = exporter
    trade_id = None
    for kind, actor in signers.items():
        trade_id = world.submit(actor, kind, getattr(docs, kind).to_json_dict())
    answer = world.client.get(
        f"/trades/{trade_id}/messages/{message_type}.xml", headers=exporter.headers
    )
    assert answer.status_code == 200, answer.text
    assert xsd_errors(answer.content) == []


def test_signature_required_message_from_json_is_refused(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = import_trade(world, parties)
    answer = world.client.get(
        f"/trades/{trade_id}/messages/CEB621.xml", headers=parties["platform"].headers
    )
    assert answer.status_code == 409
    assert answer.json()["error"] == "party_signature_required"


def test_messages_of_another_direction_or_for_a_bank_are_not_served(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = import_trade(world, parties)
    platform = parties["platform"].headers
    other = world.client.get(f"/trades/{trade_id}/messages/CEB303.xml", headers=platform)
    assert other.status_code == 404
    assert other.json()["field"] == "messageType"
    bank = world.client.get(
        f"/trades/{trade_id}/messages/CEB311.xml", headers=parties["bank_a"].headers
    )
    assert bank.status_code == 404


def test_signed_xml_inventory_is_relayed_as_the_party_signed_it(
    world: World, xml_parties: dict[str, Actor]
) -> None:
    trade_id = submit_sample_trade(world, xml_parties)
    inventory = (DATA / "inventory.xml").read_bytes()
    posted = post_xml(world, xml_parties["platform"], inventory)
    assert posted.status_code == 201, posted.text  # type: ignore[attr-defined]
    answer = world.client.get(
        f"/trades/{trade_id}/messages/CEB621.xml", headers=xml_parties["customs"].headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.content == inventory
    assert xsd_errors(answer.content) == []
