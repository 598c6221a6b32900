"""Route fixtures shared by the EPCIS capture, query and resolver tests.

A test that reads the captured sample chain (``captured``) starts from the world where it
was captured once for the session; one that only needs the trace parties
(``trace_parties``) from the world where they were registered (see
:class:`tests.api.conftest.WorldStage`).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import World, WorldStage, stage_by_fixture
from tests.api.trace_fixtures import CAPTURED, TRACE_PARTIES, TraceParties


@pytest.fixture
def world_stage(request: pytest.FixtureRequest) -> WorldStage[Any] | None:
    return stage_by_fixture(request, [("captured", CAPTURED), ("trace_parties", TRACE_PARTIES)])


@pytest.fixture
def trace_parties(world: World) -> TraceParties:
    """The four capturing parties with their locations registered."""
    return (CAPTURED if world.stage is CAPTURED else TRACE_PARTIES).of(world)


@pytest.fixture
def captured(world: World) -> TraceParties:
    """The four parties, after they captured the signed sample chain and it was anchored."""
    return CAPTURED.of(world)
