"""Stored resolver answers: ETag, Cache-Control and 304, and a change shows on the next request.

A lot's page, JSON and linkset are kept as bytes per runtime and checked
against the database's trace version on each request: whatever commits a
change (this app, another API process, the worker, a hand-edited row) shows on
the very next request, with no clock stepped.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session, col, select

from api.db import trace_version
from api.db.models import utcnow
from api.db.trace_models import (
    LotRecallRecord,
    ProductRecord,
    TraceEventLotRecord,
    TraceEventRecord,
)
from api.services.trace.answers import ANSWER_REFRESH, ANSWER_TTL_S, stored_answer
from api.services.trace.cache import chain_facts
from api.services.trace.store import LotRef
from api.web import fast
from api.web.routes import resolver as resolver_route
from tests.api.conftest import World
from tests.api.trace_fixtures import (
    IDS,
    LOT_PATH,
    TraceParties,
    chain_document,
    sub_document,
    tamper_aggregation_event,
)
from tests.api.web.routes.test_resolver_cache import Clock, recall_on_chain

JSON = {"Accept": "application/json"}
ACCEPTS = ["text/html", "application/json", "application/linkset+json"]


def _get(world: World, accept: str = "application/json", **headers: str) -> Any:
    return world.client.get(LOT_PATH, headers={"Accept": accept, **headers})


@pytest.mark.parametrize("accept", ACCEPTS)
def test_resolve_lot_answers_with_strong_etag_and_revalidation(
    world: World, captured: TraceParties, accept: str
) -> None:
    first = _get(world, accept)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")
    assert first.headers["Cache-Control"] == "public, no-cache"
    assert first.headers["Vary"] == "Accept, Accept-Language"
    again = _get(world, accept)
    assert again.headers["ETag"] == etag
    assert again.content == first.content


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize(
    ("if_none_match", "status"),
    [
        ("{etag}", 304),
        ("W/{etag}", 304),  # If-None-Match compares weakly
        ('"other", {etag}', 304),
        ("*", 304),
        ('"not-this-one"', 200),
    ],
)
def test_resolve_lot_if_none_match(
    world: World, captured: TraceParties, accept: str, if_none_match: str, status: int
) -> None:
    etag = _get(world, accept).headers["ETag"]
    answer = _get(world, accept, **{"If-None-Match": if_none_match.format(etag=etag)})
    assert answer.status_code == status
    assert answer.headers["ETag"] == etag
    assert answer.headers["Cache-Control"] == "public, no-cache"
    assert answer.headers["Vary"] == "Accept, Accept-Language"
    assert (answer.content == b"") == (status == 304)


def test_head_of_a_lot_revalidates_like_get(world: World, captured: TraceParties) -> None:
    get = world.client.get(LOT_PATH)
    head = world.client.head(LOT_PATH)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    matched = world.client.head(LOT_PATH, headers={"If-None-Match": get.headers["ETag"]})
    assert matched.status_code == 304
    assert matched.content == b""


def test_answers_differ_by_language_and_media_type(world: World, captured: TraceParties) -> None:
    tags = {
        _get(world, "text/html", **{"Accept-Language": "zh-CN"}).headers["ETag"],
        _get(world, "text/html", **{"Accept-Language": "en"}).headers["ETag"],
        _get(world, "application/json").headers["ETag"],
        _get(world, "application/linkset+json").headers["ETag"],
    }
    assert len(tags) == 4


# --- a change shows on the next request -----------------------------------------------------


def _recall_from_another_process(world: World, parties: TraceParties, reason: str) -> None:
    """What another API process does for a recall: the chain, then its record, not via this app."""
    result = recall_on_chain(world, parties, reason)
    lot = LotRef(IDS.gtin, IDS.lot)
    _record_recall(world, lot, parties, reason, str(result.tx_hash), result.block_number)


def _record_recall(
    world: World, lot: LotRef, parties: TraceParties, reason: str, tx_hash: str, block: int
) -> None:
    """A recall record of ``lot`` committed straight to the database."""
    with Session(world.runtime.engine) as session:
        session.add(
            LotRecallRecord(
                lot_id=lot.lot_id,
                gtin=lot.gtin,
                lot=lot.lot,
                action="recall",
                reason=reason,
                party_code=parties.inspector.code,
                tx_hash=tx_hash,
                block_number=block,
                created_at=utcnow(),
            )
        )
        session.commit()


def test_recall_from_another_process_shows_on_the_next_request(
    world: World, captured: TraceParties
) -> None:
    before = _get(world)
    assert before.json()["recall"]["recalled"] is False
    _recall_from_another_process(world, captured, "recalled by another API process")
    after = _get(world, **{"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.json()["recall"]["recalled"] is True
    assert 'data-testid="recall-banner"' in world.client.get(LOT_PATH).text


def test_tampered_row_shows_on_the_next_request(world: World, captured: TraceParties) -> None:
    before = _get(world)
    tampered = tamper_aggregation_event(world)
    after = _get(world, **{"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    checks = {e["eventHash"]: e["verification"]["status"] for e in after.json()["events"]}
    assert checks[tampered] == "hash_mismatch"


def test_product_name_change_shows_on_the_next_request(
    world: World, captured: TraceParties
) -> None:
    page = world.client.get(LOT_PATH, headers={"Accept-Language": "en"}).text
    with Session(world.runtime.engine) as session:
        product = session.exec(select(ProductRecord).where(ProductRecord.gtin == IDS.gtin)).one()
        assert product.name in page
        product.name = "Renamed navel oranges"
        session.add(product)
        session.commit()
    assert (
        "Renamed navel oranges"
        in world.client.get(LOT_PATH, headers={"Accept-Language": "en"}).text
    )


def test_new_event_then_its_anchoring_show_on_the_next_requests(
    world: World, captured: TraceParties
) -> None:
    before = _get(world).json()
    last = copy.deepcopy(chain_document()["epcisBody"]["eventList"][-1])
    last["eventID"] = "urn:uuid:3f1c6a4e-9f3b-4d2a-8a51-0b6f2f1d7e10"
    last["eventTime"] = _later(last["eventTime"], timedelta(hours=1))
    actor = captured.warehouse
    body = actor.envelope("epcis-event", sub_document([last]))
    response = world.client.post("/capture", json=body, headers=actor.headers)
    assert response.status_code == 202, response.text
    assert world.client.get(response.headers["Location"], headers=actor.headers).json()["success"]
    added = _get(world).json()
    assert len(added["events"]) == len(before["events"]) + 1
    assert "not_anchored" in {e["verification"]["status"] for e in added["events"]}
    world.worker.drain()
    anchored = _get(world).json()
    assert "not_anchored" not in {e["verification"]["status"] for e in anchored["events"]}


def _later(stamp: str, delta: timedelta) -> str:
    return (datetime.fromisoformat(stamp.replace("Z", "+00:00")) + delta).isoformat()


# --- what a stored answer costs ---------------------------------------------------------------


@pytest.fixture
def statements(world: World) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs while the test watches."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(world.runtime.engine, "before_cursor_execute", record)
    yield seen
    event.remove(world.runtime.engine, "before_cursor_execute", record)


def _refuse(name: str) -> Callable[..., Any]:
    def refused(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError(f"a stored answer called {name}")

    return refused


@pytest.mark.parametrize("accept", ACCEPTS)
def test_stored_answer_costs_one_query_and_no_chain_call_or_render(
    world: World,
    captured: TraceParties,
    statements: list[str],
    monkeypatch: pytest.MonkeyPatch,
    accept: str,
) -> None:
    first = _get(world, accept)
    trace = world.ledger.trace
    for name in ("verify_event", "lot_status"):
        monkeypatch.setattr(trace, name, _refuse(name))
    monkeypatch.setattr(resolver_route, "render_lot_page", _refuse("render_lot_page"))
    monkeypatch.setattr(resolver_route.trace_lots, "lot_history", _refuse("lot_history"))
    stamp_reads: list[int] = []
    real_stamp_of = fast.stamp_of
    monkeypatch.setattr(fast, "stamp_of", lambda *a: stamp_reads.append(1) or real_stamp_of(*a))
    monkeypatch.setattr(
        trace_version, "stamp_of", lambda *a: stamp_reads.append(1) or real_stamp_of(*a)
    )
    statements.clear()
    again = _get(world, accept)
    revalidated = _get(world, accept, **{"If-None-Match": first.headers["ETag"]})
    assert again.content == first.content
    assert revalidated.status_code == 304
    data = [s for s in statements if s.strip().split()[0].upper() not in ("BEGIN", "ROLLBACK")]
    # One stamp read per request (on PostgreSQL the fast path reads it on its own connection).
    assert stamp_reads == [1, 1]
    assert all("trace_version" in s for s in data), data


def test_lot_without_events_is_one_query_until_its_first_event(
    world: World,
    captured: TraceParties,
    statements: list[str],
    monkeypatch: pytest.MonkeyPatch,
    fast_answers: list[bool],
) -> None:
    missing = f"/01/{IDS.gtin}/10/NOEVENTSYET"
    first = world.client.get(missing, headers=JSON)
    assert first.status_code == 404
    monkeypatch.setattr(resolver_route.trace_lots, "lot_history", _refuse("lot_history"))
    statements.clear()
    again = world.client.get(missing, headers=JSON)
    assert again.status_code == 404
    assert _without_id(again.headers) == _without_id(first.headers)
    assert again.content == first.content
    data = [s for s in statements if s.strip().split()[0].upper() not in ("BEGIN", "ROLLBACK")]
    # One stamp read (on PostgreSQL the fast path reads it on its own connection).
    assert len(data) == (1 if world.runtime.engine.dialect.name == "sqlite" else 0), data
    assert fast_answers == [False, True]
    head = world.client.head(missing, headers=JSON)
    assert head.status_code == 404
    assert fast_answers == [False, True, False]  # a HEAD of it goes to the route
    monkeypatch.undo()
    tamper_aggregation_event(world)  # another lot's change leaves this lot's 404 as it is
    monkeypatch.setattr(resolver_route.trace_lots, "lot_history", _refuse("lot_history"))
    assert world.client.get(missing, headers=JSON).status_code == 404
    with Session(world.runtime.engine) as session:  # a row linking an event to it, by hand
        event_id = session.exec(select(TraceEventLotRecord.event_id)).first()
        assert event_id is not None
        ref = LotRef(IDS.gtin, "NOEVENTSYET")
        session.add(
            TraceEventLotRecord(event_id=event_id, lot_id=ref.lot_id, gtin=ref.gtin, lot=ref.lot)
        )
        session.commit()
    with pytest.raises(AssertionError, match="lot_history"):  # rebuilt: its version moved
        world.client.get(missing, headers=JSON)


# --- the fast path (api.web.fast) ------------------------------------------------------------


@pytest.fixture
def fast_answers(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each resolver request was answered by the fast path (True) or routed."""
    seen: list[bool] = []
    real_stored = fast.stored_resolution
    real_holds = fast.ResolverFastPath._holds

    def stored(*args: Any, **kwargs: Any) -> Any:
        found = real_stored(*args, **kwargs)
        if found is None:
            seen.append(False)
        return found

    async def holds(*args: Any, **kwargs: Any) -> bool:
        held = await real_holds(*args, **kwargs)
        seen.append(held)
        return held

    monkeypatch.setattr(fast, "stored_resolution", stored)
    monkeypatch.setattr(fast.ResolverFastPath, "_holds", holds)
    return seen


def _without_id(headers: Any) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() != "x-request-id"}


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept": "text/html", "Accept-Language": "zh-CN"},
        {"Accept": "text/html", "Accept-Language": "en"},
        {"Accept": "application/json"},
        {"Accept": "application/linkset+json"},
    ],
)
@pytest.mark.parametrize("method", ["GET", "HEAD", "GET 304", "HEAD 304"])
def test_fast_path_answers_exactly_as_the_route(
    world: World,
    captured: TraceParties,
    monkeypatch: pytest.MonkeyPatch,
    fast_answers: list[bool],
    headers: dict[str, str],
    method: str,
) -> None:
    verb, _, revalidate = method.partition(" ")
    first = world.client.get(LOT_PATH, headers=headers)
    if revalidate:
        headers = {**headers, "If-None-Match": first.headers["ETag"]}
    with monkeypatch.context() as patched:
        patched.setattr(fast, "stored_resolution", lambda *_a, **_k: None)
        routed = world.client.request(verb, LOT_PATH, headers=headers)
    monkeypatch.setattr(resolver_route.trace_lots, "lot_history", _refuse("lot_history"))
    quick = world.client.request(verb, LOT_PATH, headers=headers)
    assert fast_answers == [False, True]  # built by the route, then served before it
    assert quick.status_code == routed.status_code == (304 if revalidate else 200)
    assert _without_id(quick.headers) == _without_id(routed.headers)
    assert quick.content == routed.content
    assert quick.headers["x-request-id"] != routed.headers["x-request-id"]


@pytest.mark.parametrize(
    "path",
    [
        f"{LOT_PATH}?linkType=gs1:pip",  # a redirect is never stored
        f"/01/{IDS.gtin}",  # product level: not stored
        f"/01/{IDS.gtin[:-1]}0/10/{IDS.lot}",  # a wrong check digit: the route's 400
    ],
)
def test_fast_path_leaves_to_the_route_what_it_does_not_store(
    world: World, captured: TraceParties, fast_answers: list[bool], path: str
) -> None:
    first = world.client.get(path, headers=JSON, follow_redirects=False)
    again = world.client.get(path, headers=JSON, follow_redirects=False)
    assert again.status_code == first.status_code
    assert again.content == first.content
    assert True not in fast_answers


def test_fast_path_serves_until_the_lot_changes_and_not_for_another_lot(
    world: World, captured: TraceParties, fast_answers: list[bool]
) -> None:
    before = _get(world)
    assert _get(world).content == before.content
    other = LotRef(IDS.gtin, "ANOTHERLOT")  # another lot's recall record
    _record_recall(world, other, captured, "another lot", "0x" + "0" * 64, 1)
    assert _get(world).content == before.content
    assert fast_answers == [False, True, True]
    tampered = tamper_aggregation_event(world)
    after = _get(world)
    assert fast_answers[-1] is False  # the lot's version moved: routed and built again
    checks = {e["eventHash"]: e["verification"]["status"] for e in after.json()["events"]}
    assert checks[tampered] == "hash_mismatch"


def test_change_to_a_lot_it_was_made_from_shows_on_the_next_request(
    world: World, captured: TraceParties, fast_answers: list[bool]
) -> None:
    before = _get(world).json()
    assert _get(world).json() == before
    with Session(world.runtime.engine) as session:
        harvest = session.exec(
            select(TraceEventRecord).where(col(TraceEventRecord.biz_step).contains("commissioning"))
        ).first()
        assert harvest is not None
        gtins = session.exec(
            select(TraceEventLotRecord.gtin).where(TraceEventLotRecord.event_id == harvest.id)
        ).all()
        assert gtins == [IDS.raw_gtin]  # an event of the raw fruit's lot only
        event = json.loads(harvest.event_json)
        event["eventTime"] = _later(event["eventTime"], timedelta(minutes=1))
        harvest.event_json = json.dumps(event)
        session.add(harvest)
        session.commit()
        tampered = harvest.event_hash
    after = _get(world).json()
    assert fast_answers == [False, True, False]
    checks = {e["eventHash"]: e["verification"]["status"] for e in after["events"]}
    assert checks[tampered] == "hash_mismatch"


def test_fast_path_builds_an_answer_again_ahead_of_its_expiry(
    world: World, captured: TraceParties, fast_answers: list[bool]
) -> None:
    clock = Clock()
    chain_facts(world.runtime).set_clock(clock)
    first = _get(world)
    clock.now += ANSWER_TTL_S * (1 + ANSWER_REFRESH) / 2  # due for a refresh, still alive
    assert _get(world).content == first.content  # served as stored; built again meanwhile
    key = resolver_route.answer_key(
        "http://testserver", LotRef(IDS.gtin, IDS.lot), {}, "json", None
    )
    deadline = time.monotonic() + 30
    while (stored := stored_answer(world.runtime, key)) is None or stored.at != clock.now:
        assert time.monotonic() < deadline, "the answer was not built again"
        time.sleep(0.02)
    clock.now += ANSWER_TTL_S * 0.6  # past the first build's life, within the second's
    assert _get(world).content == first.content
    assert fast_answers == [False, True, True]


def test_first_answer_of_a_lot_made_from_others_is_built_once(
    world: World, captured: TraceParties, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[int] = []
    real = resolver_route._build
    monkeypatch.setattr(resolver_route, "_build", lambda *a, **k: builds.append(1) or real(*a, **k))
    first = _get(world)
    assert builds == [1]
    assert len(stored_answer_of(world).stamp) == 3  # the case lot, the raw fruit's, global
    assert _get(world).content == first.content
    assert builds == [1]


def stored_answer_of(world: World) -> Any:
    key = resolver_route.answer_key(
        "http://testserver", LotRef(IDS.gtin, IDS.lot), {}, "json", None
    )
    return stored_answer(world.runtime, key)
