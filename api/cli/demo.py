"""``sandan demo``: the whole flow on the embedded default (or the configured node)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer


def register(app: typer.Typer) -> None:
    """Add ``sandan demo``."""
    app.command("demo")(demo)


def demo(
    out: Path = typer.Option(Path("sandan-out"), "--out", help="Folder for bundles and QR codes."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON report instead of text."),
) -> None:
    """Run trades and a farm-to-consumer lot end to end, anchor them and verify everything.

    The demo writes into sandan's own database, so `sandan serve` afterwards shows
    its trades and the consumer page of its lot.
    """
    import warnings

    # starlette's TestClient warns about its httpx transport; the demo drives the
    # app in process on purpose.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    from api.config import get_settings
    from api.demo.life import run_life_demo
    from api.demo.runs import epilogue, run_tag
    from api.demo.trace import run_trace_demo
    from api.demo.trade import DemoRun, run_trade_demo
    from api.provisioning import ensure_deployment
    from api.runtime import Runtime
    from api.services.auto_release import anchor_worker as make_anchor_worker
    from api.services.live_verify import provider_rpc
    from api.verify.trust import load_trust_roots
    from api.web.main import create_app

    settings = get_settings()
    emit = _quiet if as_json else _say
    deployment = ensure_deployment(settings)
    emit(f"chain {deployment.chain_id}: TradeRegistry {deployment.trade_registry.address}")
    runtime = Runtime.from_settings(settings.model_copy(update={"batch_wait_seconds": 0.0}))
    ledger = runtime.ledger()
    tag = run_tag(settings.ledger.data_dir, datetime.now(UTC))
    worker = make_anchor_worker(runtime)
    with TestClient(create_app(runtime=runtime)) as client:
        run = DemoRun(
            client=client,
            admin_token=runtime.admin_token,
            worker=worker,
            out_dir=out,
            rpc=provider_rpc(ledger.w3),
            # The demo vouches for its own deployment; a bank pins the zone's published one.
            trust=load_trust_roots(deployment_file=settings.ledger.deployment_file),
            emit=emit,
            tag=tag,
        )
        outcomes = run_trade_demo(run)
        if not as_json:
            _print_trades([o.__dict__ for o in outcomes])
            typer.secho(
                "\n■ traceability: a lot of Gannan navel oranges, farm to consumer", bold=True
            )
        trace = run_trace_demo(client, runtime.admin_token, worker, out, emit, tag)
        if not as_json:
            typer.secho("\n■ after release: a return, an overseas warehouse, FX and tax", bold=True)
        life = run_life_demo(run, run.parties, outcomes, trace)
    trades = [o.__dict__ for o in outcomes]
    bundles = [o.bundle_path for o in outcomes if o.bundle_path]
    after = epilogue(settings, digital_link=trace["digitalLink"], bundles=bundles)
    if as_json:
        report = {
            "chainId": ledger.chain_id,
            "tag": tag,
            "trades": trades,
            "traceability": trace,
            **life,
        }
        typer.echo(json.dumps(report | after, ensure_ascii=False, indent=2, default=str))
    else:
        _print_epilogue(after)
    failed = [o for o in outcomes if o.verification is not None and not o.verification["authentic"]]
    raise typer.Exit(1 if failed or not trace["allVerified"] else 0)


def _print_epilogue(after: dict[str, Any]) -> None:
    typer.secho("\n■ when the demo is over", bold=True)
    typer.echo(f"  still running: {after['stillRunning']['note']}")
    typer.echo(f"  admin token: {after['adminToken']}")
    typer.echo("  try next:")
    for number, step in enumerate(after["nextSteps"], start=1):
        typer.echo(f"    {number}. {step}")


def _quiet(_message: str) -> None:
    """Progress is not printed with --json."""


def _say(message: str) -> None:
    typer.echo(f"· {message}")


def _print_trades(trades: list[dict[str, Any]]) -> None:
    for trade in trades:
        typer.secho(f"\n■ {trade['label']}  (orderNo {trade['order_no']})", bold=True)
        typer.echo(f"  tradeId {trade['trade_id']}")
        for doc in trade["documents"]:
            anchor = doc.get("anchor") or {}
            typer.echo(
                f"  {doc['messageType']} {doc['contentHash'][:16]}… by {doc['partyCode']}: "
                f"block {anchor.get('blockNumber')}, proof of {len(anchor.get('proof', []))} "
                f"hashes to root {str(anchor.get('root'))[:16]}…"
            )
        verdict = trade["verdict"]
        colour = "green" if verdict["status"] == "match" else "red"
        typer.secho(f"  verdict: {verdict['status']}", fg=colour)
        for failure in verdict.get("failures", []):
            typer.echo(
                f"    ✗ {failure['rule']} [{failure['document']}.{failure['field']}]: expected "
                f"{failure['expected']}, actual {failure['actual']}"
            )
        _print_steps(trade)


def _print_steps(trade: dict[str, Any]) -> None:
    if trade.get("release"):
        release = trade["release"]
        typer.echo(f"  released by customs: tx {release['txHash']} block {release['blockNumber']}")
    if trade.get("settlement"):
        typer.echo(f"  settlement confirmed: tx {trade['settlement']['txHash']}")
    for attempt in trade.get("financing", []):
        if attempt["status"] == 201:
            typer.echo(
                f"  financing registered by {attempt['bank']}: tx {attempt['body']['txHash']}"
            )
        else:
            typer.secho(
                f"  financing by {attempt['bank']} refused: {attempt['body']['message']}",
                fg="yellow",
            )
    if trade.get("bundle_path"):
        ok = trade["verification"]["authentic"]
        outcome = "verified on chain" if ok else "VERIFICATION FAILED"
        typer.secho(f"  bundle {trade['bundle_path']}: {outcome}", fg="green" if ok else "red")
