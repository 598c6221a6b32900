"""Finding 4: a carrier the trade does not name cannot take the trade's waybill slot.

The trade takes, for each kind, the document of the party it names in that role (the
order names the platform, seller and payer; the inventory names the carrier), the
earliest first; a hostile document never displaces one of a named party, whatever the
order of arrival, and an orphan is adopted by the party the trade names, not by
whichever came first.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import World
from tests.api.factories import Actor
from tests.api.hostile.conftest import (
    HOSTILE_CARRIER,
    SIGNER,
    Trade,
    post,
    submit_genuine,
    submit_hostile,
    trade_id_of,
)
from traceability.trade import samples


def _view(world: World, parties: dict[str, Actor], trade_id: str) -> Any:
    response = world.client.get(f"/trades/{trade_id}", headers=parties["customs"].headers)
    assert response.status_code == 200, response.text
    return response.json()


def _waybill_of(world: World, parties: dict[str, Actor], content_hash: str) -> Any:
    headers = parties["customs"].headers
    return world.client.get(f"/documents/{content_hash}", headers=headers).json()


def test_hostile_waybill_after_the_order_does_not_unlink_the_genuine_one(
    world: World, parties: dict[str, Actor]
) -> None:
    trade = Trade.new()
    trade_id = submit_genuine(world, parties, trade, ["order", "payment"])
    hostile = submit_hostile(world, parties, trade, "waybill")
    submit_genuine(world, parties, trade, ["waybill", "inventory"])

    assert _waybill_of(world, parties, trade.hashes["waybill"])["tradeId"] == trade_id
    assert _waybill_of(world, parties, hostile["contentHash"])["tradeId"] is None
    view = _view(world, parties, trade_id)
    assert view["documents"]["waybill"] == trade.hashes["waybill"]
    assert view["status"] == "match"
    assert [(c["party"], c["kind"]) for c in view["conflicts"]] == [(HOSTILE_CARRIER, "waybill")]


def test_hostile_waybill_after_the_genuine_one_changes_nothing(
    world: World, parties: dict[str, Actor]
) -> None:
    trade = Trade.new()
    trade_id = submit_genuine(world, parties, trade)
    before = _view(world, parties, trade_id)

    hostile = submit_hostile(world, parties, trade, "waybill")

    assert hostile["tradeId"] is None
    after = _view(world, parties, trade_id)
    assert after["documents"] == before["documents"]
    assert after["status"] == "match"


def test_orphan_waybills_are_adopted_by_the_carrier_the_inventory_names(
    world: World, parties: dict[str, Actor]
) -> None:
    trade = Trade.new()
    hostile = submit_hostile(world, parties, trade, "waybill")  # first, before anything
    submit_genuine(world, parties, trade, ["waybill"])
    trade_id = submit_genuine(world, parties, trade, ["order", "payment", "inventory"])

    view = _view(world, parties, trade_id)
    assert view["documents"]["waybill"] == trade.hashes["waybill"]
    assert view["status"] == "match"
    assert [c["contentHash"] for c in view["conflicts"]] == [hostile["contentHash"]]
    assert _waybill_of(world, parties, hostile["contentHash"])["tradeId"] is None


_GENUINE = [("genuine", kind) for kind in SIGNER]
_HOSTILE = [("hostile", kind) for kind in ("payment", "waybill", "order")]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(arrivals=st.permutations(_GENUINE + _HOSTILE))
def test_any_arrival_order_ends_with_the_genuine_documents_and_verdict(
    world: World, parties: dict[str, Actor], arrivals: list[tuple[str, str]]
) -> None:
    trade = Trade.new()  # fresh numbers: every example is a trade of its own
    hostile_hashes = set()
    for source, kind in arrivals:
        if source == "genuine":
            response = post(world, parties[SIGNER[kind]], kind, trade.genuine(kind))
            assert response.status_code == 201, response.text
            trade.hashes[kind] = response.json()["contentHash"]
        else:
            hostile_hashes.add(submit_hostile(world, parties, trade, kind)["contentHash"])

    trade_id = trade_id_of(trade)
    view = _view(world, parties, trade_id)
    assert view["documents"] == trade.hashes
    assert {c["contentHash"] for c in view["conflicts"]} == hostile_hashes
    verdict = world.client.get(
        f"/trades/{trade_id}/verdict", headers=parties["customs"].headers
    ).json()
    # The all-genuine verdict: the sample trade matches with no failed rule.
    assert (verdict["status"], verdict["failures"], verdict["missing"]) == ("match", [], [])
    for name in ("hostile_payment", "hostile_logistics", "hostile_platform"):
        hidden = world.client.get(f"/trades/{trade_id}", headers=parties[name].headers)
        assert hidden.status_code == 404


def test_export_trade_adopts_the_carrier_its_inventory_names(
    world: World, parties: dict[str, Actor]
) -> None:
    exporter = world.actor(samples.EXPORTER[0], ["platform"])
    docs = samples.export_trade(
        samples.ExportTerms(order_no="GZ2025030199X001", logistics_no="EMS99X0000001CN")
    )
    signers = {"order": exporter, "payment": parties["payment"], "inventory": exporter}
    waybill = docs.waybill.to_json_dict()  # type: ignore[union-attr]
    hostile_waybill = waybill | {"logisticsCode": HOSTILE_CARRIER, "logisticsName": "冒名物流"}
    hostile = post(world, parties["hostile_logistics"], "waybill", hostile_waybill).json()
    genuine = post(world, parties["logistics"], "waybill", waybill).json()
    trade_id = ""
    for kind, actor in signers.items():
        response = post(world, actor, kind, getattr(docs, kind).to_json_dict())
        assert response.status_code == 201, response.text
        trade_id = response.json()["tradeId"]

    view = _view(world, parties, trade_id)
    assert view["documents"]["waybill"] == genuine["contentHash"]
    assert view["status"] == "match"
    assert [c["contentHash"] for c in view["conflicts"]] == [hostile["contentHash"]]
