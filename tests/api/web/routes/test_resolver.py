"""The Digital Link resolver: negotiation, linksets, redirects, errors, recalls, tampering."""

from __future__ import annotations

import copy

import pytest

from tests.api.conftest import World
from tests.api.trace_fixtures import (
    IDS,
    LOT_PATH,
    TraceParties,
    chain_document,
    sub_document,
    tamper_aggregation_event,
)

BASE = "http://testserver"
GS1 = "https://gs1.org/voc/"


def test_resolve_lot_html_for_browsers(world: World, captured: TraceParties) -> None:
    response = world.client.get(
        LOT_PATH,
        headers={"Accept": "text/html,*/*;q=0.8", "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["Content-Language"] == "zh-CN"
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "8 个事件中 8 个已在链上验证" in response.text
    assert response.text.count('data-status="verified"') == 8


@pytest.mark.parametrize(
    ("query", "accept_language", "expected"),
    [("", "en-GB,en;q=0.9", "8 of 8 events verified on chain"),
     ("?lang=en", "zh-CN", "8 of 8 events verified on chain"),
     ("?lang=zh", "en", "8 个事件中 8 个已在链上验证")],
)  # fmt: skip
def test_resolve_lot_language(
    world: World, captured: TraceParties, query: str, accept_language: str, expected: str
) -> None:
    response = world.client.get(LOT_PATH + query, headers={"Accept-Language": accept_language})
    assert expected in response.text


def test_resolve_lot_json_provenance(world: World, captured: TraceParties) -> None:
    response = world.client.get(LOT_PATH, headers={"Accept": "application/json"})
    assert response.status_code == 200
    body = response.json()
    assert (body["gtin"], body["lot"]) == (IDS.gtin, IDS.lot)
    assert body["verification"]["allVerified"] is True
    assert [s["stage"] for s in body["stages"] if s["events"]] == [
        "origin",
        "processing",
        "inspection",
        "packing",
        "export",
        "warehouse",
        "retail",
    ]
    checks = [e["verification"] for e in body["events"]]
    assert all(c["status"] == "verified" and c["blockNumber"] and c["txHash"] for c in checks)
    assert body["recall"]["recalled"] is False
    assert body["orderNumbers"] == [IDS.order_no]
    assert body["product"]["origin"]["gln"] == IDS.farm
    assert (
        world.client.get(f"/lots/{IDS.gtin}/{IDS.lot}/lineage").json()["events"] == body["events"]
    )


def test_resolve_lot_linkset(world: World, captured: TraceParties) -> None:
    for response in (
        world.client.get(LOT_PATH, headers={"Accept": "application/linkset+json"}),
        world.client.get(LOT_PATH + "?linkType=all"),
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/linkset+json")
        (context,) = response.json()["linkset"]
        assert context["anchor"] == BASE + LOT_PATH
        for relation in ("defaultLink", "pip", "traceability", "epcis", "recallStatus",
                         "certificationInfo"):  # fmt: skip
            targets = context[GS1 + relation]
            assert isinstance(targets, list)
            assert all("href" in t for t in targets)
        assert context[GS1 + "certificationInfo"][0]["href"].startswith("https://cert.example.cn/")
    assert 'rel="linkset"' in response.headers["Link"]


@pytest.mark.parametrize(
    ("link_type", "target"),
    [("gs1:pip", f"{BASE}/lots/{IDS.gtin}/{IDS.lot}"),
     ("gs1:traceability", f"{BASE}/lots/{IDS.gtin}/{IDS.lot}/lineage"),
     ("gs1:certificationInfo", "https://cert.example.cn/CIQ/2024/360700-118"),
     ("https://gs1.org/voc/recallStatus", f"{BASE}/lots/{IDS.gtin}/{IDS.lot}/recall-status")],
)  # fmt: skip
def test_resolve_lot_link_type_redirects(
    world: World, captured: TraceParties, link_type: str, target: str
) -> None:
    response = world.client.get(LOT_PATH, params={"linkType": link_type}, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["Location"] == target


def test_resolve_lot_unknown_link_type_is_404(world: World, captured: TraceParties) -> None:
    response = world.client.get(LOT_PATH, params={"linkType": "gs1:recipeInfo"})
    assert response.status_code == 404
    assert response.json()["field"] == "query.linkType"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/01/06901234123457/10/{IDS.lot}", "path./01"),  # wrong check digit
        (f"/01/{IDS.gtin}/21/S1/10/{IDS.lot}", "path./21"),  # qualifiers out of order
        (f"/01/{IDS.gtin}/10/{'X' * 21}", "path./10"),  # lot too long
        (f"/01/{IDS.gtin}/10/{IDS.lot}?17=251340", "query.17"),  # no month 13
        (f"/01/{IDS.gtin}/10/{IDS.lot}?10=ABC", "query.10"),  # qualifier in the query
    ],
)
def test_resolve_invalid_digital_link_is_400_naming_part(
    world: World, path: str, field: str
) -> None:
    response = world.client.get(path)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field


def test_resolve_unknown_lot_is_404(world: World, captured: TraceParties) -> None:
    response = world.client.get(f"/01/{IDS.gtin}/10/NOPE", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json()["field"] == "path./10"


def test_resolve_product_level_and_expiry_attribute(world: World, captured: TraceParties) -> None:
    product = world.client.get(f"/01/{IDS.gtin}", headers={"Accept": "application/json"}).json()
    assert product["lots"] == [{"lot": IDS.lot, "digitalLink": BASE + LOT_PATH}]
    with_expiry = world.client.get(LOT_PATH + "?17=250630", headers={"Accept": "application/json"})
    assert with_expiry.status_code == 200
    assert world.client.get(f"/01/{IDS.gtin}").headers["content-type"].startswith("text/html")


def test_well_known_resolver_description(world: World) -> None:
    body = world.client.get("/.well-known/gs1resolver").json()
    assert body["resolverRoot"] == BASE
    assert body["linkTypeDefaultCanBeLinkset"] is True


@pytest.mark.parametrize(("fmt", "magic"), [("png", b"\x89PNG"), ("svg", b"<svg")])
def test_qr_code_of_digital_link(world: World, fmt: str, magic: bytes) -> None:
    response = world.client.get("/qr", params={"dl": BASE + LOT_PATH + "?17=250630", "format": fmt})
    assert response.status_code == 200
    assert magic in response.content[:200]


def test_qr_code_rejects_invalid_link(world: World) -> None:
    response = world.client.get("/qr", params={"dl": "https://example.com/01/06901234123457"})
    assert response.status_code == 400
    assert response.json()["field"] == "dl.path./01"


def test_recall_shows_banner_and_clears(world: World, captured: TraceParties) -> None:
    inspector = captured.inspector
    refused = world.client.post(f"/lots/{IDS.gtin}/{IDS.lot}/recall", json={"reason": "x"},
                                headers=captured.producer.headers)  # fmt: skip
    assert refused.status_code == 403
    reason = "pesticide residue above the EU limit"
    response = world.client.post(f"/lots/{IDS.gtin}/{IDS.lot}/recall", json={"reason": reason},
                                 headers=inspector.headers)  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["txHash"].startswith("0x")
    again = world.client.post(f"/lots/{IDS.gtin}/{IDS.lot}/recall", json={"reason": reason},
                              headers=inspector.headers)  # fmt: skip
    assert again.status_code == 409
    page = world.client.get(LOT_PATH + "?lang=en")
    assert 'data-testid="recall-banner"' in page.text
    assert reason in page.text
    body = world.client.get(LOT_PATH, headers={"Accept": "application/json"}).json()
    assert body["recall"] | {"txHash": None, "blockNumber": None} == {
        "recalled": True, "reason": reason, "by": inspector.code, "txHash": None,
        "blockNumber": None, "source": "chain", "via": None,
    }  # fmt: skip
    statuses = {e["verification"]["status"] for e in body["events"] if e["stage"] != "origin"}
    assert statuses == {"recalled"}
    cleared = world.client.post(
        f"/lots/{IDS.gtin}/{IDS.lot}/clear-recall",
        json={"reason": "re-tested: conformant"},
        headers=inspector.headers,
    )
    assert cleared.status_code == 200
    assert 'data-testid="recall-banner"' not in world.client.get(LOT_PATH).text


def test_verification_fails_after_stored_event_is_tampered(
    world: World, captured: TraceParties
) -> None:
    tampered = tamper_aggregation_event(world)
    body = world.client.get(LOT_PATH, headers={"Accept": "application/json"}).json()
    checks = {e["eventHash"]: e["verification"] for e in body["events"]}
    assert checks[tampered]["status"] == "hash_mismatch"
    assert checks[tampered]["recomputedHash"] != tampered
    assert {c["status"] for h, c in checks.items() if h != tampered} == {"verified"}
    assert body["verification"]["allVerified"] is False


def test_verification_reports_not_anchored_before_worker_runs(
    world: World, trace_parties: TraceParties
) -> None:
    producer = trace_parties.producer
    event = chain_document()["epcisBody"]["eventList"][1]
    response = world.client.post("/capture", json=sub_document([event]), headers=producer.headers)
    assert response.status_code == 202
    body = world.client.get(LOT_PATH, headers={"Accept": "application/json"}).json()
    assert [e["verification"]["status"] for e in body["events"]] == ["not_anchored"]


HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def test_page_escapes_hostile_event_fields(world: World, trace_parties: TraceParties) -> None:
    events = copy.deepcopy(chain_document()["epcisBody"]["eventList"])
    harvest, grading, inspection = events[0], events[1], events[2]
    harvest["ilmd"]["sandan:variety"] = HOSTILE
    harvest["ilmd"][f"sandan:{'x' * 3}"] = HOSTILE
    grading["ilmd"]["sandan:grade"] = HOSTILE
    inspection["certificationInfo"] = ["javascript:alert(3)"]
    inspection["sensorElementList"][0]["sensorReport"][0]["uom"] = "KGM"
    producer, inspector = trace_parties.producer, trace_parties.inspector
    for actor, batch in ((producer, [harvest, grading]), (inspector, [inspection])):
        body = actor.envelope("epcis-event", sub_document(batch))
        response = world.client.post("/capture", json=body, headers=actor.headers)
        job = world.client.get(response.headers["Location"], headers=actor.headers).json()
        assert job["success"], job
    world.worker.drain()  # product details come from the verified provenance only
    page = world.client.get(LOT_PATH).text
    assert "<script>" not in page
    assert "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page
    assert "javascript:alert(3)" in page  # shown as text, not as a link


def test_recall_of_the_raw_lot_shows_on_the_cases_made_from_it(
    world: World, captured: TraceParties
) -> None:
    reason = "irrigation water contaminated"
    response = world.client.post(
        f"/lots/{IDS.raw_gtin}/{IDS.lot}/recall",
        json={"reason": reason},
        headers=captured.inspector.headers,
    )
    assert response.status_code == 200, response.text
    status = world.client.get(f"/lots/{IDS.gtin}/{IDS.lot}/recall-status").json()
    assert status["recalled"] is True
    assert status["via"] == {"gtin": IDS.raw_gtin, "lot": IDS.lot}
    assert status["reason"] == reason
    page = world.client.get(LOT_PATH + "?lang=en")
    assert 'data-testid="recall-banner"' in page.text
    assert 'data-testid="recall-via"' in page.text
    # The case lot itself can still be recalled on its own account.
    own = world.client.post(
        f"/lots/{IDS.gtin}/{IDS.lot}/recall",
        json={"reason": "cases recalled too"},
        headers=captured.inspector.headers,
    )
    assert own.status_code == 200, own.text


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        (LOT_PATH, "text/html"),
        (LOT_PATH, "application/json"),
        (f"/01/{IDS.gtin}/10/NO-SUCH-LOT", "application/json"),
    ],
)
def test_head_of_a_digital_link_answers_as_get_without_a_body(
    world: World, captured: TraceParties, path: str, accept: str
) -> None:
    get = world.client.get(path, headers={"Accept": accept})
    head = world.client.head(path, headers={"Accept": accept})
    assert head.status_code == get.status_code != 405
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    for name in ("Link", "Content-Language", "Content-Security-Policy", "Location"):
        assert head.headers.get(name) == get.headers.get(name), name
