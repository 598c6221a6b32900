"""``sandan verify-lot URL-or-FILE``: check a lot's history against the chain, not sandan.

The lot's JSON (the resolver's ``Accept: application/json`` answer, fetched from
a URL or read from a file) carries every event as captured, its anchor and its
signed envelope; the registries are the ones the verifier pins (``--registry``,
``--trust`` / SANDAN_TRUST_FILE, else the local deployment file, said in the output).

Exit 0: every event verified. 1: not verified (the failed check is named, with
what was expected and what was found; or events not anchored yet). 2: unusable
input (no such file or URL, not JSON, nested too deep, not a sandan lot).
3: the chain could not be reached; nothing was concluded, try again.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from api.cli.verify import RPC_HELP, TRUST_HELP, fail, load_json_file, rpc_for, trust_roots
from api.cli.verify import unreachable as unreachable_line

if TYPE_CHECKING:
    from api.verify.lot import LotReport
    from api.verify.trust import TrustRoots

COMMAND = "verify-lot"
#: Largest lot JSON read (the sample lot of 8 events is about 40 KB).
MAX_LOT_BYTES = 16 * 1024 * 1024
LOT_HELP = (
    "The lot's JSON: its Digital Link on a sandan resolver (fetched with Accept: "
    "application/json) or a file holding that answer."
)
REGISTRY_HELP = (
    "A registry address you trust (repeatable): the zone's TraceRegistry and PartyRegistry, "
    "published by its operator or customs."
)


def register(app: typer.Typer) -> None:
    """Add ``sandan verify-lot``."""
    app.command(COMMAND)(verify_lot)


def _fetch(url: str) -> bytes:
    """The body of the lot's JSON at ``url``; exit 2 when it cannot be had."""
    import httpx

    try:
        with httpx.stream(
            "GET", url, headers={"Accept": "application/json"}, follow_redirects=True, timeout=20
        ) as response:
            if response.status_code != 200:
                fail(COMMAND, f"{url} answered HTTP {response.status_code}: not a lot", 2)
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_LOT_BYTES:
                    fail(COMMAND, f"{url} sent more than {MAX_LOT_BYTES} bytes: not a lot", 2)
            return body
    except httpx.HTTPError as exc:
        fail(COMMAND, f"cannot fetch {url}: {exc}", 2)


def _material(source: str) -> dict[str, Any]:
    from api.verify.lot_input import UnusableInput, load_lot, lot_material

    try:
        if source.startswith(("http://", "https://")):
            return load_lot(_fetch(source))
        return lot_material(load_json_file(COMMAND, Path(source), "sandan lot"))
    except UnusableInput as exc:
        fail(COMMAND, f"{source} is not usable: {exc}", 2)


def verify_lot(
    lot: str = typer.Argument(..., metavar="URL-or-FILE", help=LOT_HELP),
    registry: list[str] = typer.Option([], "--registry", help=REGISTRY_HELP),
    trust: Path = typer.Option(None, "--trust", envvar="SANDAN_TRUST_FILE", help=TRUST_HELP),
    rpc_url: str = typer.Option(None, "--rpc-url", envvar="SANDAN_RPC_URL", help=RPC_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    wait: bool = typer.Option(
        False, "--wait", help="While events are only not anchored yet, fetch and check again."
    ),
    timeout: float = typer.Option(120.0, "--timeout", help="Seconds --wait waits."),
) -> None:
    """Check every event of a lot: its hash, its anchor, its signature and its signer.

    Trust roots are yours to pin (--registry or --trust); without them the local
    deployment file is used, and the output says so. Exit 0 verified, 1 not
    verified (a check failed, or events are not anchored yet), 2 unusable input,
    3 chain unreachable.
    """
    material = _material(lot)  # unusable input is said first, whatever the chain
    roots = trust_roots(COMMAND, registry, trust)
    rpc = rpc_for(COMMAND, rpc_url)
    deadline = time.monotonic() + timeout
    while True:
        report = _check(material, rpc, roots)
        if not (wait and _only_pending(report)) or time.monotonic() >= deadline:
            break
        time.sleep(1.0)
        material = _material(lot)
    report.calls = dict(rpc.counts)
    _print(report, as_json)
    raise typer.Exit(int(report.outcome))


def _only_pending(report: LotReport) -> bool:
    """Nothing failed; some events are just not anchored yet (the worker will get to them)."""
    return bool(report.pending) and all(c.status != "failed" for c in report.checks)


def _check(material: dict[str, Any], rpc: Any, roots: TrustRoots) -> LotReport:
    """Check the lot's material against the chain once."""
    from api.verify.lot import LotOutcome
    from api.verify.lot import verify_lot as check_lot
    from api.verify.lot_chain import RpcLotChain
    from api.verify.rpc import ChainUnreachable, RpcError

    named = material["chain"]
    chain = RpcLotChain(
        rpc,
        trace_registry=str(named.get("traceRegistry")),
        party_registry=str(named.get("partyRegistry")),
        material=material,
    )
    unreachable = int(LotOutcome.UNREACHABLE)
    try:
        chain_id = int(str(rpc.request("eth_chainId", [])), 16)
    except (ChainUnreachable, RpcError, ValueError) as exc:
        # A node that cannot say which chain it is concluded nothing.
        fail(COMMAND, unreachable_line(exc), unreachable, colour="yellow")
    try:
        report = check_lot(material, chain, chain_id=chain_id, trust=roots)
    except ChainUnreachable as exc:
        fail(COMMAND, unreachable_line(exc), unreachable, colour="yellow")
    return report


def _print(report: LotReport, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        return
    typer.echo(f"  trust roots: {report.trust_source}")
    marks = {"passed": ("✓", "green"), "failed": ("✗", "red"), "pending": ("…", "yellow")}
    for check in report.checks:
        mark, colour = marks[check.status]
        if check.status == "failed":
            typer.echo(f"  {typer.style(mark, fg=colour)} {check.name}")
            typer.echo(f"      expected: {check.expected}")
            typer.echo(f"      found:    {check.found}")
        else:
            typer.echo(f"  {typer.style(mark, fg=colour)} {check.name}: {check.found}")
    if report.recalled:
        typer.secho("RECALLED: the chain says this lot is under recall", fg="red", bold=True)
    if report.verified:
        typer.secho("VERIFIED", fg="green", bold=True)
    elif report.pending and all(c.status != "failed" for c in report.checks):
        typer.secho(f"NOT VERIFIED: {report.pending} events not anchored yet", fg="yellow")
    else:
        typer.secho("NOT AUTHENTIC", fg="red", bold=True)
