"""The workbench in Chromium: `/` is the sign-in page, a party signs in with the keyboard
alone, finds its trade, and signs out; in Chinese and English, at 360 px and at desktop
width, with no console error and no request leaving the service."""

from __future__ import annotations

from typing import Any

import pytest

from api.demo.parties import bearer, register_party
from tests.browser.conftest import ADMIN_TOKEN, SCREENSHOTS, LiveApp, watched_page
from traceability.trade import samples
from traceability.trade.inputs import TradeDocuments

pytestmark = pytest.mark.browser

WIDTHS = {"phone": 360, "desktop": 1280}


def _submitted_trade(live_app: LiveApp) -> tuple[dict[str, Any], TradeDocuments]:
    """The sample import trade's three signers registered and their documents submitted."""
    client, admin = live_app.client, bearer(ADMIN_TOKEN)
    signers = {
        "order": register_party(client, admin, samples.PLATFORM[0], ["platform"]),
        "payment": register_party(client, admin, samples.PAYER_COMPANY[0], ["payment"]),
        "waybill": register_party(client, admin, samples.CARRIER[0], ["logistics"]),
    }
    docs = samples.import_trade()
    for kind, actor in signers.items():
        document = getattr(docs, kind).to_json_dict()
        answer = client.post(
            "/documents", json=actor.envelope(kind, document), headers=actor.headers
        )
        assert answer.status_code == 201, answer.text
    return signers, docs


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", list(WIDTHS))
def test_a_party_signs_in_by_keyboard_opens_its_trade_and_signs_out(
    chromium: Any, live_app: LiveApp, lang: str, size: str
) -> None:
    signers, docs = _submitted_trade(live_app)
    page, problems = watched_page(chromium, live_app.base_url, WIDTHS[size])
    page.goto(f"{live_app.base_url}/?lang={lang}")
    assert page.locator("label[for=credential]").count() == 1
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"portal-signin-{lang}-{size}.png"), full_page=True)

    # Keyboard only: the field has focus, Enter submits.
    page.keyboard.type("sk_wrong")
    page.keyboard.press("Enter")
    page.wait_for_selector("[role=alert]")
    # The refused sign-in is answered 401, which Chromium logs; that is the only entry.
    assert problems == [
        "Failed to load resource: the server responded with a status of 401 (Unauthorized)"
    ]
    problems.clear()
    page.locator("#credential").focus()
    page.keyboard.type(signers["order"].api_key)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_app.base_url}/portal")
    trades_label = {"zh": "交易", "en": "Trades"}[lang]
    page.get_by_role("navigation").get_by_role("link", name=trades_label).click()
    page.wait_for_url(f"{live_app.base_url}/portal/trades")
    page.screenshot(path=str(SCREENSHOTS / f"portal-trades-{lang}-{size}.png"), full_page=True)
    page.get_by_role("link", name=f"{docs.order.ebpCode} / {docs.order.orderNo}").click()  # type: ignore[union-attr]
    page.wait_for_selector("h1")
    assert docs.order.orderNo in page.inner_text("h1")  # type: ignore[union-attr]
    page.screenshot(path=str(SCREENSHOTS / f"portal-trade-{lang}-{size}.png"), full_page=True)
    # No horizontal scrolling of the page itself at 360 px (wide tables scroll in their box).
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[size]

    page.get_by_role("button", name={"zh": "退出", "en": "Sign out"}[lang]).click()
    page.wait_for_url(f"{live_app.base_url}/")
    page.goto(f"{live_app.base_url}/portal")
    assert page.url == f"{live_app.base_url}/"  # signed out: back to sign-in
    assert problems == []


def test_customs_releases_a_trade_from_its_queue(chromium: Any, live_app: LiveApp) -> None:
    _, docs = _submitted_trade(live_app)
    customs = register_party(
        live_app.client, bearer(ADMIN_TOKEN), "GACC-HZ", ["customs"], chain_account=True
    )
    live_app.worker.drain()
    page, problems = watched_page(chromium, live_app.base_url, WIDTHS["desktop"])
    page.goto(f"{live_app.base_url}/?lang=en")
    page.fill("#credential", customs.api_key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation").get_by_role("link", name="Release queue").click()
    page.wait_for_url(f"{live_app.base_url}/portal/customs")
    page.screenshot(path=str(SCREENSHOTS / "portal-customs-en-desktop.png"), full_page=True)
    page.get_by_role("button", name="Release", exact=True).first.click()
    page.wait_for_selector("[role=status]")
    assert "Released" in page.inner_text("[role=status]")
    order = docs.order.orderNo  # type: ignore[union-attr]
    assert page.get_by_role("link", name=f"{docs.order.ebpCode} / {order}").count() == 0  # type: ignore[union-attr]
    page.screenshot(path=str(SCREENSHOTS / "portal-customs-released-en-desktop.png"))
    assert problems == []
