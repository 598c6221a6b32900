"""``sandan risk scan DIR``: run the risk rules over a directory of trades.

DIR holds one sub-folder per trade, laid out as for ``sandan ceb check``
(order.xml, payment.xml, logistics.xml, optional inventory.xml). With ``--json`` the
command prints ``{"trades": N, "alerts": [{"rule", "trades", "evidence", "threshold"}]}``;
without it, a table. Problems with a folder or a file are printed on stderr, one line
each, naming the folder and the file, and the scan goes on.

Exit codes: 0 every folder was read; 1 some folder or file could not be read (the
alerts over the rest are printed all the same); 2 DIR is not a directory or a
``--threshold`` is bad. Alerts never change the exit code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli.ceb import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from traceability.risk import RiskAlert

EXIT_OK, EXIT_UNREADABLE, EXIT_USAGE = 0, 1, 2
SCAN_HELP = (
    "Run the risk rules over every trade folder in DIR (order.xml, payment.xml, logistics.xml,"
    " optional inventory.xml, as for `sandan ceb check`).\n\n"
    "A folder or file that cannot be read is reported on stderr, naming both, and the scan"
    " goes on: a broken order skips its trade; a broken payment, logistics or inventory file"
    " is left out and the trade is scanned from the rest.\n\n"
    "Exit 0 when every folder was read, 1 when some folder or file could not be read (the"
    " alerts over the rest are printed all the same), 2 when DIR is not a directory or a"
    " --threshold is bad. Alerts never change the exit code."
)


def scan(
    directory: Annotated[Path, typer.Argument(help="Folder with one sub-folder per trade.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    threshold: Annotated[
        list[str] | None,
        typer.Option(help="Change a threshold: NAME=VALUE (README, Risk rules); repeatable."),
    ] = None,
    max_bytes: Annotated[int, typer.Option(help="Largest accepted file.")] = DEFAULT_MAX_BYTES,
) -> None:
    """Run the risk rules over every trade folder in DIR (exit codes: see SCAN_HELP)."""
    from api.cli._risk_scan import parse_thresholds, read_trades
    from traceability.risk import scan_trades

    try:
        thresholds = parse_thresholds(threshold or [])
    except ValueError as exc:
        typer.secho(f"sandan: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(EXIT_USAGE) from exc
    if not directory.is_dir():
        typer.secho(f"sandan: {directory} is not a directory", err=True, fg=typer.colors.RED)
        raise typer.Exit(EXIT_USAGE)
    result = read_trades(directory.resolve(), max_bytes)
    for problem in result.problems:
        typer.secho(f"sandan: risk scan: {problem}", err=True, fg=typer.colors.YELLOW)
    alerts = scan_trades(result.trades, thresholds)
    if as_json:
        payload = {"trades": len(result.trades), "alerts": [a.to_json_dict() for a in alerts]}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _print_table(len(result.trades), alerts)
    raise typer.Exit(EXIT_UNREADABLE if result.problems else EXIT_OK)


def _print_table(trades: int, alerts: tuple[RiskAlert, ...]) -> None:
    typer.echo(f"{len(alerts)} alert(s) over {trades} trade(s)")
    if not alerts:
        return
    typer.echo(f"{'rule':<24} {'trades':>6}  evidence")
    for alert in alerts:
        typer.echo(f"{alert.rule:<24} {len(alert.trades):>6}  {_summary(alert.evidence)}")
        for name in alert.trades:
            typer.echo(f"{'':<32}{name}")


def _summary(evidence: Any) -> str:
    """The evidence's scalar values on one line (lists of windows are left to --json)."""
    parts = [f"{k}={v}" for k, v in evidence.items() if isinstance(v, str | int)]
    return ", ".join(parts)


def register(app: typer.Typer) -> None:
    """Add the ``risk`` command group to the ``sandan`` app."""
    group = typer.Typer(help="Cross-trade risk rules (风险防控).", no_args_is_help=True)
    group.command("scan", help=SCAN_HELP)(scan)
    app.add_typer(group, name="risk")
