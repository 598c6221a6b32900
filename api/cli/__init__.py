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

# Cheap (PEP 562), and it keeps py_ecc from raising the recursion limit when a command
# later imports web3: see ledger_client._recursion.
import ledger_client  # noqa: F401

#: Command modules, in the order their commands appear in ``sandan --help``.
COMMAND_MODULES = (
    "api.cli.demo",
    "api.cli.service",
    "api.cli.keygen",
    "api.cli.sign",
    "api.cli.submit",
    "api.cli.party",
    "api.cli.verify",
    "api.cli.verifier_page",
    "api.cli.verify_lot",
    "api.cli.chain",
    "api.cli.authorize",
    "api.cli.epcis",
    "api.cli.ceb",
    "api.cli.risk",
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
    except Exception as exc:
        message = _user_error(exc)
        if message is None:
            raise
        typer.secho(f"sandan: {message}", err=True, fg=typer.colors.RED)
        sys.exit(2)


def _user_error(exc: Exception) -> str | None:
    """The one line for an error that is the user's to fix, or None for a real crash.

    The error classes are looked up only if their modules were loaded: an exception
    cannot be of a class that was never imported, and ``sandan --help`` stays cheap.
    """
    ledger_errors = sys.modules.get("ledger_client.errors")
    domain_errors = sys.modules.get("traceability.errors")
    if ledger_errors is not None and isinstance(exc, ledger_errors.LedgerError):
        return str(exc)
    if domain_errors is not None and isinstance(exc, domain_errors.TraceabilityError):
        return str(exc)
    zone = sys.modules.get("api.db.zone")
    if zone is not None and isinstance(exc, zone.ZoneMismatch):
        return str(exc)
    pydantic_core = sys.modules.get("pydantic_core")
    if pydantic_core is not None and isinstance(exc, pydantic_core.ValidationError):
        first = exc.errors()[0]  # a bad SANDAN_* setting
        where = ".".join(str(p) for p in first["loc"]) or exc.title
        return f"setting {where}: {first['msg']}"
    return None
