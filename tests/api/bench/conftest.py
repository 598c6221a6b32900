"""The bench's own context on a real anvil, shared by the modules that measure gas."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.bench.context import BenchContext
from ledger_client import EmbeddedNodeError, LedgerSettings, find_anvil


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BenchContext]:
    """A quick-mode bench context whose chain is an anvil of its own (skipped without one)."""
    try:
        find_anvil(LedgerSettings())
    except EmbeddedNodeError:
        pytest.skip("anvil is not installed (make setup)")
    context = BenchContext(True, tmp_path_factory.mktemp("bench"), None)
    yield context
    context.close()
