"""Route fixtures shared by the EPCIS capture, query and resolver tests."""

from __future__ import annotations

import pytest

from tests.api.conftest import World
from tests.api.trace_fixtures import TraceParties, make_trace_parties


@pytest.fixture
def trace_parties(world: World) -> TraceParties:
    """The four capturing parties with their locations registered."""
    return make_trace_parties(world)
