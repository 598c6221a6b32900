"""The statistics dashboard of the workbench: each viewer's page in zh and en, labelled filters,
charts with their tables, nothing from another host, and exports equal to the API's answers;
on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import ADMIN_TOKEN, World, stage_fixtures
from tests.api.factories import Actor
from tests.api.web.routes.test_stats import _zone
from tests.api.web.routes.test_trade_flow import FLOW_PARTIES
from tests.api.web.test_portal import _browser, sign_in

world_stage, parties = stage_fixtures("parties", FLOW_PARTIES)

_EXTERNAL = re.compile(r"""(https?:)?//(?!testserver[/"'])""")
_FIELD_ID = re.compile(r"""<(?:input|select)[^>]*\bid="([^"]+)\"""")


def _credentials(world: World, parties: dict[str, Actor]) -> dict[str, tuple[str, dict, str]]:
    """Each viewer: its credential, its API headers and the scope it sees."""
    zone = _zone(world, parties)
    return {
        "operator": (ADMIN_TOKEN, world.admin, "zone"),
        "customs": (parties["customs"].api_key, parties["customs"].headers, "zone"),
        "regulator": (zone.regulator.api_key, zone.regulator.headers, "zone"),
        "exporter": (zone.exporter.api_key, zone.exporter.headers, "own"),
        "bank": (parties["bank_b"].api_key, parties["bank_b"].headers, "own"),
        "outsider": (zone.outsider.api_key, zone.outsider.headers, "own"),
    }


@pytest.mark.parametrize(
    ("lang", "title", "own"),
    [("zh", "统计监测", "仅本企业的交易"), ("en", "Statistics", "Your own")],
)
def test_the_dashboard_renders_for_each_viewer_in_each_language(
    world: World, parties: dict[str, Actor], lang: str, title: str, own: str
) -> None:
    for name, (credential, _headers, scope) in _credentials(world, parties).items():
        browser = _browser(world)
        assert sign_in(browser, credential).status_code == 303
        page = browser.get("/portal/stats", params={"lang": lang, "groupBy": "hsChapter"})
        assert page.status_code == 200, (name, page.text)
        html = page.text
        assert f'lang="{lang}"' in html
        assert title in html
        assert (own in html) == (scope == "own"), name
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert not _EXTERNAL.search(html), (name, _EXTERNAL.search(html))
        assert "<script" not in html
        ids = _FIELD_ID.findall(html)
        assert {
            "groupBy",
            "periodStart",
            "periodEnd",
            "mode",
            "direction",
            "country",
            "party",
        } <= set(ids)
        for field in ids:
            assert f'<label for="{field}">' in html, (name, field)
        assert '<form class="card filters" method="get" action="/portal/stats">' in html
        assert html.count('<svg class="chart" role="img"') >= 1
        assert "<table" in html
        assert 'href="/portal/stats.csv?groupBy=hsChapter"' in html
        assert 'href="/portal/stats.json?groupBy=hsChapter"' in html
        assert ("outbox" in html) == (scope == "zone"), name


def test_the_dashboard_exports_are_what_the_api_answers(
    world: World, parties: dict[str, Actor]
) -> None:
    params = {"groupBy": "country", "periodStart": "2025-03-01", "periodEnd": "2025-03-31"}
    for name, (credential, headers, _scope) in _credentials(world, parties).items():
        browser = _browser(world)
        assert sign_in(browser, credential).status_code == 303
        page = browser.get("/portal/stats", params=params, headers={"Accept-Language": "en"})
        assert 'value="2025-03-31"' in page.text
        shown = browser.get("/portal/stats.json", params=params)
        api = world.client.get("/stats", params=params, headers=headers)
        assert shown.status_code == api.status_code == 200, name
        assert shown.json() == api.json(), name
        table = browser.get("/portal/stats.csv", params=params)
        api_table = world.client.get("/stats.csv", params=params, headers=headers)
        assert table.headers["content-type"] == "text/csv; charset=utf-8"
        assert table.text == api_table.text, name


@pytest.mark.parametrize(
    ("params", "field"), [({"groupBy": "colour"}, "groupBy"), ({"periodEnd": "soon"}, "periodEnd")]
)
def test_the_dashboard_answers_bad_filters_as_the_api_does(
    world: World, params: dict[str, str], field: str
) -> None:
    browser = _browser(world)
    assert sign_in(browser, ADMIN_TOKEN).status_code == 303
    api = world.client.get("/stats", params=params, headers=world.admin)
    assert api.status_code == 422
    assert api.json()["field"] == field
    for path in ("/portal/stats", "/portal/stats.json", "/portal/stats.csv"):
        assert browser.get(path, params=params).status_code == 422, path


def test_the_dashboard_sends_a_browser_without_a_session_to_sign_in(world: World) -> None:
    for path in ("/portal/stats", "/portal/stats.json", "/portal/stats.csv"):
        answer = _browser(world).get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/"
