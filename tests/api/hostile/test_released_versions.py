"""Finding 2 (service side): a new version of a document in a released trade cannot take
over the release. It is refused, 409 naming the release, on every path (JSON, NDJSON, XML);
settled and financed trades are released trades."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.conftest import World, WorldStage, stage_by_fixture
from tests.api.factories import Actor
from tests.api.hostile.conftest import (
    HOSTILE_PARTIES,
    Trade,
    bank_bundle,
    post,
    release_and_settle,
    submit_genuine,
)
from tests.api.web.routes.test_documents_xml import (  # noqa: F401 (fixture)
    DATA,
    FILES,
    XML_PARTIES,
    post_xml,
    xml_parties,
)


@pytest.fixture
def world_stage(request: pytest.FixtureRequest) -> WorldStage[Any] | None:
    """The XML tests start from the sample messages' parties, the others from the hostile
    parties that ``parties`` copies (not registered again in every test)."""
    return stage_by_fixture(request, [("xml_parties", XML_PARTIES), ("parties", HOSTILE_PARTIES)])


def _gold_bars(trade: Trade) -> dict[str, Any]:
    """The platform's order re-signed with other goods."""
    order = trade.genuine("order")
    line = order["OrderList"][0] | {"itemName": "金条 1kg", "itemDescribe": "gold bar"}
    return order | {"OrderList": [line, *order["OrderList"][1:]]}


def _assert_names_release(body: dict[str, Any], trade_id: str) -> None:
    assert body["error"] == "trade_released"
    assert trade_id in body["message"]
    assert "released by customs in block" in body["message"]


def test_new_order_version_on_settled_trade_is_refused_naming_the_release(
    world: World, parties: dict[str, Actor]
) -> None:
    trade = Trade.new()
    trade_id = submit_genuine(world, parties, trade)
    release_and_settle(world, parties, trade_id)
    customs = parties["customs"].headers
    block = world.client.get(f"/trades/{trade_id}", headers=customs).json()

    response = post(world, parties["platform"], "order", _gold_bars(trade))

    assert response.status_code == 409, response.text
    _assert_names_release(response.json(), trade_id)
    assert response.json()["tradeId"] == trade_id
    assert response.json()["supersedes"] == trade.hashes["order"]
    after = world.client.get(f"/trades/{trade_id}", headers=customs).json()
    assert after["documents"] == block["documents"]
    assert after["conflicts"] == []
    report = world.verify(bank_bundle(world, parties, trade_id))
    assert report.authentic, [(c.name, c.found) for c in report.checks if not c.ok]


def test_new_version_in_bulk_on_released_trade_is_refused_on_its_line(
    world: World, parties: dict[str, Actor]
) -> None:
    released, open_trade = Trade.new(), Trade.new()
    trade_id = submit_genuine(world, parties, released)
    submit_genuine(world, parties, open_trade, ["order"])
    world.worker.drain()
    customs = parties["customs"].headers
    assert world.client.post(f"/customs/trades/{trade_id}/release", headers=customs).is_success

    platform = parties["platform"]
    corrected = open_trade.genuine("order") | {"buyerTelephone": "13900139000"}
    lines = [platform.envelope("order", d) for d in (_gold_bars(released), corrected)]
    response = world.client.post(
        "/documents/bulk",
        content="\n".join(json.dumps(line) for line in lines).encode(),
        headers={**platform.headers, "Content-Type": "application/x-ndjson"},
    )

    assert response.status_code == 200, response.text
    first, second = response.json()["results"]
    assert first["status"] == 409
    _assert_names_release(first["error"], trade_id)
    assert second["status"] == 201  # an unreleased trade still takes corrections
    view = world.client.get(f"/trades/{trade_id}", headers=customs).json()
    assert view["documents"]["order"] == released.hashes["order"]


def test_new_xml_version_on_released_trade_is_refused_naming_the_release(
    world: World,
    xml_parties: dict[str, Actor],  # noqa: F811
) -> None:
    customs = xml_parties["customs"]
    trade_ids = set()
    for role, name in FILES.items():
        response = post_xml(world, xml_parties[role], (DATA / name).read_bytes())
        assert response.status_code == 201, response.text  # type: ignore[attr-defined]
        trade_ids |= {d["tradeId"] for d in response.json()}  # type: ignore[attr-defined]
    (trade_id,) = trade_ids
    world.worker.drain()
    assert world.client.post(
        f"/customs/trades/{trade_id}/release", headers=customs.headers
    ).is_success

    # A new message (its own guid, so not a replay) with other goods on the same order.
    body = (DATA / "order.xml").read_bytes().replace("测试订单".encode(), "金条".encode())
    body = body.replace(b"C04FC96401", b"C04FC96499")
    response = post_xml(world, xml_parties["platform"], body)

    assert response.status_code == 409, response.text  # type: ignore[attr-defined]
    _assert_names_release(response.json(), trade_id)  # type: ignore[attr-defined]
