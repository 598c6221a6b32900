"""The workbench's documents page: signed envelopes and CEB XML uploaded through the API's
write path, each document's anchoring and proof, and the trade page's documents side by
side, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from api.db.models import DocumentRecord
from tests.api.conftest import World, stage_fixtures
from tests.api.factories import Actor
from tests.api.web.portal_kit import csrf_of, new_browser, sign_in
from tests.api.web.routes.test_trade_flow import FLOW_PARTIES, SIGNER
from traceability.trade import samples

world_stage, parties = stage_fixtures("parties", FLOW_PARTIES)

_EN = {"Accept-Language": "en"}


def _stored(world: World) -> int:
    with Session(world.runtime.engine) as session:
        return int(session.exec(select(func.count()).select_from(DocumentRecord)).one())


def upload(
    browser: TestClient, path: str, files: dict[str, Any], data: dict[str, str] | None = None
) -> Any:
    """Post ``files`` with the page's CSRF token, as the documents page's form does."""
    token = csrf_of(browser.get("/portal/documents").text)
    return browser.post(path, data={"csrf": token, **(data or {})}, files=files, headers=_EN)


def test_each_party_uploads_its_document_and_sees_the_verdict_and_the_anchor(
    world: World, parties: dict[str, Actor]
) -> None:
    docs = samples.import_trade()
    # One file per party, in each of the shapes the page takes: one envelope, an array, NDJSON.
    shapes = {
        "order": lambda e: orjson.dumps(e),
        "payment": lambda e: orjson.dumps([e]),
        "waybill": lambda e: orjson.dumps(e) + b"\n",
    }
    hashes = {}
    for kind, shape in shapes.items():
        actor = parties[SIGNER[kind]]
        browser = new_browser(world)
        assert sign_in(browser, actor.api_key).status_code == 303
        envelope = actor.envelope(kind, getattr(docs, kind).to_json_dict())
        answer = upload(
            browser, "/portal/documents", {"envelopes": (f"{kind}.json", shape(envelope))}
        )
        assert answer.status_code == 201, answer.text
        assert "accepted" in answer.text
        (found,) = re.findall(r"<code>([0-9a-f]{64})</code>", answer.text)
        hashes[kind] = found
        assert "waiting for its batch" in answer.text

    platform = new_browser(world)
    assert sign_in(platform, parties["platform"].api_key).status_code == 303
    trades = platform.get("/portal/trades?status=match", headers=_EN)
    (trade_id,) = set(re.findall(r"/portal/trades/([0-9a-f]{64})", trades.text))
    trade = platform.get(f"/portal/trades/{trade_id}", headers=_EN)
    assert "match" in trade.text
    for digest in hashes.values():
        assert digest in trade.text  # each document's column names its hash
    assert trade.text.count('class="doc"') == 3
    assert "<mark>" not in trade.text

    world.worker.drain()
    listing = platform.get("/portal/documents", headers=_EN)
    assert re.search(r"anchored, block \d+", listing.text)
    proof = platform.get(f"/portal/documents/{hashes['order']}/proof")
    assert proof.status_code == 200
    assert "attachment" in proof.headers["content-disposition"]
    api = world.client.get(
        f"/documents/{hashes['order']}/proof", headers=parties["platform"].headers
    ).json()
    assert proof.json() == api
    # Another party's document proof is as hidden as through the API.
    outsider = world.actor("EBP-NOSY", ["platform"])
    nosy = new_browser(world)
    assert sign_in(nosy, outsider.api_key).status_code == 303
    route = world.client.get(f"/documents/{hashes['order']}/proof", headers=outsider.headers)
    page = nosy.get(f"/portal/documents/{hashes['order']}/proof")
    assert page.status_code == route.status_code == 404


def test_a_failed_rule_is_marked_on_the_field_it_concerns(
    world: World, parties: dict[str, Actor]
) -> None:
    docs = samples.short_payment_trade()
    for kind, signer in SIGNER.items():
        document = getattr(docs, kind)
        if document is not None:
            actor = parties[signer]
            world.client.post(
                "/documents",
                json=actor.envelope(kind, document.to_json_dict()),
                headers=actor.headers,
            ).raise_for_status()
    browser = new_browser(world)
    assert sign_in(browser, parties["payment"].api_key).status_code == 303
    listing = browser.get("/portal/trades?status=mismatch&mode=9610", headers=_EN)
    (trade_id,) = set(re.findall(r"/portal/trades/([0-9a-f]{64})", listing.text))
    page = browser.get(f"/portal/trades/{trade_id}", headers=_EN).text
    # amountPaid fails in the payment's column, with what the rule expected beside it.
    row = re.search(r'<tr class="failed"><th scope="row">amountPaid</th><td><mark>([^<]*)</mark>'
                    r'<br><span class="quiet">([^<]*)</span>', page)  # fmt: skip
    assert row, page
    assert row.group(1) == "893.79"
    assert "amount.payment_equals_paid" in row.group(2)
    assert "893.80" in row.group(2)
    # A filter that matches nothing lists nothing; a bad one is 422 naming it.
    assert "/portal/trades/" + trade_id not in browser.get("/portal/trades?status=match").text
    bad = browser.get("/portal/trades?mode=9999", headers=_EN)
    assert bad.status_code == 422
    assert "mode" in bad.text
    assert browser.get("/portal/trades?from=yesterday").status_code == 422


def test_a_refused_upload_stores_nothing_and_says_which_field(
    world: World, parties: dict[str, Actor]
) -> None:
    actor = parties["platform"]
    browser = new_browser(world)
    assert sign_in(browser, actor.api_key).status_code == 303
    before = _stored(world)
    envelope = actor.envelope("order", samples.import_trade().order.to_json_dict())
    tampered = json.loads(json.dumps(envelope))
    tampered["payload"]["document"]["goodsValue"] = "1"
    answer = upload(browser, "/portal/documents", {"envelopes": ("o.json", orjson.dumps(tampered))})
    assert answer.status_code == 422
    assert "refused" in answer.text
    assert "signature" in answer.text
    garbage = upload(browser, "/portal/documents", {"envelopes": ("o.json", b"{not json")})
    assert garbage.status_code == 422
    empty = upload(browser, "/portal/documents", {"envelopes": ("o.json", b"")})
    assert empty.status_code == 400
    # Without the session's CSRF token the file is not even read.
    forged = browser.post(
        "/portal/documents",
        data={"csrf": "forged"},
        files={"envelopes": ("o.json", orjson.dumps(envelope))},
    )
    assert forged.status_code == 403
    # Without a session, the upload goes to sign-in and stores nothing.
    anonymous = new_browser(world).post(
        "/portal/documents", files={"envelopes": ("o.json", orjson.dumps(envelope))},
        follow_redirects=False,
    )  # fmt: skip
    assert anonymous.status_code == 303
    assert _stored(world) == before
