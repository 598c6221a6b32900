"""The ``sandan`` command line: one Typer app assembled from per-area modules.

Each module exposes ``register(app)``; errors that are the user's to fix
(bad settings, unreachable node, missing compiler) print one line and exit
non-zero instead of a traceback.
"""

from __future__ import annotations

import importlib
import sys
import warnings

import typer
from pydantic import ValidationError

from ledger_client import LedgerError
from traceability import TraceabilityError

#: Command modules, in the order their commands appear in ``sandan --help``.
COMMAND_MODULES = (
    "api.cli.demo",
    "api.cli.service",
    "api.cli.verify",
    "api.cli.chain",
    "api.cli.epcis",
    "api.cli.ceb",
    "api.cli.bench",
)


def build_app() -> typer.Typer:
    """The Typer app with every command registered."""
    # The demo and the bench drive the app in process through starlette's TestClient,
    # which warns about its httpx transport on import; that is not the user's concern.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    app = typer.Typer(
        name="sandan",
        help="三单 sandan: signed, matched and chain-anchored trade documents and traceability.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
    return app


def main() -> None:
    """Entry point of the ``sandan`` console script."""
    app = build_app()
    try:
        app()
    except (LedgerError, TraceabilityError) as exc:
        typer.secho(f"sandan: {exc}", err=True, fg=typer.colors.RED)
        sys.exit(2)
    except ValidationError as exc:  # a bad SANDAN_* setting
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or exc.title
        typer.secho(f"sandan: setting {where}: {first['msg']}", err=True, fg=typer.colors.RED)
        sys.exit(2)
