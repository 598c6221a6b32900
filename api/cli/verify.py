"""``sandan verify BUNDLE.json``: prove a trade against the chain alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

import ledger_client

if TYPE_CHECKING:
    from api.verify.verifier import Report


def register(app: typer.Typer) -> None:
    """Add ``sandan verify``."""
    app.command("verify")(verify)


def _load(path: Path) -> dict[str, object]:
    from api.verify.verifier import EXIT_NOT_AUTHENTIC

    if not path.is_file():
        typer.secho(f"sandan verify: {path} is not a readable file", err=True, fg="red")
        raise typer.Exit(EXIT_NOT_AUTHENTIC)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        typer.secho(f"sandan verify: {path} is not JSON: {exc}", err=True, fg="red")
        raise typer.Exit(EXIT_NOT_AUTHENTIC) from exc
    if not isinstance(data, dict):
        typer.secho(f"sandan verify: {path} is not a bundle object", err=True, fg="red")
        raise typer.Exit(EXIT_NOT_AUTHENTIC)
    return data


def verify(
    bundle: Path = typer.Argument(
        ..., help="An authenticity bundle (banks: GET /banks/trades/{id}/bundle)."
    ),
    rpc_url: str = typer.Option(
        None,
        "--rpc-url",
        envvar="SANDAN_RPC_URL",
        help="JSON-RPC node to check against (default: the embedded node).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Check every document, signature, proof, verdict and release of a bundle on chain.

    Exit 0: authentic. Exit 1: not authentic (the failed check is named). Exit 3: the
    chain could not be reached; nothing was concluded, try again.
    """
    from api.verify.verifier import EXIT_NOT_AUTHENTIC, EXIT_UNREACHABLE, verify_bundle

    data = _load(bundle)
    try:
        url = rpc_url or _embedded_url()
        w3 = ledger_client.make_web3(url)
        chain_id = ledger_client.check_connection(w3)
        chain = data.get("chain")
        address = str(chain.get("tradeRegistry", "")) if isinstance(chain, dict) else ""
        reader = ledger_client.TradeRegistryClient(w3, address)
        report = verify_bundle(data, reader, chain_id=chain_id)
    except ledger_client.ProviderError as exc:
        typer.secho(f"sandan verify: cannot reach the chain: {exc}", err=True, fg="yellow")
        raise typer.Exit(EXIT_UNREACHABLE) from exc
    except ledger_client.LedgerError as exc:
        typer.secho(f"sandan verify: {exc}", err=True, fg="red")
        raise typer.Exit(EXIT_NOT_AUTHENTIC) from exc
    _print(report, as_json)
    raise typer.Exit(0 if report.authentic else EXIT_NOT_AUTHENTIC)


def _embedded_url() -> str:
    url = ledger_client.running_node_url(ledger_client.LedgerSettings())
    if url is None:
        raise ledger_client.ProviderError(
            "no --rpc-url given and the embedded node is not running (sandan node)"
        )
    return url


def _print(report: Report, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        return
    for check in report.checks:
        mark = typer.style("✓", fg="green") if check.ok else typer.style("✗", fg="red")
        typer.echo(f"  {mark} {check.name}: {check.detail}")
    verdict = "AUTHENTIC" if report.authentic else "NOT AUTHENTIC"
    typer.secho(verdict, fg="green" if report.authentic else "red", bold=True)
