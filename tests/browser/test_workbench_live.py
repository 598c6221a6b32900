"""Each role's daily work in Chromium against a real ``sandan serve`` process, on SQLite and
on PostgreSQL: the signers upload their signed envelopes and the platform reads the verdicts,
customs releases a trade once its verdict is anchored, a form without its CSRF token is
refused, and an idle session sends the browser back to sign-in. Every page visited is checked
for console errors, requests to other hosts and unlabelled controls (tests.browser.workbench).
"""

from __future__ import annotations

import csv
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from api.db.models import PortalSessionRecord
from api.demo.parties import RegisteredParty
from tests.browser.conftest import SESSION_IDLE_MINUTES
from tests.browser.served import ServedSandan
from tests.browser.workbench import ANCHOR_DEADLINE_SECONDS, Workbench
from traceability.trade import samples
from traceability.trade.inputs import TradeDocuments
from traceability.trade.samples import ImportTerms

pytestmark = [pytest.mark.browser, pytest.mark.node]

KINDS = ("order", "payment", "waybill")


@dataclass
class Parties:
    """The module's registered parties: a signer per document kind, customs, a bank and the
    regulator."""

    signers: dict[str, RegisteredParty]
    customs: RegisteredParty
    bank: RegisteredParty
    regulator: RegisteredParty


@pytest.fixture(scope="module")
def parties(served: ServedSandan) -> Parties:
    """The sample trade's platform, payment company and carrier, and a customs office with
    its own chain account (a release is customs' own transaction), registered over HTTP."""
    return Parties(
        signers={
            "order": served.register(samples.PLATFORM[0], ["platform"]),
            "payment": served.register(samples.PAYER_COMPANY[0], ["payment"]),
            "waybill": served.register(samples.CARRIER[0], ["logistics"]),
        },
        customs=served.register("GACC-HZ", ["customs"], chain_account=True),
        bank=served.register("BANK-HZ", ["bank"], chain_account=True),
        regulator=served.register("REG-HZ", ["regulator"]),
    )


def _terms(serial: int) -> ImportTerms:
    """Terms of a sample import trade of its own: order, waybill and payment numbers."""
    return ImportTerms(
        order_no=f"SD2025030100{serial:04d}",
        logistics_no=f"SF12345678{serial:05d}",
        pay_transaction_id=f"AP20250301{serial:08d}",
    )


def _order_label(docs: TradeDocuments) -> str:
    """How the trade tables name a trade: its link text."""
    return f"{docs.order.ebpCode} / {docs.order.orderNo}"  # type: ignore[union-attr]


def _screenshots(served: ServedSandan) -> bool:
    # The pages are the same on every database: the SQLite run takes the screenshots.
    return served.database_url.startswith("sqlite")


def _envelope_file(
    tmp_path: Path, signer: RegisteredParty, kind: str, trades: list[TradeDocuments]
) -> Path:
    """A JSON array of ``signer``'s signed ``kind`` of each trade, as its system would
    write it for upload."""
    envelopes = [signer.envelope(kind, getattr(t, kind).to_json_dict()) for t in trades]
    path = tmp_path / f"{kind}-envelopes.json"
    path.write_text(json.dumps(envelopes, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_signers_upload_their_envelopes_and_the_platform_reads_each_verdict(
    served: ServedSandan, parties: Parties, browser_context: Any, tmp_path: Path
) -> None:
    matched = samples.import_trade(_terms(101))
    short = samples.short_payment_trade(_terms(102))
    # Each signer works in a language of its own, so each form's answer is seen in both.
    languages = {"order": "en", "payment": "zh", "waybill": "en"}
    tab = Workbench.open(browser_context, served, "en", screenshots=_screenshots(served))
    tab.goto("/")
    tab.seen("signin")
    for kind in KINDS:
        tab.lang = languages[kind]
        tab.sign_in(parties.signers[kind].api_key)
        tab.follow_nav("/portal/documents")
        tab.seen("documents")
        tab.page.set_input_files(
            "#envelopes", _envelope_file(tmp_path, parties.signers[kind], kind, [matched, short])
        )
        tab.page.locator('form[action="/portal/documents"] button[type=submit]').click()
        tab.page.wait_for_selector("#results")
        outcomes = tab.page.locator("section[aria-labelledby=results] tbody tr")
        assert outcomes.count() == 2
        accepted = {"en": "accepted", "zh": "已接收"}[tab.lang]
        assert outcomes.locator(".status-match").all_inner_texts() == [accepted, accepted]
        tab.seen(f"documents-results-{kind}", both_languages=False)
        tab.sign_out()

    tab.lang = "en"
    tab.sign_in(parties.signers["order"].api_key)
    tab.follow_nav("/portal/trades")
    assert tab.page.get_by_role("link", name=_order_label(matched)).count() == 1
    assert tab.page.get_by_role("link", name=_order_label(short)).count() == 1
    tab.seen("trade-list")

    tab.page.get_by_role("link", name=_order_label(matched)).click()
    tab.page.wait_for_selector("h1")
    tab.check()
    assert tab.page.locator("dd.status-match").inner_text() == "match"
    documents = tab.page.locator("section.doc")
    assert [documents.nth(i).locator("h3").get_attribute("id") for i in range(3)] == [
        f"doc-{kind}" for kind in KINDS
    ]
    # Each of the three is there in full (its digest and fields), none marked as failing.
    assert documents.locator("code").count() == 3
    assert tab.page.locator("mark").count() == 0
    tab.seen("trade-match")

    tab.goto("/portal/trades?status=mismatch")
    tab.page.get_by_role("link", name=_order_label(short)).click()
    tab.page.wait_for_selector("h1")
    tab.check()
    assert tab.page.locator("dd.status-mismatch").count() == 1
    rules = tab.page.locator("table").first.locator("tbody td:first-child").all_inner_texts()
    assert "amount.payment_equals_paid" in rules
    # The one fen short is marked on the payment's own field, beside the other two.
    payment = tab.page.locator("section[aria-labelledby=doc-payment]")
    marked = payment.locator("tr.failed th").all_inner_texts()
    assert "amountPaid" in marked
    assert payment.locator("tr.failed mark").count() == len(marked)
    tab.seen("trade-mismatch")


def test_customs_releases_a_matched_trade_once_its_verdict_is_anchored(
    served: ServedSandan, parties: Parties, browser_context: Any
) -> None:
    docs = samples.import_trade(_terms(201))
    for kind, signer in parties.signers.items():
        body = signer.envelope(kind, getattr(docs, kind).to_json_dict())
        answer = served.http.post("/documents", json=body, headers=signer.headers)
        assert answer.status_code == 201, answer.text

    tab = Workbench.open(browser_context, served, "zh", screenshots=_screenshots(served))
    tab.sign_in(parties.customs.api_key)
    tab.follow_nav("/portal/customs")
    queued = tab.page.locator("tbody tr").filter(
        has=tab.page.get_by_role("link", name=_order_label(docs))
    )
    # The served process's own worker anchors the documents and then the verdict.
    tab.poll(lambda: queued.count() == 1, "the trade in the release queue")
    tab.seen("customs-queue")

    queued.get_by_role("button", name="放行", exact=True).click()
    tab.page.wait_for_selector("[role=status]")
    tab.check()
    assert tab.page.inner_text("[role=status]").startswith("已在链上放行")
    assert queued.count() == 0
    tab.seen("customs-released")
    tab.follow_nav("/portal/customs/summary")
    tab.page.fill("#s-start", "2000-01-01")
    tab.page.fill("#s-end", "2100-12-31")
    tab.page.locator('form[action="/portal/customs/summary"] button[type=submit]').click()
    tab.page.wait_for_selector("table")
    tab.check()
    assert "9610" in tab.page.inner_text("table")
    tab.seen("customs-summary")

    tab.goto("/portal/trades")
    tab.page.get_by_role("link", name=_order_label(docs)).click()
    tab.page.wait_for_selector("h1")
    tab.check()
    released = tab.page.locator("dt", has_text="放行").locator("xpath=following-sibling::dd[1]")
    assert released.inner_text() == "是"


def test_a_form_sent_without_its_csrf_token_is_refused(
    served: ServedSandan, parties: Parties, browser_context: Any, tmp_path: Path
) -> None:
    signer = parties.signers["order"]
    tab = Workbench.open(browser_context, served, "en", screenshots=False)
    tab.sign_in(signer.api_key)
    tab.follow_nav("/portal/documents")
    upload = 'form[action="/portal/documents"]'
    # The pages run no script, but the test may: a forged form is the real form minus its token.
    tab.page.evaluate(f"document.querySelector('{upload} input[name=csrf]').remove()")
    trade = samples.import_trade(_terms(301))
    tab.page.set_input_files("#envelopes", _envelope_file(tmp_path, signer, "order", [trade]))
    with tab.refused(403):
        tab.page.locator(f"{upload} button[type=submit]").click()
    tab.check()

    # Another site's form post would bring the cookie but no token: sign-out is refused too.
    answer = tab.page.request.post(f"{served.base_url}/signout", form={"csrf": "forged"})
    assert answer.status == 403
    tab.goto("/portal/documents")
    assert tab.page.url == f"{served.base_url}/portal/documents"  # still signed in
    # Nothing of the refused upload was stored.
    mine = served.http.get("/trades", headers=signer.headers, params={"limit": 100}).json()
    assert trade.order.orderNo not in json.dumps(mine)  # type: ignore[union-attr]


def test_an_idle_session_ends_and_the_next_page_is_sign_in(
    served: ServedSandan, parties: Parties, browser_context: Any
) -> None:
    signer = parties.signers["waybill"]
    tab = Workbench.open(browser_context, served, "en", screenshots=False)
    tab.sign_in(signer.api_key)
    with served.engine() as engine, Session(engine) as db:
        mine = select(PortalSessionRecord).where(PortalSessionRecord.party_code == signer.code)
        record = db.exec(mine).one()
        # The served process took its idle time from SANDAN_SESSION_IDLE_MINUTES (each
        # request moves it on from that request's time).
        idle = record.idle_until - datetime.now(UTC)
        assert timedelta(minutes=SESSION_IDLE_MINUTES - 1) < idle
        assert idle <= timedelta(minutes=SESSION_IDLE_MINUTES)
        # Minutes are the setting's smallest unit: age the row rather than wait.
        record.idle_until = datetime.now(UTC) - timedelta(seconds=1)
        db.add(record)
        db.commit()

        tab.goto("/portal/trades")
        assert tab.page.url == f"{served.base_url}/"
        assert tab.page.locator("#credential").count() == 1
        assert db.exec(mine).all() == []  # the ended session is gone, not just refused
    tab.sign_in(signer.api_key)  # and signing in again opens a new one


def _released_trade(served: ServedSandan, parties: Parties, serial: int) -> TradeDocuments:
    """A matched trade submitted through the API and released by customs once anchored."""
    docs = samples.import_trade(_terms(serial))
    trade_id = ""
    for kind, signer in parties.signers.items():
        body = signer.envelope(kind, getattr(docs, kind).to_json_dict())
        answer = served.http.post("/documents", json=body, headers=signer.headers)
        assert answer.status_code == 201, answer.text
        trade_id = answer.json()["tradeId"]
    deadline = time.monotonic() + ANCHOR_DEADLINE_SECONDS
    release = f"/customs/trades/{trade_id}/release"
    while (answer := served.http.post(release, headers=parties.customs.headers)).status_code == 409:
        assert time.monotonic() < deadline, answer.text  # the verdict is not anchored yet
        time.sleep(0.3)
    assert answer.status_code == 200, answer.text
    return docs


def test_a_bank_verifies_a_trade_live_downloads_its_bundle_and_settles_it(
    served: ServedSandan, parties: Parties, browser_context: Any, tmp_path: Path
) -> None:
    docs = _released_trade(served, parties, 401)
    tab = Workbench.open(browser_context, served, "en", screenshots=_screenshots(served))
    tab.sign_in(parties.bank.api_key)
    tab.follow_nav("/portal/bank")
    tab.seen("bank-desk")
    tab.page.get_by_role("link", name=_order_label(docs)).click()
    tab.page.wait_for_selector("h1")
    tab.check()
    assert "AUTHENTIC" in tab.page.inner_text("p[role=status]")
    assert tab.page.locator("tr.failed").count() == 0
    assert tab.page.locator("tbody tr").count() > 10  # every check of sandan verify
    tab.seen("bank-trade")

    with tab.page.expect_download() as download:
        tab.page.get_by_role("link", name="Download the bundle").click()
    saved = tmp_path / "bundle.json"
    download.value.save_as(saved)
    assert json.loads(saved.read_text(encoding="utf-8"))["documents"]

    tab.page.fill("#settlementRef", "FX-2026-000401")
    tab.page.locator('form[action$="/settle"] button[type=submit]').click()
    tab.page.wait_for_selector("p.notice")
    tab.check()
    settled = tab.page.locator("dt", has_text="Settled").locator("xpath=following-sibling::dd[1]")
    assert settled.inner_text() == "yes"
    tab.page.fill("#amount", "800.00")
    tab.page.locator('form[action$="/finance"] button[type=submit]').click()
    tab.page.wait_for_selector("p.notice")
    tab.check()
    history = tab.page.locator("h2", has_text="Financing history").locator(
        "xpath=following-sibling::div[1]"
    )
    assert "registered #" in history.inner_text()
    tab.seen("bank-settled", both_languages=False)
    # The bank is told of the settlement it confirmed, in its inbox.
    tab.follow_nav("/portal/inbox")
    assert "Settlement confirmed" in tab.page.inner_text("main")
    tab.seen("inbox")


def test_the_regulator_opens_the_dashboard_and_downloads_its_csv(
    served: ServedSandan, parties: Parties, browser_context: Any, tmp_path: Path
) -> None:
    _released_trade(served, parties, 501)
    tab = Workbench.open(browser_context, served, "zh", screenshots=_screenshots(served))
    tab.sign_in(parties.regulator.api_key)
    tab.follow_nav("/portal/stats")
    assert tab.page.locator("svg").count() >= 1
    tab.seen("stats")
    with tab.page.expect_download() as download:
        tab.page.get_by_role("link", name="CSV").click()
    saved = tmp_path / "stats.csv"
    download.value.save_as(saved)
    exported = saved.read_bytes().decode("utf-8")  # as sent: CSV rows end in CRLF
    rows = list(csv.DictReader(exported.splitlines()))
    assert rows
    api = served.http.get("/stats.csv", headers=parties.regulator.headers)
    assert api.status_code == 200
    assert exported == api.text  # the page's export is the API's
    # The regulator sees the zone: at least the trades this module released.
    assert sum(int(r["trades"]) for r in rows if r["currency"] == rows[0]["currency"]) >= 1


def test_the_operator_sees_the_parties_and_the_zone_statistics(
    served: ServedSandan, parties: Parties, browser_context: Any
) -> None:
    tab = Workbench.open(browser_context, served, "en", screenshots=_screenshots(served))
    tab.sign_in(served.admin_token)
    tab.follow_nav("/portal/parties")
    listed = tab.page.inner_text("tbody")
    for party in (*parties.signers.values(), parties.customs, parties.bank, parties.regulator):
        assert party.code in listed
    tab.seen("parties")
    tab.follow_nav("/portal/stats")
    assert tab.page.locator("svg").count() >= 1
    # The operator's menu has no party's pages.
    assert tab.page.locator('nav a[href="/portal/trades"]').count() == 0
