"""The workbench's sign-in, sessions and CSRF, and its pages' authorisation against the API's,
on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from api.db.models import PortalSessionRecord, utcnow
from tests.api.conftest import ADMIN_TOKEN, World, stage_fixtures
from tests.api.factories import Actor
from tests.api.web.portal_kit import csrf_of, new_browser, sign_in
from tests.api.web.routes.test_trade_flow import FLOW_PARTIES, submit
from traceability.trade import samples

world_stage, parties = stage_fixtures("parties", FLOW_PARTIES)

_csrf = csrf_of
_browser = new_browser


def test_root_is_the_sign_in_page_with_nothing_from_another_host(world: World) -> None:
    browser = _browser(world)
    page = browser.get("/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<label for="credential">' in page.text
    assert 'id="credential"' in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert not re.search(r"""(src|href|action)=["']?(https?:)?//""", page.text)
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/signin" in cookie
    zh = browser.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert "登录" in zh.text
    assert 'lang="zh"' in zh.text
    assert 'lang="en"' in browser.get("/?lang=en").text


def test_a_party_signs_in_with_its_key_and_out_again(
    world: World, parties: dict[str, Actor]
) -> None:
    browser = _browser(world)
    answer = sign_in(browser, parties["platform"].api_key)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/portal"
    cookie = answer.headers["set-cookie"]
    assert "sandan_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/" in cookie
    home = browser.get("/portal", headers={"Accept-Language": "en"})
    assert home.status_code == 200
    assert parties["platform"].code in home.text
    assert "platform" in home.text
    assert 'href="/portal/trades"' in home.text
    # Only the token's hash is stored.
    token = browser.cookies.get("sandan_session")
    with Session(world.runtime.engine) as session:
        stored = session.exec(select(PortalSessionRecord)).all()
    assert token
    assert all(token not in r.token_hash for r in stored)

    out = browser.post("/signout", data={"csrf": _csrf(home.text)}, follow_redirects=False)
    assert out.status_code == 303
    assert out.headers["location"] == "/"
    # The old cookie is worth nothing now, even replayed by hand.
    replay = _browser(world)
    replay.cookies.set("sandan_session", token)
    assert replay.get("/portal", follow_redirects=False).headers["location"] == "/"


def test_the_operator_signs_in_with_the_admin_token_and_has_no_trade_menu(world: World) -> None:
    browser = _browser(world)
    assert sign_in(browser, ADMIN_TOKEN).status_code == 303
    home = browser.get("/portal", headers={"Accept-Language": "en"})
    assert "the operator" in home.text
    assert 'href="/portal/trades"' not in home.text


@pytest.mark.parametrize("credential", ["", "sk_nope", "x" * 500, ADMIN_TOKEN + " x"])
def test_a_wrong_credential_is_refused_and_opens_no_session(world: World, credential: str) -> None:
    browser = _browser(world)
    answer = sign_in(browser, credential)
    assert answer.status_code == 401
    assert "sandan_session" not in answer.headers.get("set-cookie", "")
    assert browser.get("/portal", follow_redirects=False).status_code == 303


def test_forms_without_their_csrf_token_are_refused(
    world: World, parties: dict[str, Actor]
) -> None:
    browser = _browser(world)
    browser.get("/")
    for data in ({"credential": parties["platform"].api_key},
                 {"credential": parties["platform"].api_key, "csrf": "forged"}):  # fmt: skip
        answer = browser.post("/signin", data=data, follow_redirects=False)
        assert answer.status_code == 403
        assert "sandan_session" not in answer.headers.get("set-cookie", "")
    # A page of another site cannot sign a victim in or out: no token, no cookie of ours.
    stranger = _browser(world)
    answer = stranger.post("/signin", data={"credential": ADMIN_TOKEN, "csrf": "x"})
    assert answer.status_code == 403

    assert sign_in(browser, parties["platform"].api_key).status_code == 303
    for data in ({}, {"csrf": "forged"}):
        assert browser.post("/signout", data=data, follow_redirects=False).status_code == 403
    assert browser.get("/portal").status_code == 200  # still signed in


def test_a_session_ends_when_idle_and_at_its_longest_life(
    world: World, parties: dict[str, Actor]
) -> None:
    for column in ("idle_until", "expires_at"):
        browser = _browser(world)
        assert sign_in(browser, parties["payment"].api_key).status_code == 303
        assert browser.get("/portal").status_code == 200
        with Session(world.runtime.engine) as session:
            for record in session.exec(select(PortalSessionRecord)).all():
                setattr(record, column, utcnow() - timedelta(seconds=1))
                session.add(record)
            session.commit()
        assert browser.get("/portal", follow_redirects=False).headers["location"] == "/"
        with Session(world.runtime.engine) as session:
            assert session.exec(select(PortalSessionRecord)).all() == []


def test_each_page_answers_as_its_api_route_does(world: World, parties: dict[str, Actor]) -> None:
    submitted = submit(world, parties, samples.import_trade())
    trade_id, order_hash = submitted[0]["tradeId"], submitted[0]["contentHash"]
    other = submit(world, parties, samples.short_payment_trade())[0]["tradeId"]
    world.worker.drain()  # anchored: the proof routes answer 200 to those who may read it
    period = "periodStart=2000-01-01&periodEnd=2100-01-01"
    outsider = world.actor("EBP-OTHER", ["platform"])
    callers = {**parties, "outsider": outsider}
    pages_and_routes = [
        (f"/portal/trades/{trade_id}", f"/trades/{trade_id}"),
        (f"/portal/trades/{other}", f"/trades/{other}"),
        ("/portal/trades/" + "0" * 64, "/trades/" + "0" * 64),
        ("/portal/trades/not-a-trade", "/trades/not-a-trade"),
        ("/portal/trades", "/trades"),
        ("/portal/trades?mode=9999", "/trades?mode=9999"),
        ("/portal/customs", "/customs/releasable"),
        (f"/portal/customs/summary.json?{period}", f"/customs/summary?{period}"),
        (
            "/portal/customs/summary.json?periodStart=x&periodEnd=y",
            "/customs/summary?periodStart=x&periodEnd=y",
        ),
        (f"/portal/bank/trades/{trade_id}/bundle.json", f"/banks/trades/{trade_id}/bundle"),
        (f"/portal/documents/{order_hash}/proof", f"/documents/{order_hash}/proof"),
        ("/portal/stats.json", "/stats"),
        ("/portal/stats.json?groupBy=planet", "/stats?groupBy=planet"),
        ("/portal/inbox", "/inbox"),
    ]
    seen = set()
    for name, actor in callers.items():
        browser = _browser(world)
        assert sign_in(browser, actor.api_key).status_code == 303
        for page, route in pages_and_routes:
            api = world.client.get(route, headers=actor.headers).status_code
            shown = browser.get(page, follow_redirects=False).status_code
            assert shown == api, (name, page, shown, api)
            seen.add(api)
    assert seen == {200, 403, 404, 422}
    operator = _browser(world)
    assert sign_in(operator, ADMIN_TOKEN).status_code == 303
    operator_seen = set()
    for page, route in pages_and_routes:
        api = world.client.get(route, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        shown = operator.get(page, follow_redirects=False).status_code
        assert shown == api.status_code, (page, shown, api.status_code)
        operator_seen.add(shown)
    assert operator_seen >= {200, 401}


def test_the_trade_page_shows_each_failed_rule_with_expected_and_found(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = submit(world, parties, samples.short_payment_trade())[0]["tradeId"]
    browser = _browser(world)
    assert sign_in(browser, parties["platform"].api_key).status_code == 303
    page = browser.get(f"/portal/trades/{trade_id}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    verdict = world.client.get(
        f"/trades/{trade_id}/verdict", headers=parties["platform"].headers
    ).json()
    assert verdict["failures"]
    for failure in verdict["failures"]:
        assert failure["rule"] in page.text
        assert f"{failure['document']}.{failure['field']}" in page.text
    listing = browser.get("/portal/trades", headers={"Accept-Language": "zh"})
    assert f"/portal/trades/{trade_id}" in listing.text
    assert "三单不符" in listing.text


def test_customs_releases_from_its_queue_page_as_through_the_api(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = submit(world, parties, samples.import_trade())[0]["tradeId"]
    world.worker.drain()
    customs = _browser(world)
    assert sign_in(customs, parties["customs"].api_key).status_code == 303
    queue = customs.get("/portal/customs", headers={"Accept-Language": "en"})
    assert queue.status_code == 200
    assert f"/portal/customs/trades/{trade_id}/release" in queue.text
    assert 'href="/portal/customs"' in customs.get("/portal").text
    release = f"/portal/customs/trades/{trade_id}/release"

    # Without the session's token nothing is released.
    forged = customs.post(release, data={"csrf": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    trade = world.client.get(f"/trades/{trade_id}", headers=parties["customs"].headers).json()
    assert trade["released"] is False

    # Another role gets what the API route gives it: 403, and no release.
    for name in ("platform", "bank_a"):
        other = _browser(world)
        assert sign_in(other, parties[name].api_key).status_code == 303
        token = _csrf(other.get("/portal").text)
        api = world.client.post(
            f"/customs/trades/{trade_id}/release", headers=parties[name].headers
        )
        assert other.get("/portal/customs").status_code == api.status_code == 403
        page = other.post(release, data={"csrf": token}, follow_redirects=False)
        assert page.status_code == 403
        assert 'href="/portal/customs"' not in other.get("/portal").text

    done = customs.post(release, data={"csrf": _csrf(queue.text)}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"].startswith("/portal/customs?released=")
    trade = world.client.get(f"/trades/{trade_id}", headers=parties["customs"].headers).json()
    assert trade["released"] is True
    assert trade["releaseTx"]
    after = customs.get(done.headers["location"], headers={"Accept-Language": "en"})
    assert "Released" in after.text
    assert f"/portal/customs/trades/{trade_id}/release" not in after.text
    # Releasing again answers as the API does (409: already released).
    again = customs.post(release, data={"csrf": _csrf(after.text)}, follow_redirects=False)
    api = world.client.post(
        f"/customs/trades/{trade_id}/release", headers=parties["customs"].headers
    )
    assert again.status_code == api.status_code == 409


def test_a_rotated_api_key_ends_the_sessions_opened_with_the_old_one(
    world: World, parties: dict[str, Actor]
) -> None:
    browser = _browser(world)
    assert sign_in(browser, parties["logistics"].api_key).status_code == 303
    assert browser.get("/portal").status_code == 200
    code = parties["logistics"].code
    rotated = world.client.post(f"/parties/{code}/api-key", headers=world.admin)
    assert rotated.status_code == 200, rotated.text
    assert browser.get("/portal", follow_redirects=False).headers["location"] == "/"
    fresh = _browser(world)
    assert sign_in(fresh, rotated.json()["apiKey"]).status_code == 303
    assert fresh.get("/portal").status_code == 200


def test_a_new_admin_token_ends_the_operators_sessions(world: World) -> None:
    browser = _browser(world)
    assert sign_in(browser, ADMIN_TOKEN).status_code == 303
    assert browser.get("/portal").status_code == 200
    world.runtime.admin_token = "another-admin-token"  # as after a restart with a new token
    try:
        assert browser.get("/portal", follow_redirects=False).headers["location"] == "/"
    finally:
        world.runtime.admin_token = ADMIN_TOKEN


def test_the_operator_sees_every_party_and_a_party_is_refused(
    world: World, parties: dict[str, Actor]
) -> None:
    operator = _browser(world)
    assert sign_in(operator, ADMIN_TOKEN).status_code == 303
    home = operator.get("/portal", headers={"Accept-Language": "en"})
    assert 'href="/portal/parties"' in home.text
    page = operator.get("/portal/parties", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    for actor in parties.values():
        assert f"<td>{actor.code}</td>" in page.text
    party = _browser(world)
    assert sign_in(party, parties["platform"].api_key).status_code == 303
    assert party.get("/portal/parties").status_code == 403
    assert 'href="/portal/parties"' not in party.get("/portal").text


def test_failed_sign_ins_are_slowed_and_successes_are_not(
    world: World, parties: dict[str, Actor]
) -> None:
    for _ in range(12):  # more successes than the failure budget: none is refused
        assert sign_in(_browser(world), parties["platform"].api_key).status_code == 303
    browser = _browser(world)
    budget = world.runtime.settings.signin_failures_per_minute
    answers = [sign_in(browser, "guess-" + str(n)).status_code for n in range(budget + 1)]
    assert answers == [401] * budget + [429]
    # Even the right key waits now: the attacker cannot tell a hit from the wait.
    assert sign_in(browser, parties["platform"].api_key).status_code == 429
    world.client.app.state.signin_limiter._buckets.clear()  # a minute later
    assert sign_in(browser, parties["platform"].api_key).status_code == 303
