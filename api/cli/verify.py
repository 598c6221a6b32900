"""``sandan verify BUNDLE.json``: prove a trade against the chain alone, from pinned roots.

Exit 0: authentic. 1: not authentic (the failed check is named, with what was
expected and what was found). 2: unusable input (no such file, not JSON, nested
too deep, not a bundle). 3: the chain could not be reached; nothing was
concluded, try again. 4: genuine documents whose verdict is a mismatch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

if TYPE_CHECKING:
    from api.verify.trust import TrustRoots
    from api.verify.verifier import Report

#: Largest bundle read (a bundle of four documents with CEB XML is under 100 KB).
MAX_BUNDLE_BYTES = 16 * 1024 * 1024

REGISTRY_HELP = (
    "A registry address you trust (repeatable): the zone's TradeRegistry and PartyRegistry, "
    "published by its operator or customs."
)
TRUST_HELP = 'A trust file {"zones": [{"name", "chainId", "registries": [...]}]}.'
RPC_HELP = "JSON-RPC node to check against (default: the embedded node)."


def register(app: typer.Typer) -> None:
    """Add ``sandan verify``."""
    app.command("verify")(verify)


def fail(command: str, message: str, code: int, *, colour: str = "red") -> NoReturn:
    """Print ``message`` for ``command`` on stderr and exit with ``code``."""
    typer.secho(f"sandan {command}: {message}", err=True, fg=colour)
    raise typer.Exit(code)


def unreachable(exc: Exception) -> str:
    """The one line for a chain that did not answer, said once: the verifier's own error
    already reads "cannot reach the chain at <url>: <why>"."""
    text = str(exc)
    return text if text.startswith("cannot reach") else f"cannot reach the chain: {text}"


def load_json_file(command: str, path: Path, what: str) -> Any:
    """The JSON in ``path``; exit 2 (unusable input) for a missing, huge, deep or bad file."""
    from traceability.limits import JsonTooDeep, loads_bounded

    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BUNDLE_BYTES + 1)
    except OSError as exc:
        fail(command, f"{path} is not a readable file: {exc.strerror or exc}", 2)
    if len(raw) > MAX_BUNDLE_BYTES:
        fail(command, f"{path} is larger than {MAX_BUNDLE_BYTES} bytes: not a {what}", 2)
    try:
        return loads_bounded(raw)
    except JsonTooDeep as exc:
        fail(command, f"{path} is not a {what}: {exc}", 2)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(command, f"{path} is not JSON: {exc}", 2)


def trust_roots(command: str, registries: list[str], trust: Path | None) -> TrustRoots:
    """The pinned trust roots, or exit 2 naming what is wrong with them."""
    import ledger_client
    from api.verify.trust import TrustError, load_trust_roots

    try:
        return load_trust_roots(
            registries=registries,
            trust_file=trust,
            deployment_file=ledger_client.LedgerSettings().deployment_file,
        )
    except TrustError as exc:
        fail(command, str(exc), 2)


def rpc_for(command: str, rpc_url: str | None) -> Any:
    """A JSON-RPC client of ``rpc_url`` or of the running embedded node; exit 3 without one."""
    import ledger_client
    from api.verify.rpc import ChainUnreachable, JsonRpc

    url = rpc_url or ledger_client.running_node_url(ledger_client.LedgerSettings())
    if url is None:
        fail(command, "no --rpc-url given and the embedded node is not running", 3, colour="yellow")
    try:
        return JsonRpc(url)
    except ChainUnreachable as exc:
        fail(command, str(exc), 2)


def verify(
    bundle: Path = typer.Argument(
        ..., help="An authenticity bundle (banks: GET /banks/trades/{id}/bundle)."
    ),
    registry: list[str] = typer.Option([], "--registry", help=REGISTRY_HELP),
    trust: Path = typer.Option(None, "--trust", envvar="SANDAN_TRUST_FILE", help=TRUST_HELP),
    rpc_url: str = typer.Option(None, "--rpc-url", envvar="SANDAN_RPC_URL", help=RPC_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Check every document, signer, proof, transaction, verdict and release of a bundle.

    Trust roots are yours to pin (--registry or --trust); without them the local
    deployment file is used, and the output says so. Exit 0 authentic, 1 not
    authentic, 2 unusable input, 3 chain unreachable, 4 genuine documents with a
    mismatched verdict.
    """
    from api.verify.rpc import ChainUnreachable
    from api.verify.verifier import UnusableBundle, verify_bundle

    data = load_json_file("verify", bundle, "bundle")
    roots = trust_roots("verify", registry, trust)
    rpc = rpc_for("verify", rpc_url)
    try:
        report = verify_bundle(data, rpc, roots)
    except UnusableBundle as exc:
        fail("verify", f"{bundle} is not usable: {exc}", 2)
    except ChainUnreachable as exc:
        fail("verify", unreachable(exc), 3, colour="yellow")
    print_report(report, as_json)
    raise typer.Exit(int(report.outcome))


def print_report(report: Report, as_json: bool) -> None:
    """The report, as JSON or as one line per check and a closing verdict."""
    from api.verify.verifier import Outcome

    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        return
    typer.echo(f"  trust roots: {report.trust_source}")
    for check in report.checks:
        mark = typer.style("✓", fg="green") if check.ok else typer.style("✗", fg="red")
        typer.echo(f"  {mark} {check.name}: {check.detail}")
        if not check.ok:
            typer.echo(f"      expected: {check.expected}")
            typer.echo(f"      found:    {check.found}")
    outcome = report.outcome
    if outcome is Outcome.MISMATCH:
        typer.secho("GENUINE DOCUMENTS, VERDICT MISMATCH", fg="yellow", bold=True)
        for reason in report.mismatch_reasons:
            typer.echo(f"  - {reason}")
        return
    authentic = outcome is Outcome.AUTHENTIC
    typer.secho(
        "AUTHENTIC" if authentic else "NOT AUTHENTIC", fg="green" if authentic else "red", bold=True
    )
