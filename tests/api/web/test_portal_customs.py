"""Customs at the workbench: the queue's grades and holds, hold with a reason, release many,
and the summary declaration; and the hold through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from tests.api.conftest import World, stage_fixtures
from tests.api.factories import Actor
from tests.api.web.portal_kit import csrf_of, new_browser, sign_in
from tests.api.web.routes.test_trade_flow import FLOW_PARTIES, submit
from traceability.trade import samples

world_stage, parties = stage_fixtures("parties", FLOW_PARTIES)

_EN = {"Accept-Language": "en"}


def _trade(n: int) -> samples.TradeDocuments:
    return samples.import_trade(
        samples.ImportTerms(
            order_no=f"DESK{n:04d}", logistics_no=f"SF80000000{n:05d}",
            pay_transaction_id=f"APDESK{n:04d}",
        )
    )  # fmt: skip


def test_customs_holds_one_trade_and_releases_the_others_at_once(
    world: World, parties: dict[str, Actor]
) -> None:
    trades = [submit(world, parties, _trade(n))[0]["tradeId"] for n in range(3)]
    world.worker.drain()
    customs = new_browser(world)
    assert sign_in(customs, parties["customs"].api_key).status_code == 303
    queue = customs.get("/portal/customs", headers=_EN)
    for trade_id in trades:
        assert f'value="{trade_id}"' in queue.text
    assert re.search(r'class="grade-(low|medium|high)"', queue.text)
    token = csrf_of(queue.text)

    # A hold needs a reason; with one, the trade is held and says so in the queue.
    held_id = trades[0]
    hold = f"/portal/customs/trades/{held_id}/hold"
    assert customs.post(hold, data={"csrf": token, "reason": " "}).status_code == 422
    assert customs.post(hold, data={"reason": "x"}).status_code == 403  # no CSRF token
    answer = customs.post(hold, data={"csrf": token, "reason": "查验：品名待核"}, headers=_EN)
    assert answer.status_code == 200
    assert "Held" in answer.text
    assert "查验：品名待核" in answer.text
    # The trade's parties and customs are told why the goods wait.
    for name in ("platform", "payment", "customs"):
        inbox = world.client.get("/inbox", headers=parties[name].headers).json()["data"]
        (note,) = [n for n in inbox if n["kind"] == "trade.held"]
        assert note["tradeId"] == held_id
        assert note["data"]["reason"] == "查验：品名待核"
    bank_inbox = world.client.get("/inbox", headers=parties["bank_a"].headers).json()["data"]
    assert [n for n in bank_inbox if n["kind"] == "trade.held"] == []
    again = world.client.post(
        f"/customs/trades/{held_id}/hold",
        json={"reason": "again"},
        headers=parties["customs"].headers,
    )
    assert again.status_code == 409

    # Release all three at once: the held one is refused (no reason given), the others go.
    many = customs.post(
        "/portal/customs/release",
        data={"csrf": token, "trade": trades},
        headers=_EN,
    )
    assert many.status_code == 200
    assert many.text.count("released</li>") == 2
    assert "customs_hold" in many.text or "is held by" in many.text
    status = {
        t: world.client.get(f"/trades/{t}", headers=parties["customs"].headers).json()["released"]
        for t in trades
    }
    assert status == {trades[0]: False, trades[1]: True, trades[2]: True}

    # Through the API too, a held trade is released only with a reason, which lifts the hold.
    route = f"/customs/trades/{held_id}/release"
    refused = world.client.post(route, headers=parties["customs"].headers)
    assert refused.status_code == 409
    assert refused.json()["error"] == "customs_hold"
    lifted = world.client.post(
        route, json={"riskOverride": {"reason": "查验无误"}}, headers=parties["customs"].headers
    )
    assert lifted.status_code == 200, lifted.text
    # Nothing selected is a clear 422; another role cannot hold.
    assert customs.post("/portal/customs/release", data={"csrf": token}).status_code == 422
    bank = new_browser(world)
    assert sign_in(bank, parties["bank_a"].api_key).status_code == 303
    api = world.client.post(
        f"/customs/trades/{trades[1]}/hold", json={"reason": "x"}, headers=parties["bank_a"].headers
    )
    page = bank.post(
        f"/portal/customs/trades/{trades[1]}/hold",
        data={"csrf": csrf_of(bank.get("/portal").text), "reason": "x"},
    )
    assert page.status_code == api.status_code == 403


def test_the_summary_page_gives_what_the_summary_route_gives(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = submit(world, parties, _trade(9))[0]["tradeId"]
    world.worker.drain()
    headers = parties["customs"].headers
    assert world.client.post(f"/customs/trades/{trade_id}/release", headers=headers).is_success
    customs = new_browser(world)
    assert sign_in(customs, parties["customs"].api_key).status_code == 303
    query = "periodStart=2000-01-01&periodEnd=2100-12-31"
    api = world.client.get(f"/customs/summary?{query}", headers=headers).json()
    assert api["lines"]
    page = customs.get(f"/portal/customs/summary?{query}", headers=_EN)
    assert page.status_code == 200
    for line in api["lines"]:
        assert f"{line['totalValue']} {line['currency']}" in page.text
    download = customs.get(f"/portal/customs/summary.json?{query}")
    assert download.json() == api
    bad = customs.get("/portal/customs/summary?periodStart=2026-13-01&periodEnd=2026-12-01")
    assert bad.status_code == 422
    assert "periodStart" in bad.text
    platform = new_browser(world)
    assert sign_in(platform, parties["platform"].api_key).status_code == 303
    assert platform.get(f"/portal/customs/summary?{query}").status_code == 403
