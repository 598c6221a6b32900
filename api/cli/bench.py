"""``sandan bench``: gas, start-up CPU, verify, ingest, matching, latency, resolver, memory."""

from __future__ import annotations

import json

import typer

HELP_ONLY = "Run only these benches (repeat, or comma-separate): "


def register(app: typer.Typer) -> None:
    """Add ``sandan bench``."""
    app.command("bench")(bench)


def _selected(only: list[str] | None) -> list[str]:
    from api.bench import BENCHES

    wanted = [n.strip() for item in only or [] for n in item.split(",") if n.strip()]
    unknown = sorted(set(wanted) - set(BENCHES))
    if unknown:
        raise typer.BadParameter(
            f"unknown bench {', '.join(unknown)}; known: {', '.join(BENCHES)}", param_hint="--only"
        )
    return [name for name in BENCHES if not wanted or name in wanted]


def bench(
    quick: bool = typer.Option(
        False, "--quick", help="Small workloads: the whole run in under 2 minutes."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON document instead of a table."
    ),
    only: list[str] | None = typer.Option(
        None,
        "--only",
        help=HELP_ONLY
        + "gas, startup, verify, match, risk, epcis, ingest, latency, resolver, memory, scale.",
    ),
    postgres_url: str | None = typer.Option(
        None,
        "--postgres-url",
        envvar="SANDAN_BENCH_POSTGRES_URL",
        help="A PostgreSQL server where fresh bench databases may be created and dropped"
        " (default: the local server on 127.0.0.1:5432, database test; empty: none).",
    ),
) -> None:
    """Run the benches on a private anvil and fresh databases; print every figure beside its target."""  # noqa: E501
    from api.bench import run_benches
    from api.bench.context import DEFAULT_POSTGRES_URL
    from api.cli._bench_view import ProgressBars, render_table

    names = _selected(only)
    with ProgressBars(len(names)) as bars:
        report = run_benches(
            names,
            quick=quick,
            postgres_url=(DEFAULT_POSTGRES_URL if postgres_url is None else postgres_url) or None,
            progress=bars,
            on_done=bars.bench_done,
        )
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        render_table(report)
    failed = [m for m in report.metrics if m.name.endswith(".error")]
    raise typer.Exit(1 if failed else 0)
