"""The resolver's caches: a cached verification never hides tampering, recalls or expiry."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session, select

from api.db.models import PartyRecord
from api.services.chain_actions import party_account
from api.services.trace.cache import (
    CHAIN_FACTS_TTL_S,
    EARLY_REFRESH,
    RefreshBudget,
    TtlCache,
    chain_facts,
)
from api.services.trace.store import LotRef
from ledger_client import TraceRegistryClient, TxResult
from tests.api.conftest import World
from tests.api.trace_fixtures import (
    IDS,
    LOT_PATH,
    TraceParties,
    tamper_aggregation_event,
)

JSON = {"Accept": "application/json"}


class Clock:
    """A clock the test steps by hand."""

    def __init__(self) -> None:
        self.now = time.monotonic()  # entries cached before the switch keep sensible ages

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(world: World, captured: TraceParties) -> Clock:
    """The chain-answer cache of the test's runtime on a hand-stepped clock."""
    stepped = Clock()
    chain_facts(world.runtime).set_clock(stepped)
    return stepped


def _statuses(world: World) -> dict[str, str]:
    body = world.client.get(LOT_PATH, headers=JSON).json()
    return {e["eventHash"]: e["verification"]["status"] for e in body["events"]}


def _count_chain_calls(world: World, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    trace = world.ledger.trace
    for name in ("verify_event", "lot_status"):
        original = getattr(trace, name)

        def counted(*args: Any, _name: str = name, _fn: Callable[..., Any] = original) -> Any:
            calls.append(_name)
            return _fn(*args)

        monkeypatch.setattr(trace, name, counted)
    return calls


def recall_on_chain(world: World, parties: TraceParties, reason: str) -> TxResult:
    """Recall the lot on chain with the inspector's account, as another process would: not
    through this app (nothing is recorded in the database)."""
    with Session(world.runtime.engine) as session:
        party = session.exec(
            select(PartyRecord).where(PartyRecord.code == parties.inspector.code)
        ).one()
        account = party_account(session=session, runtime=world.runtime, party=party)
    client = TraceRegistryClient(
        world.ledger.w3, world.ledger.trace_registry_address, account, confirmations=1
    )
    return client.recall_lot(bytes.fromhex(LotRef(IDS.gtin, IDS.lot).lot_id), reason)


# --- through the API ------------------------------------------------------------------------


def test_resolve_lot_reuses_chain_answers_within_ttl(
    world: World, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert set(_statuses(world).values()) == {"verified"}
    calls = _count_chain_calls(world, monkeypatch)
    assert set(_statuses(world).values()) == {"verified"}
    assert calls == []
    clock.now += CHAIN_FACTS_TTL_S
    assert set(_statuses(world).values()) == {"verified"}
    assert "verify_event" in calls


def test_verification_fails_after_tampering_with_a_cached_event(world: World, clock: Clock) -> None:
    before = _statuses(world)
    assert set(before.values()) == {"verified"}
    tampered = tamper_aggregation_event(world)
    after = _statuses(world)  # same clock: every chain answer is still cached
    assert after.pop(tampered) == "hash_mismatch"
    assert set(after.values()) == {"verified"}


def test_recall_elsewhere_shows_once_the_ttl_has_passed(
    world: World, captured: TraceParties, clock: Clock
) -> None:
    assert set(_statuses(world).values()) == {"verified"}
    recall_on_chain(world, captured, "recalled by another API process")
    clock.now += CHAIN_FACTS_TTL_S * EARLY_REFRESH / 2
    assert set(_statuses(world).values()) == {"verified"}  # the cached answer, within the TTL
    clock.now += CHAIN_FACTS_TTL_S
    body = world.client.get(LOT_PATH, headers=JSON).json()
    assert body["recall"]["recalled"] is True
    statuses = {e["verification"]["status"] for e in body["events"] if e["stage"] != "origin"}
    assert statuses == {"recalled"}


def test_recall_through_this_process_shows_at_once(
    world: World, captured: TraceParties, clock: Clock
) -> None:
    assert set(_statuses(world).values()) == {"verified"}
    response = world.client.post(
        f"/lots/{IDS.gtin}/{IDS.lot}/recall",
        json={"reason": "pesticide residue"},
        headers=captured.inspector.headers,
    )
    assert response.status_code == 200, response.text
    body = world.client.get(LOT_PATH, headers=JSON).json()  # same clock: no expiry needed
    assert body["recall"]["recalled"] is True
    assert "recalled" in {e["verification"]["status"] for e in body["events"]}


# --- TtlCache ---------------------------------------------------------------------------------


TTL = 10.0
EARLY = TTL * EARLY_REFRESH


def _cache(clock: Clock, **kwargs: Any) -> tuple[TtlCache[str, int], list[str]]:
    computed: list[str] = []
    return TtlCache(TTL, clock=clock, **kwargs), computed


def _compute(computed: list[str], key: str, value: int) -> Callable[[], int]:
    def run() -> int:
        computed.append(key)
        return value

    return run


@pytest.mark.parametrize(
    ("age", "budget", "recomputed"),
    [
        (0.0, None, False),
        (EARLY - 0.1, RefreshBudget(), False),  # younger than EARLY_REFRESH x TTL
        (EARLY, None, False),  # old enough for an early refresh, but no budget
        (EARLY, RefreshBudget(0), False),  # budget spent
        (EARLY, RefreshBudget(), True),  # early refresh
        (TTL, None, True),  # expired: always recomputed
    ],
)
def test_get_ttl_cache_recomputes_by_age_and_budget(
    age: float, budget: RefreshBudget | None, recomputed: bool
) -> None:
    clock = Clock()
    cache, computed = _cache(clock)
    assert cache.get("k", _compute(computed, "k", 1)) == 1
    clock.now += age
    assert cache.get("k", _compute(computed, "k", 2), budget=budget) == (2 if recomputed else 1)
    assert computed == ["k", "k"] if recomputed else ["k"]


def test_get_ttl_cache_does_not_store_failures() -> None:
    clock = Clock()
    cache, computed = _cache(clock)

    def fail() -> int:
        raise RuntimeError("node down")

    with pytest.raises(RuntimeError):
        cache.get("k", fail)
    assert cache.get("k", _compute(computed, "k", 3)) == 3


def test_get_ttl_cache_keeps_value_when_early_refresh_fails() -> None:
    clock = Clock()
    cache, computed = _cache(clock)
    cache.get("k", _compute(computed, "k", 1))
    clock.now += EARLY

    def fail() -> int:
        raise RuntimeError("node down")

    assert cache.get("k", fail, budget=RefreshBudget()) == 1
    clock.now += TTL - EARLY
    with pytest.raises(RuntimeError):
        cache.get("k", fail)


def test_get_ttl_cache_evicts_least_recently_used() -> None:
    clock = Clock()
    cache, computed = _cache(clock, max_entries=2)
    for key in ("a", "b"):
        cache.get(key, _compute(computed, key, 0))
    cache.get("a", _compute(computed, "a", 0))  # a is now the most recent
    cache.get("c", _compute(computed, "c", 0))
    cache.get("a", _compute(computed, "a", 0))
    cache.get("b", _compute(computed, "b", 0))
    assert computed == ["a", "b", "c", "b"]
    assert len(cache) == 2
