"""Each Runtime owns its caches: two runtimes never share parsed rows, lots, documents or
chain answers, even on one database and one chain."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.runtime import Caches, Runtime
from api.services.trace.cache import LOT_VIEWS, PARSED_ROWS, chain_facts
from api.web.main import create_app
from tests.api.conftest import World
from tests.api.trace_fixtures import LOT_PATH, capture_chain, make_trace_parties
from tests.api.web.adversarial import documents, trade_parties

JSON = {"Accept": "application/json"}


def _sizes(caches: Caches) -> tuple[int, int, int]:
    return len(caches.slot(PARSED_ROWS)), len(caches.slot(LOT_VIEWS)), len(caches.documents)


def test_two_runtimes_share_no_cached_trace_or_linker_state(world: World) -> None:
    capture_chain(world, make_trace_parties(world))
    platform = trade_parties(world)["platform"]
    order = documents()["order"]
    posted = world.client.post(
        "/documents", json=platform.envelope("order", order), headers=platform.headers
    )
    assert posted.status_code == 201, posted.text
    assert world.client.get(LOT_PATH, headers=JSON).status_code == 200
    first = world.runtime.caches
    filled = _sizes(first)
    assert all(filled), filled  # the page parsed rows and a lot, the linker kept the order

    other = Runtime.from_settings(
        world.runtime.settings, engine=world.runtime.engine, ledger_factory=lambda: world.ledger
    )
    assert other.caches is not first
    assert _sizes(other.caches) == (0, 0, 0)
    assert chain_facts(other) is not chain_facts(world.runtime)

    with TestClient(create_app(runtime=other)) as client:
        assert (
            client.get(LOT_PATH, headers=JSON).json()
            == world.client.get(LOT_PATH, headers=JSON).json()
        )
    assert _sizes(other.caches)[:2] == filled[:2]  # computed again, in its own caches
    assert _sizes(first) == filled
    for key, row in first.slot(PARSED_ROWS)._entries.items():  # same rows, separate objects
        found = other.caches.slot(PARSED_ROWS).get(key)
        assert found is not None
        assert found is not row
        assert found.recomputed == row.recomputed
