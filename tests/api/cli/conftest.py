"""CLI fixtures: the epcis/dl/qr commands driven in process."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import typer
from typer.testing import CliRunner, Result

from api.cli.epcis import register


@pytest.fixture
def run() -> Callable[..., Result]:
    """Invoke the EPCIS and Digital Link commands with the given arguments."""
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))
