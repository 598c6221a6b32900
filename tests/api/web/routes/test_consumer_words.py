"""The consumer page speaks words, not codes: places, products, units, steps, recorders, state."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import event as sa_event

from api.demo.trace import PLACES, PRODUCTS
from api.services.trace import cache as trace_cache
from api.services.trace.i18n import TEXT
from api.services.trace.words import MEASUREMENTS, STEPS
from api.web.pages import consumer
from tests.api.conftest import World
from tests.api.trace_fixtures import (
    IDS,
    LOT_PATH,
    TraceParties,
    chain_document,
    sub_document,
    tamper_aggregation_event,
)

JSON = {"Accept": "application/json"}


def _visible(page: str) -> str:
    """The page's text as a reader sees it (no style, tags or attributes)."""
    body = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


# --- locations ---------------------------------------------------------------------------


def test_set_locations_takes_named_places_and_keeps_names_for_bare_glns(
    world: World, trace_parties: TraceParties
) -> None:
    path = "/parties/producer-1/locations"
    again = world.client.put(path, json={"glns": [IDS.farm]}, headers=world.admin)
    assert again.status_code == 200, again.text
    farm = next(p for p in again.json()["locations"] if p["gln"] == IDS.farm)
    assert farm["nameZh"] == PLACES["farm"]["nameZh"]
    assert IDS.farm in again.json()["glns"]
    renamed = {"gln": IDS.farm, "name": "Orchard B7", "address": "Xinfeng"}
    body = world.client.put(path, json={"glns": [renamed]}, headers=world.admin).json()
    farm = next(p for p in body["locations"] if p["gln"] == IDS.farm)
    assert (farm["name"], farm["nameZh"], farm["address"]) == ("Orchard B7", None, "Xinfeng")


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"gln": "6901234000017", "name": "Bad check digit"}, "glns[0]"),
        ({"gln": IDS.farm, "name": "Orchard\u202eB7"}, "glns[0].name"),
        ({"gln": IDS.farm, "name": "Orchard", "addressZh": "安西镇\x00"}, "glns[0].addressZh"),
        ({"gln": IDS.farm, "name": "x" * 121}, "glns.0.location.name"),
        ({"gln": IDS.farm}, "glns.0.location.name"),
        ("690123400001", "glns.0.gln"),
    ],
)
def test_set_locations_refuses_bad_place_naming_the_field(
    world: World, trace_parties: TraceParties, item: dict[str, Any], field: str
) -> None:
    response = world.client.put(
        "/parties/producer-1/locations", json={"glns": [item]}, headers=world.admin
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"].startswith(field)


# --- products ----------------------------------------------------------------------------


def test_set_product_by_the_brand_owner_only(world: World, trace_parties: TraceParties) -> None:
    body = {"name": "Navel oranges", "nameZh": "脐橙"}
    refused = world.client.put(
        f"/products/{IDS.gtin}", json=body, headers=trace_parties.inspector.headers
    )
    assert refused.status_code == 403
    assert refused.json()["field"] == "path.gtin"
    bad = world.client.put(
        "/products/06901234123457", json=body, headers=trace_parties.producer.headers
    )
    assert (bad.status_code, bad.json()["field"]) == (422, "path.gtin")
    hostile = world.client.put(
        f"/products/{IDS.gtin}", json={"name": "a\u200bb"}, headers=trace_parties.producer.headers
    )
    assert (hostile.status_code, hostile.json()["field"]) == (422, "body.name")
    saved = world.client.put(
        f"/products/{IDS.gtin}", json=body, headers=trace_parties.producer.headers
    )
    assert saved.status_code == 200, saved.text
    read = world.client.get(f"/products/{IDS.gtin}").json()
    assert (read["name"], read["nameZh"], read["owner"]) == ("Navel oranges", "脐橙", "producer-1")
    assert world.client.get(f"/products/{IDS.raw_gtin}").status_code == 404


# --- the page ----------------------------------------------------------------------------


def test_page_shows_names_units_and_steps_in_words(world: World, captured: TraceParties) -> None:
    page = world.client.get(LOT_PATH + "?lang=en").text
    text = _visible(page)
    assert f'<h1 data-testid="title">{PRODUCTS["gtin"]["name"]}</h1>' in page
    assert PLACES["farm"]["name"] in text
    assert PLACES["farm"]["address"] in text
    assert f'<small class="muted">GLN {IDS.farm}</small>' in page
    assert f"GLN {IDS.warehouse}" in text  # a bare GLN is shown as such
    for words in ("1200 kg", "6.5°C", "12.8 °Brix", "0.02 mg/kg", "230 items", "1 pallet"):
        assert words in text, words
    for code in ("KGM", "CEL", "P1", " NA", "PROD-", "id.gs1.org/414", "broken_custody"):
        assert code not in text.replace(f"{IDS.gtin}/10", ""), code
    assert not re.search(r"Quantity:\s*(<|$)", page)
    assert "Shipped" in text
    assert "Export shipping" in text
    assert "Other step" not in text
    assert 'data-bizstep="shipping"' in page
    assert re.search(r"Recorded by\s+producer-1 Ltd\s+\(\s*producer-1\s*\)", text)
    assert 'data-state="verified"' in page
    assert "8 of 8 events verified on chain" in text


def test_zh_page_has_no_english_words_of_the_page(world: World, captured: TraceParties) -> None:
    text = _visible(world.client.get(LOT_PATH + "?lang=zh").text)
    english = {v for v in TEXT["en"].values() if v not in TEXT["zh"].values()}
    english |= {en for en, _zh in (*STEPS.values(), *MEASUREMENTS.values())}
    # Codes and acronyms (GTIN, GLN) are the same in both; the party data has its own English.
    words = [w for w in english if re.search(r"[a-z]", w) and len(w) >= 4 and "{" not in w]
    found = [w for w in words if re.search(rf"\b{re.escape(w)}\b", text)]
    assert found == []


def test_lot_json_has_state_and_names(world: World, captured: TraceParties) -> None:
    body = world.client.get(LOT_PATH, headers=JSON).json()
    assert body["state"] == "verified"
    assert body["product"]["name"] == PRODUCTS["gtin"]["name"]
    assert body["product"]["registered"]["owner"] == captured.producer.code
    assert body["product"]["origin"]["place"]["nameZh"] == PLACES["farm"]["nameZh"]
    assert body["product"]["places"][IDS.port]["name"] == PLACES["port"]["name"]
    first = body["events"][0]
    assert first["place"]["gln"] == IDS.farm
    assert first["capturedByName"] == "producer-1 Ltd"
    lineage = world.client.get(f"/lots/{IDS.gtin}/{IDS.lot}/lineage").json()
    assert lineage["events"] == body["events"]
    assert lineage["state"] == "verified"


def test_tampered_lot_is_not_verified(world: World, captured: TraceParties) -> None:
    tamper_aggregation_event(world)
    assert world.client.get(LOT_PATH, headers=JSON).json()["state"] == "not_verified"
    page = world.client.get(LOT_PATH + "?lang=zh").text
    assert 'data-state="not_verified"' in page
    assert "未通过验证" in page
    assert "8 个事件中 7 个已在链上验证" in page


def test_lot_with_a_missing_stage_is_verified_with_gaps_in_plain_words(
    world: World, trace_parties: TraceParties
) -> None:
    events = [e for e in chain_document()["epcisBody"]["eventList"]]
    by_role = {"producer": [*events[:2], events[3]], "inspector": [events[2]]}
    for role, batch in by_role.items():
        actor = trace_parties.by_role(role)
        body = actor.envelope("epcis-event", sub_document(batch))
        assert world.client.post("/capture", json=body, headers=actor.headers).status_code == 202
    world.worker.drain()
    body = world.client.get(LOT_PATH, headers=JSON).json()
    assert body["state"] == "verified_with_gaps"
    assert {"kind": "missing_stage", "params": {"stage": "export"}}.items() <= {
        k: v for f in body["findings"] if f["params"].get("stage") == "export" for k, v in f.items()
    }.items()
    for lang, words in (("en", "No “Export shipping” step was recorded."),
                        ("zh", "未记录“出口运输”环节。")):  # fmt: skip
        page = world.client.get(f"{LOT_PATH}?lang={lang}").text
        assert 'data-state="verified_with_gaps"' in page
        assert words in _visible(page)
        assert "missing_stage" not in page


# --- cost of a page ----------------------------------------------------------------------


def test_page_render_reuses_chain_answers_lineage_and_template(
    world: World, captured: TraceParties, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = {"chain": 0, "lineage": 0, "template": 0, "sql": 0}

    def counting(name: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return function(*args, **kwargs)

        return wrapper

    trace = world.ledger.trace
    monkeypatch.setattr(trace, "verify_event", counting("chain", trace.verify_event))
    monkeypatch.setattr(trace, "lot_status", counting("chain", trace.lot_status))
    monkeypatch.setattr(
        trace_cache, "build_lineage", counting("lineage", trace_cache.build_lineage)
    )
    loader = consumer._environment().loader
    assert loader is not None
    monkeypatch.setattr(loader, "get_source", counting("template", loader.get_source))

    def on_sql(*_args: Any) -> None:
        counts["sql"] += 1

    world.client.get(LOT_PATH + "?lang=en")  # warms what a first visitor pays for once
    sa_event.listen(world.runtime.engine, "before_cursor_execute", on_sql)
    try:
        for lang in ("en", "zh", "en"):
            counts |= {"chain": 0, "lineage": 0, "template": 0, "sql": 0}
            assert world.client.get(f"{LOT_PATH}?lang={lang}").status_code == 200
            # Within the chain-answer TTL: no chain call, no new lineage, no template read;
            # the names of places, recorders and product cost three queries, not one per event,
            # and the lot's returns one.
            assert counts["chain"] == counts["lineage"] == counts["template"] == 0, counts
            assert counts["sql"] <= 8, counts
    finally:
        sa_event.remove(world.runtime.engine, "before_cursor_execute", on_sql)
