"""The bank desk: a trade verified live with every check of ``sandan verify``, its bundle,
settlement and financing through the page (as through the API), and the financing history
the chain records, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import markupsafe
import pytest
from sqlmodel import Session

from api.db.models import TradeRecord
from api.services import live_verify
from api.verify.rpc import ChainUnreachable
from ledger_client import ReceiptState, party_id
from tests.api.conftest import World, stage_fixtures
from tests.api.factories import Actor
from tests.api.web.portal_kit import csrf_of, new_browser, sign_in
from tests.api.web.routes.test_trade_flow import FLOW_PARTIES, submit
from traceability.trade import samples

world_stage, parties = stage_fixtures("parties", FLOW_PARTIES)

_EN = {"Accept-Language": "en"}


def test_a_bank_verifies_settles_finances_and_discharges_from_its_desk(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = submit(world, parties, samples.import_trade())[0]["tradeId"]
    world.worker.drain()
    customs = parties["customs"].headers
    assert world.client.post(f"/customs/trades/{trade_id}/release", headers=customs).is_success
    bank = new_browser(world)
    assert sign_in(bank, parties["bank_a"].api_key).status_code == 303
    desk = bank.get("/portal/bank", headers=_EN)
    assert f"/portal/bank/trades/{trade_id}" in desk.text
    page = bank.get(f"/portal/bank/trades/{trade_id}", headers=_EN)
    assert page.status_code == 200
    assert "AUTHENTIC: every check passed." in page.text
    # Every check sandan verify makes of the same bundle is on the page, each passed.
    bundle = world.client.get(
        f"/banks/trades/{trade_id}/bundle", headers=parties["bank_a"].headers
    ).json()
    report = world.verify(bundle)
    assert report.checks
    for check in report.checks:
        assert str(markupsafe.escape(check.name)) in page.text
    assert 'class="failed"' not in page.text
    download = bank.get(f"/portal/bank/trades/{trade_id}/bundle.json")
    assert "attachment" in download.headers["content-disposition"]
    assert world.verify(download.json()).authentic
    token = csrf_of(page.text)
    verdict = re.search(r'name="verdictHash" value="([0-9a-f]{64})"', page.text)
    assert verdict

    # Settlement: a stale verdict is refused as through the API; then settled on chain.
    settle = f"/portal/bank/trades/{trade_id}/settle"
    stale = bank.post(
        settle, data={"csrf": token, "settlementRef": "FX-1", "verdictHash": "0" * 64}
    )
    assert stale.status_code == 409
    assert bank.post(settle, data={"csrf": token, "settlementRef": ""}).status_code == 422
    assert bank.post(settle, data={"settlementRef": "FX-1"}).status_code == 403  # no CSRF
    done = bank.post(
        settle,
        data={"csrf": token, "settlementRef": "FX-2026-0001", "verdictHash": verdict.group(1)},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    trade = world.client.get(f"/trades/{trade_id}", headers=parties["bank_a"].headers).json()
    assert trade["settled"] is True
    with Session(world.runtime.engine) as session:  # the bank of record is kept
        assert session.get(TradeRecord, trade_id).settled_by == parties["bank_a"].code  # type: ignore[union-attr]

    # Financing: bad terms name their field; good ones are registered, shown in the history.
    finance = f"/portal/bank/trades/{trade_id}/finance"
    good = {"csrf": token, "amount": "800.00", "currency": "CNY", "rate": "0.0385", "days": "90"}
    for field, bad in (("amount", "-1"), ("amount", "1.001"), ("currency", "RMB1"), ("days", "0")):
        refused = bank.post(finance, data={**good, field: bad}, headers=_EN)
        assert refused.status_code == 422, (field, bad)
        assert field in refused.text
    assert bank.post(finance, data=good, follow_redirects=False).status_code == 303
    again = bank.post(finance, data=good)
    api_again = world.client.post(
        f"/banks/trades/{trade_id}/financing",
        json={"terms": {"amount": "1.00"}},
        headers=parties["bank_b"].headers,
    )
    assert again.status_code == api_again.status_code == 409  # one live financing per trade
    after = bank.get(f"/portal/bank/trades/{trade_id}", headers=_EN)
    assert "registered #" in after.text
    assert parties["bank_a"].code in after.text
    discharge = f"/portal/bank/trades/{trade_id}/discharge"
    assert bank.post(discharge, data={"csrf": token}, follow_redirects=False).status_code == 303
    history = bank.get(f"/portal/bank/trades/{trade_id}", headers=_EN).text
    assert history.index("registered #") < history.index("discharged #")

    # Another role is answered as by the bank routes.
    platform = new_browser(world)
    assert sign_in(platform, parties["platform"].api_key).status_code == 303
    api = world.client.get(f"/banks/trades/{trade_id}/bundle", headers=parties["platform"].headers)
    assert platform.get(f"/portal/bank/trades/{trade_id}").status_code == api.status_code == 403
    assert platform.get(f"/portal/bank/trades/{trade_id}/bundle.json").status_code == 403
    assert 'href="/portal/bank"' not in platform.get("/portal").text


def test_the_desk_says_the_node_is_unavailable_rather_than_judging_the_trade(
    world: World, parties: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    trade_id = submit(world, parties, samples.import_trade())[0]["tradeId"]
    world.worker.drain()
    bank = new_browser(world)
    assert sign_in(bank, parties["bank_a"].api_key).status_code == 303

    def unreachable(*_args: object) -> object:
        raise ChainUnreachable("connection refused")

    monkeypatch.setattr(live_verify, "verify_bundle", unreachable)
    page = bank.get(f"/portal/bank/trades/{trade_id}", headers=_EN)
    assert page.status_code == 503
    assert "could not be asked" in page.text
    assert "AUTHENTIC" not in page.text


def test_a_bank_opens_draws_repays_and_closes_a_typed_line_from_its_desk(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = submit(world, parties, samples.import_trade())[0]["tradeId"]
    world.worker.drain()
    bank = new_browser(world)
    assert sign_in(bank, parties["bank_a"].api_key).status_code == 303
    page = bank.get(f"/portal/bank/trades/{trade_id}", headers=_EN)
    assert "Order financing (before shipment)" in page.text
    assert 'value="CNY"' in page.text  # the trade's currency, as ISO letters
    token = csrf_of(page.text)
    typed = f"/portal/bank/trades/{trade_id}/typed"
    good = {"csrf": token, "kind": "order", "limit": "300.00", "currency": "CNY",
            "rate": "0.0385", "days": "90"}  # fmt: skip
    for field, bad in (("kind", "mortgage"), ("limit", "1e999999"), ("limit", "0"),
                       ("currency", "XXX")):  # fmt: skip
        refused = bank.post(typed, data={**good, field: bad}, headers=_EN)
        assert refused.status_code == 422, (field, bad, refused.text)
        assert field in refused.text
    over = bank.post(typed, data={**good, "limit": "9000.00"}, headers=_EN)
    assert over.status_code == 409  # above the trade's value: the API's refusal, shown
    assert bank.post(typed, data=good, follow_redirects=False).status_code == 303
    page = bank.get(f"/portal/bank/trades/{trade_id}", headers=_EN)
    assert "Your financing lines" in page.text
    (financing_id,) = set(re.findall(r'name="financingId" value="(\d+)"', page.text))
    for step, amount in (("drawdown", "120.00"), ("repayment", "120.00")):
        done = bank.post(
            f"/portal/bank/trades/{trade_id}/{step}",
            data={"csrf": token, "financingId": financing_id, "amount": amount},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
    for bad in ("x", "9" * 5000, "0"):
        refused = bank.post(
            f"/portal/bank/trades/{trade_id}/close", data={"csrf": token, "financingId": bad}
        )
        assert refused.status_code == 422, bad

    # Another bank's desk cannot close it: the contract refuses, the page says whose it is.
    other = new_browser(world)
    assert sign_in(other, parties["bank_b"].api_key).status_code == 303
    other_token = csrf_of(other.get(f"/portal/bank/trades/{trade_id}", headers=_EN).text)
    refused = other.post(
        f"/portal/bank/trades/{trade_id}/close",
        data={"csrf": other_token, "financingId": financing_id},
        headers=_EN,
    )
    assert refused.status_code == 403
    assert "BANK-A" in refused.text

    close = f"/portal/bank/trades/{trade_id}/close"
    done = bank.post(close, data={"csrf": token, "financingId": financing_id},
                     follow_redirects=False)  # fmt: skip
    assert done.status_code == 303, done.text
    history = bank.get(f"/portal/bank/trades/{trade_id}", headers=_EN).text
    assert history.index("opened #") < history.index("Draw #") < history.index("closed #")
    assert "Order financing (before shipment)" in history


def test_a_bank_pledges_a_warehouse_receipt_from_its_desk_until_the_line_closes(
    world: World, parties: dict[str, Actor]
) -> None:
    receipt_id = bytes.fromhex("c3" * 32)
    world.ledger.lifecycle().issue_warehouse_receipt(
        receipt_id, party_id("WH-DESK"), bytes.fromhex("c4" * 32), 40_000
    )
    bank = new_browser(world)
    assert sign_in(bank, parties["bank_a"].api_key).status_code == 303
    assert "/portal/bank/receipts" in bank.get("/portal/bank", headers=_EN).text
    page = bank.get("/portal/bank/receipts", headers=_EN)
    assert "No receipt pledged by your bank yet." in page.text
    token = csrf_of(page.text)
    good = {"csrf": token, "receiptId": receipt_id.hex(), "limit": "400.00", "currency": "CNY",
            "rate": "0.04", "days": "180"}  # fmt: skip
    over = bank.post("/portal/bank/receipts/pledge", data={**good, "limit": "400.01"})
    assert over.status_code == 409  # above the receipt's value
    unknown = bank.post("/portal/bank/receipts/pledge", data={**good, "receiptId": "d5" * 32})
    assert unknown.status_code == 404
    done = bank.post("/portal/bank/receipts/pledge", data=good, follow_redirects=False)
    assert done.status_code == 303, done.text

    def state() -> ReceiptState:
        receipt = world.ledger.lifecycle().warehouse_receipt_of(receipt_id)
        assert receipt is not None
        return receipt.state

    assert state() is ReceiptState.PLEDGED
    page = bank.get("/portal/bank/receipts", headers=_EN)
    assert receipt_id.hex() in page.text
    (financing_id,) = set(re.findall(r'name="financingId" value="(\d+)"', page.text))
    for step, amount in (("drawdown", "400.00"), ("repayment", "400.00")):
        answer = bank.post(
            f"/portal/bank/receipts/{step}",
            data={"csrf": token, "financingId": financing_id, "amount": amount},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
    closed = bank.post("/portal/bank/receipts/close",
                       data={"csrf": token, "financingId": financing_id},
                       follow_redirects=False)  # fmt: skip
    assert closed.status_code == 303, closed.text
    assert state() is ReceiptState.ISSUED
    assert bank.post("/portal/bank/receipts/melt", data={"csrf": token}).status_code == 404
    platform = new_browser(world)
    assert sign_in(platform, parties["platform"].api_key).status_code == 303
    assert platform.get("/portal/bank/receipts").status_code == 403
