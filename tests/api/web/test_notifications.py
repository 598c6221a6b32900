"""Notifications end to end, on SQLite and PostgreSQL: who is told of a verdict, signed
webhook deliveries with retries and a cap, SSRF refusals, ownership, and the inbox page."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from api.db.models import utcnow
from api.services import notifications
from api.services.webhook_delivery import FIRST_RETRY, LONGEST_WAIT, MAX_ATTEMPTS, deliver_due
from tests.api.conftest import World, stage_fixtures
from tests.api.factories import Actor
from tests.api.web.routes.test_trade_flow import FLOW_PARTIES, submit
from tests.api.web.test_portal import _browser, _csrf, sign_in
from traceability.trade import samples

world_stage, parties = stage_fixtures("parties", FLOW_PARTIES)

HOOK_URL = "https://hooks.example.com/sandan"
PUBLIC_ADDRESS = "93.184.216.34"


def public_dns(host: str, port: int) -> list[str]:
    """Every name resolves to one public address (the tests make no DNS query)."""
    return [PUBLIC_ADDRESS]


def _inbox(world: World, actor: Actor, **params: Any) -> dict[str, Any]:
    answer = world.client.get("/inbox", headers=actor.headers, params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _register(world: World, actor: Actor, url: str = HOOK_URL, **body: Any) -> Any:
    return world.client.post("/webhooks", json={"url": url, **body}, headers=actor.headers)


def _emit(world: World, party: str, *, at: Any, kind: notifications.Kind) -> None:
    with Session(world.runtime.engine) as session:
        notifications.emit(
            session, kind=kind, parties={party}, trade_id=None, data={"n": 1}, now=at
        )
        session.commit()


def _receiver(*statuses: int) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A receiver answering ``statuses`` in turn (the last one from then on)."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(statuses[min(len(seen), len(statuses)) - 1])

    return httpx.MockTransport(answer), seen


def _verifies(request: httpx.Request, secret: str) -> bool:
    """What a receiver does (README, Notifications)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}."
    digest = hmac.new(key, signed.encode() + request.content, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(digest).decode()
    return any(
        hmac.compare_digest(expected, s) for s in request.headers["webhook-signature"].split()
    )


def test_a_mismatch_and_a_match_notify_the_trades_parties_only(
    world: World, parties: dict[str, Actor]
) -> None:
    stranger = world.actor("OTHER-EBP", ["platform"])
    mismatch = submit(world, parties, samples.short_payment_trade())[0]["tradeId"]
    terms = samples.ImportTerms(
        order_no="SD20251201NOTIFY", logistics_no="SF9900000000001", pay_transaction_id="AP99001"
    )
    match = submit(world, parties, samples.import_trade(terms))[0]["tradeId"]

    for name in ("platform", "payment", "logistics"):
        latest: dict[str, str] = {}
        for n in reversed(_inbox(world, parties[name])["data"]):  # oldest first
            latest[n["tradeId"]] = n["kind"]
        # Each verdict is told as it is reached (the trade's inventory may come last): the
        # latest one of each trade is its verdict now.
        assert latest == {mismatch: "verdict.mismatched", match: "verdict.matched"}, name
    for actor in (parties["customs"], parties["bank_a"], stranger):
        assert _inbox(world, actor)["count"] == 0
    latest = _inbox(world, parties["platform"])["data"][0]
    assert latest["data"]["orderNo"] == "SD20251201NOTIFY"
    assert latest["data"]["status"] == "match"
    mismatched = _inbox(world, parties["platform"])["data"][-1]
    assert mismatched["data"]["failedRules"]


def test_release_and_settlement_notify_the_parties_the_customs_office_and_the_bank(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = submit(world, parties, samples.import_trade())[0]["tradeId"]
    world.worker.drain()
    customs, bank = parties["customs"].headers, parties["bank_a"].headers
    assert world.client.post(f"/customs/trades/{trade_id}/release", headers=customs).is_success
    settled = world.client.post(
        f"/banks/trades/{trade_id}/settlement", json={"settlementRef": "FX-9"}, headers=bank
    )
    assert settled.is_success, settled.text
    kinds = [n["kind"] for n in _inbox(world, parties["platform"])["data"]]
    assert kinds[:2] == ["trade.settled", "trade.released"]
    assert [n["kind"] for n in _inbox(world, parties["customs"])["data"]] == ["trade.released"]
    assert [n["kind"] for n in _inbox(world, parties["bank_a"])["data"]] == ["trade.settled"]
    assert _inbox(world, parties["bank_b"])["count"] == 0


def test_a_delivery_is_signed_and_verifies_with_the_secret_only(
    world: World, parties: dict[str, Actor]
) -> None:
    created = _register(world, parties["platform"], kinds=["verdict.matched"])
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    assert "secret" not in world.client.get("/webhooks", headers=parties["platform"].headers).text
    submit(world, parties, samples.import_trade())
    transport, seen = _receiver(200)

    outcomes = deliver_due(world.runtime, transport=transport, resolve=public_dns)

    assert [o.status for o in outcomes] == ["delivered"] * len(seen)
    request = seen[-1]
    assert request.url.host == PUBLIC_ADDRESS  # connected to the address that was checked
    assert request.headers["host"] == "hooks.example.com"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    event = json.loads(request.content)
    assert event["type"] == "verdict.matched"
    assert event["id"] == request.headers["webhook-id"]
    assert _verifies(request, secret)
    other = "whsec_" + base64.b64encode(b"another secret of 32 bytes......").decode()
    assert not _verifies(request, other)
    assert deliver_due(world.runtime, transport=transport, resolve=public_dns) == []


def test_a_failing_receiver_is_retried_with_backoff_and_the_log_shows_each_attempt(
    world: World, parties: dict[str, Actor]
) -> None:
    hook = _register(world, parties["platform"]).json()
    start = utcnow()
    _emit(world, parties["platform"].code, at=start, kind=notifications.Kind.HELD)
    transport, seen = _receiver(500, 200)

    first = deliver_due(world.runtime, now=start, transport=transport, resolve=public_dns)
    early = deliver_due(world.runtime, now=start + FIRST_RETRY / 2, transport=transport,
                        resolve=public_dns)  # fmt: skip
    second = deliver_due(world.runtime, now=start + FIRST_RETRY, transport=transport,
                         resolve=public_dns)  # fmt: skip

    assert [(o.status, o.status_code) for o in first] == [("pending", 500)]
    assert early == []
    assert [(o.status, o.status_code) for o in second] == [("delivered", 200)]
    assert seen[0].headers["webhook-id"] == seen[1].headers["webhook-id"]
    assert seen[0].content == seen[1].content
    log = world.client.get(
        f"/webhooks/{hook['id']}/deliveries", headers=parties["platform"].headers
    ).json()
    (delivery,) = log["data"]
    assert delivery["status"] == "delivered"
    assert delivery["kind"] == "trade.held"
    assert [(a["attempt"], a["statusCode"]) for a in delivery["log"]] == [(1, 500), (2, 200)]
    assert delivery["log"][0]["error"] == "the receiver answered 500"


def test_attempts_stop_at_the_cap(world: World, parties: dict[str, Actor]) -> None:
    hook = _register(world, parties["platform"]).json()
    moment = utcnow()
    _emit(world, parties["platform"].code, at=moment, kind=notifications.Kind.SETTLED)
    transport, seen = _receiver(503)
    waits = []
    for _ in range(MAX_ATTEMPTS):
        (outcome,) = deliver_due(world.runtime, now=moment, transport=transport,
                                 resolve=public_dns)  # fmt: skip
        log = world.client.get(
            f"/webhooks/{hook['id']}/deliveries", headers=parties["platform"].headers
        ).json()["data"][0]
        if log["nextAttemptAt"]:
            next_at = log["nextAttemptAt"].replace("Z", "+00:00")
            waits.append(_parse(next_at) - moment)
        moment += LONGEST_WAIT
    assert outcome.status == "failed"
    assert len(seen) == MAX_ATTEMPTS
    # Doubling from the first wait, never longer than the longest, none after the last.
    assert waits == [min(FIRST_RETRY * 2**n, LONGEST_WAIT) for n in range(MAX_ATTEMPTS - 1)]
    assert deliver_due(world.runtime, now=moment, transport=transport, resolve=public_dns) == []
    assert log["status"] == "failed"
    assert len(log["log"]) == MAX_ATTEMPTS


def _parse(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text)


def test_a_host_that_resolves_to_a_private_address_at_delivery_is_not_contacted(
    world: World, parties: dict[str, Actor]
) -> None:
    _register(world, parties["platform"])
    _emit(world, parties["platform"].code, at=utcnow(), kind=notifications.Kind.HELD)
    transport, seen = _receiver(200)

    (outcome,) = deliver_due(world.runtime, transport=transport, resolve=lambda h, p: ["10.0.0.7"])

    assert seen == []
    assert outcome.status == "pending"
    assert outcome.error is not None
    assert outcome.error.startswith("refused:")


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/sandan",
        "https://127.0.0.1/in",
        "https://localhost:8443/in",
        "https://10.1.2.3/in",
        "https://192.168.0.10/in",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/in",
        "https://[::ffff:127.0.0.1]/in",
        "https://user:pw@hooks.example.com/in",
        "ftp://hooks.example.com/in",
        "https://[not-an-address/in",
    ],
)
def test_unsafe_webhook_urls_are_refused_naming_url(
    world: World, parties: dict[str, Actor], url: str
) -> None:
    answer = _register(world, parties["platform"], url)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "url"


def test_an_unknown_kind_is_refused_naming_kinds(world: World, parties: dict[str, Actor]) -> None:
    answer = _register(world, parties["platform"], kinds=["trade.exploded"])
    assert answer.status_code == 422
    assert answer.json()["field"].startswith("kinds")


def test_another_partys_webhook_and_notification_are_404(
    world: World, parties: dict[str, Actor]
) -> None:
    hook = _register(world, parties["platform"]).json()
    _emit(world, parties["platform"].code, at=utcnow(), kind=notifications.Kind.HELD)
    note = _inbox(world, parties["platform"])["data"][0]
    other = parties["payment"].headers
    assert world.client.get(f"/webhooks/{hook['id']}/deliveries", headers=other).status_code == 404
    assert world.client.delete(f"/webhooks/{hook['id']}", headers=other).status_code == 404
    assert world.client.post(f"/inbox/{note['id']}/read", headers=other).status_code == 404
    assert world.client.get("/webhooks", headers=other).json()["count"] == 0

    own = parties["platform"].headers
    read = world.client.post(f"/inbox/{note['id']}/read", headers=own)
    assert read.status_code == 200
    assert read.json()["readAt"]
    assert _inbox(world, parties["platform"], unread=True)["count"] == 0
    assert world.client.delete(f"/webhooks/{hook['id']}", headers=own).status_code == 204
    assert world.client.get("/webhooks", headers=own).json()["count"] == 0
    log = world.client.get(f"/webhooks/{hook['id']}/deliveries", headers=own)
    assert log.status_code == 404


def test_the_inbox_page_lists_and_marks_read_with_the_forms_token_only(
    world: World, parties: dict[str, Actor]
) -> None:
    submit(world, parties, samples.short_payment_trade())
    browser = _browser(world)
    assert sign_in(browser, parties["platform"].api_key).status_code == 303
    page = browser.get("/portal/inbox", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "Three documents do not match" in page.text
    assert '<label for="webhook-url">' in page.text
    note = _inbox(world, parties["platform"])["data"][0]
    action = f"/portal/inbox/{note['id']}/read"
    assert action in page.text

    forged = browser.post(action, data={"csrf": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    unread = _inbox(world, parties["platform"], unread=True)["count"]
    assert unread >= 1
    stranger = _browser(world)
    assert sign_in(stranger, parties["payment"].api_key).status_code == 303
    token = _csrf(stranger.get("/portal/inbox").text)
    assert stranger.post(action, data={"csrf": token}).status_code == 404

    done = browser.post(action, data={"csrf": _csrf(page.text)}, follow_redirects=False)
    assert done.status_code == 303
    assert _inbox(world, parties["platform"], unread=True)["count"] == unread - 1
    zh = browser.get("/portal/inbox", headers={"Accept-Language": "zh"})
    assert "三单不符" in zh.text
    assert action not in zh.text


def test_a_webhook_registered_from_the_page_shows_its_secret_once(
    world: World, parties: dict[str, Actor]
) -> None:
    browser = _browser(world)
    assert sign_in(browser, parties["platform"].api_key).status_code == 303
    token = _csrf(browser.get("/portal/inbox").text)
    refused = browser.post("/portal/webhooks", data={"csrf": token, "url": "https://10.0.0.1/"})
    assert refused.status_code == 422
    shown = browser.post("/portal/webhooks", data={"csrf": token, "url": HOOK_URL})
    assert shown.status_code == 200
    assert "whsec_" in shown.text
    again = browser.get("/portal/inbox")
    assert HOOK_URL in again.text
    assert "whsec_" not in again.text
    assert world.client.get("/webhooks", headers=parties["platform"].headers).json()["count"] == 1
