"""Finding 3: a party cannot supersede, take over or read another party's trade documents.

Only the signer of a document issues its later versions (the business key names the
signer). Another party's document naming the same trade is stored as a conflict that
customs sees: not a version, not linked, no change to the verdict, no read access.
"""

from __future__ import annotations

from tests.api.conftest import World
from tests.api.factories import Actor
from tests.api.hostile.conftest import (
    HOSTILE_PAYER,
    HOSTILE_PLATFORM,
    Trade,
    bank_bundle,
    post,
    read_trade,
    release_and_settle,
    submit_genuine,
    submit_hostile,
)
from traceability.trade import samples


def test_hostile_payment_on_settled_trade_is_a_conflict_not_a_version(
    world: World, parties: dict[str, Actor]
) -> None:
    trade = Trade.new()
    trade_id = submit_genuine(world, parties, trade)
    assert world.verify(release_and_settle(world, parties, trade_id)).authentic

    hostile = submit_hostile(world, parties, trade, "payment")

    assert hostile["version"] == 1
    assert hostile["supersedes"] is None
    assert hostile["tradeId"] is None
    customs = parties["customs"].headers
    view = world.client.get(f"/trades/{trade_id}", headers=customs).json()
    assert view["documents"]["payment"] == trade.hashes["payment"]
    assert view["status"] == "match"
    assert [(c["contentHash"], c["party"], c["kind"]) for c in view["conflicts"]] == [
        (hostile["contentHash"], HOSTILE_PAYER, "payment")
    ]
    assert f"names {samples.PAYER_COMPANY[0]} as payCode" in view["conflicts"][0]["reason"]
    genuine = world.client.get(f"/documents/{trade.hashes['payment']}", headers=customs).json()
    assert genuine["tradeId"] == trade_id
    report = world.verify(bank_bundle(world, parties, trade_id))
    assert report.authentic, [(c.name, c.found) for c in report.checks if not c.ok]
    assert read_trade(world, parties["hostile_payment"], trade_id).status_code == 404


def test_platform_named_only_as_ebc_cannot_take_over_the_order(
    world: World, parties: dict[str, Actor]
) -> None:
    trade = Trade.new()
    trade_id = submit_genuine(world, parties, trade)
    customs = parties["customs"].headers
    before = world.client.get(f"/trades/{trade_id}/verdict", headers=customs).json()

    hostile = submit_hostile(world, parties, trade, "order")

    assert hostile["tradeId"] is None
    assert hostile["supersedes"] is None
    view = world.client.get(f"/trades/{trade_id}", headers=customs).json()
    assert view["documents"]["order"] == trade.hashes["order"]
    assert view["ebcCode"] == trade.docs.order.ebcCode  # type: ignore[union-attr]
    assert [c["party"] for c in view["conflicts"]] == [HOSTILE_PLATFORM]
    assert world.client.get(f"/trades/{trade_id}/verdict", headers=customs).json() == before
    assert read_trade(world, parties["hostile_platform"], trade_id).status_code == 404
    listed = world.client.get("/trades", headers=parties["hostile_platform"].headers).json()
    assert trade_id not in [t["tradeId"] for t in listed["data"]]


def test_hostile_payment_before_the_order_loses_its_slot_and_access(
    world: World, parties: dict[str, Actor]
) -> None:
    trade = Trade.new()
    early = submit_hostile(world, parties, trade, "payment")
    trade_id = submit_genuine(world, parties, trade)

    assert read_trade(world, parties["hostile_payment"], trade_id).status_code == 404
    view = world.client.get(f"/trades/{trade_id}", headers=parties["customs"].headers).json()
    assert view["documents"]["payment"] == trade.hashes["payment"]
    assert view["status"] == "match"
    assert [c["contentHash"] for c in view["conflicts"]] == [early["contentHash"]]
    assert f"names {samples.PAYER_COMPANY[0]} as payCode" in view["conflicts"][0]["reason"]
    # The genuine payment company keeps its access; its document is version 1 of its own.
    genuine = read_trade(world, parties["payment"], trade_id)
    assert genuine.status_code == 200


def test_same_signer_still_issues_corrected_versions(
    world: World, parties: dict[str, Actor]
) -> None:
    trade = Trade.new()
    trade_id = submit_genuine(world, parties, trade, ["order", "payment"])
    corrected = trade.genuine("payment") | {"telephone": "13900139000"}
    response = post(world, parties["payment"], "payment", corrected)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["version"], body["supersedes"], body["tradeId"]) == (
        2,
        trade.hashes["payment"],
        trade_id,
    )
    view = world.client.get(f"/trades/{trade_id}", headers=parties["customs"].headers).json()
    assert view["documents"]["payment"] == body["contentHash"]
    assert view["conflicts"] == []


def test_hostile_payment_alone_gets_no_slot_and_no_access_when_the_order_names_the_payer(
    world: World, parties: dict[str, Actor]
) -> None:
    trade = Trade.new()
    trade_id = submit_genuine(world, parties, trade, ["order", "inventory"])

    hostile = submit_hostile(world, parties, trade, "payment")  # the genuine one is not in yet

    assert hostile["tradeId"] is None
    assert read_trade(world, parties["hostile_payment"], trade_id).status_code == 404
    view = world.client.get(f"/trades/{trade_id}", headers=parties["customs"].headers).json()
    assert view["documents"]["payment"] is None
    (conflict,) = view["conflicts"]
    assert conflict["reason"] == (
        f"{HOSTILE_PAYER} signs as payCode, but the trade's order of {samples.PLATFORM[0]} "
        f"names {samples.PAYER_COMPANY[0]} as payCode"
    )
