"""Events keep verifying with the event hash profile they were anchored with."""

from __future__ import annotations

import functools

import pytest
from sqlmodel import Session, select

import api.services.trace.store as store
import traceability.epcis.model as model
from api.db.trace_models import TraceEventRecord
from tests.api.conftest import World
from tests.api.trace_fixtures import LOT_PATH, TraceParties, capture_chain
from traceability.epcis.hashing import DEFAULT_PROFILE, LEGACY_PROFILE


def _capture_under_legacy_rule(
    world: World, parties: TraceParties, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Capture and anchor the sample chain as sandan did before profiles: the old hash rule."""
    with monkeypatch.context() as patch:
        for name in ("event_hash", "event_hash_bytes"):
            legacy = functools.partial(getattr(model, name), profile=LEGACY_PROFILE)
            patch.setattr(model, name, legacy)
        patch.setattr(store, "DEFAULT_PROFILE", LEGACY_PROFILE)
        capture_chain(world, parties)


def _statuses(world: World) -> list[str]:
    body = world.client.get(LOT_PATH, headers={"Accept": "application/json"}).json()
    return [e["verification"]["status"] for e in body["events"]]


def test_events_anchored_under_the_legacy_profile_still_verify(
    world: World, trace_parties: TraceParties, monkeypatch: pytest.MonkeyPatch
) -> None:
    _capture_under_legacy_rule(world, trace_parties, monkeypatch)
    with Session(world.runtime.engine) as session:
        rows = session.exec(select(TraceEventRecord)).all()
    assert {r.hash_profile for r in rows} == {LEGACY_PROFILE}
    assert _statuses(world) == ["verified"] * 8


def test_event_rehashed_with_another_profile_than_anchored_does_not_verify(
    world: World, trace_parties: TraceParties, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a verifier that ignores the recorded profile would see: the rules differ on events
    # with a bizTransaction, source or destination, and those no longer match their anchor.
    _capture_under_legacy_rule(world, trace_parties, monkeypatch)
    with Session(world.runtime.engine) as session:
        for row in session.exec(select(TraceEventRecord)).all():
            row.hash_profile = DEFAULT_PROFILE
            session.add(row)
        session.commit()
    assert "hash_mismatch" in _statuses(world)


def test_new_events_are_stored_with_the_default_profile(
    world: World, captured: TraceParties
) -> None:
    with Session(world.runtime.engine) as session:
        rows = session.exec(select(TraceEventRecord)).all()
    assert {r.hash_profile for r in rows} == {DEFAULT_PROFILE}
    assert _statuses(world) == ["verified"] * 8


def test_an_event_stored_under_the_legacy_profile_is_a_duplicate_not_a_new_event(
    world: World, trace_parties: TraceParties, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Captured again after the profile changed, an event stored under the old rule is the
    same event: answered as a duplicate, never stored a second time under its new hash."""
    _capture_under_legacy_rule(world, trace_parties, monkeypatch)
    with Session(world.runtime.engine) as session:
        before = len(session.exec(select(TraceEventRecord)).all())
    capture_chain(world, trace_parties)
    with Session(world.runtime.engine) as session:
        rows = session.exec(select(TraceEventRecord)).all()
    assert len(rows) == before
    assert {r.hash_profile for r in rows} == {LEGACY_PROFILE}
    assert _statuses(world) == ["verified"] * 8
