"""Database fixtures for the migration tests: databases with no table at all.

The API suite's ``database_url`` hands out a copy of a session-wide schema (fast,
and right for tests of behaviour); migrations must start from nothing, or
"upgrade an empty database" would be a test that cannot fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import postgres_schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend (no table, no alembic_version), as a URL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with postgres_schema() as url:
        yield url
