"""Signed events wait for their key to be on chain; unsigned ones do not wait for anything."""

from __future__ import annotations

from sqlmodel import Session, col, select

from api.db.models import OutboxRecord
from tests.api.conftest import World
from tests.api.trace_fixtures import capture_chain_without_anchoring, make_trace_parties


def _batched_lanes(world: World) -> set[str]:
    with Session(world.runtime.engine) as session:
        rows = session.exec(select(OutboxRecord).where(col(OutboxRecord.batch_id).is_not(None)))
        return {r.lane for r in rows.all()}


def test_signed_events_are_anchored_only_after_their_keys(world: World) -> None:
    parties = make_trace_parties(world)
    capture_chain_without_anchoring(world, parties, signed=True)
    world.worker.run_once(force=True)
    # The first pass records the parties and keys; the events' lots wait for it.
    assert _batched_lanes(world) == {"party"}
    world.worker.drain()
    assert any(lane.startswith("lot:") for lane in _batched_lanes(world))


def test_unsigned_events_do_not_wait(world: World) -> None:
    parties = make_trace_parties(world)
    capture_chain_without_anchoring(world, parties, signed=False)
    world.worker.run_once(force=True)
    assert any(lane.startswith("lot:") for lane in _batched_lanes(world))
