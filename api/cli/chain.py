"""``sandan compile``, ``sandan node`` and ``sandan deploy``: the chain-side commands."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

import ledger_client

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3 import Web3

__all__ = ["register"]

_ERROR_EXIT = 2


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """Turn the user's problems (settings, node, compiler) into one line and exit 2."""
    import pydantic  # imported here: `sandan --help` stays fast

    try:
        yield
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or exc.title
        typer.secho(f"sandan: setting {where}: {first['msg']}", err=True, fg=typer.colors.RED)
        raise typer.Exit(_ERROR_EXIT) from exc
    except ledger_client.LedgerError as exc:
        typer.secho(f"sandan: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(_ERROR_EXIT) from exc


def compile_command(
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Exit 1 if the committed artifacts differ from a fresh compile."
        ),
    ] = False,
) -> None:
    """Compile the Solidity registries and write the artifacts shipped with the package."""
    with _one_line_errors():
        settings = ledger_client.LedgerSettings()
        if check:
            differing = ledger_client.check_artifacts(settings)
            if differing:
                typer.echo(
                    f"artifacts out of date: {', '.join(differing)} (run `sandan compile`)",
                    err=True,
                )
                raise typer.Exit(1)
            typer.echo("artifacts match the sources")
            return
        for path in ledger_client.write_artifacts(ledger_client.compile_contracts(settings)):
            typer.echo(f"wrote {path}")


def node_command(
    port: Annotated[
        int | None, typer.Option(help="Port on 127.0.0.1 (default SANDAN_NODE_PORT).")
    ] = None,
    foreground: Annotated[
        bool, typer.Option("--foreground", help="Run attached until Ctrl-C.")
    ] = False,
    stop: Annotated[bool, typer.Option("--stop", help="Stop the running embedded node.")] = False,
) -> None:
    """Run the embedded anvil node (state kept in the data dir), or stop it."""
    with _one_line_errors():
        settings = ledger_client.LedgerSettings()
        if stop:
            stopped = ledger_client.stop_embedded_node(settings)
            typer.echo("embedded node stopped" if stopped else "no embedded node was running")
            return
        if foreground:
            _run_foreground(settings, port or settings.node_port)
            return
        url = ledger_client.ensure_embedded_node(settings, port=port)
        typer.echo(f"embedded node at {url} (state in {settings.data_dir})")


def deploy_command(
    rpc_url: Annotated[
        str | None,
        typer.Option("--rpc-url", help="JSON-RPC node (default SANDAN_RPC_URL, else embedded)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option(help="Deployment file (default in the data dir).")
    ] = None,
) -> None:
    """Deploy both registries, grant the demo roles and write the deployment file."""
    with _one_line_errors():
        settings = ledger_client.LedgerSettings()
        url = rpc_url or settings.rpc_url or ledger_client.ensure_embedded_node(settings)
        w3 = ledger_client.make_web3(url, timeout=settings.chain_timeout)
        ledger_client.check_connection(w3)
        admin, grants = _deployer_and_grants(w3, settings)
        deployment = ledger_client.deploy_registries(
            w3, admin, grants=grants, confirmations=settings.confirmations
        )
        path = output or settings.deployment_file
        deployment.save(path)
        typer.echo(f"chain {deployment.chain_id} at {ledger_client.redact_url(url)}")
        for name, contract in sorted(deployment.contracts.items()):
            typer.echo(f"{name}: {contract.address} (block {contract.block_number})")
        typer.echo(f"deployment file: {path}")


def _deployer_and_grants(
    w3: Web3, settings: ledger_client.LedgerSettings
) -> tuple[LocalAccount, dict[str, list[str]]]:
    """Production: the admin key from settings, the anchorer key gets ANCHORER_ROLE.

    Without an admin key (dev chains only): dev accounts with the demo roles.
    """
    if settings.admin_key is not None:
        admin = ledger_client.account_from_key(settings.admin_key)
        grants: dict[str, list[str]] = {}
        if settings.anchorer_key is not None:
            grants["ANCHORER_ROLE"] = [
                ledger_client.account_from_key(settings.anchorer_key).address
            ]
        return admin, grants
    accounts = ledger_client.dev_accounts(w3, len(ledger_client.DEV_PARTIES))
    return accounts[0], ledger_client.dev_role_grants(accounts)


def _run_foreground(settings: ledger_client.LedgerSettings, port: int) -> None:
    if ledger_client.running_node_url(settings):
        raise ledger_client.EmbeddedNodeError(
            "an embedded node is already running: `sandan node --stop` first"
        )
    node = ledger_client.EmbeddedNode(
        settings.data_dir, port, anvil=ledger_client.find_anvil(settings)
    )
    node.start()
    ledger_client.write_node_record(settings, node)
    typer.echo(f"embedded node at {node.rpc_url} (Ctrl-C to stop; state in {settings.data_dir})")
    stopped = threading.Event()
    previous: Callable[..., object] | int | None = signal.signal(
        signal.SIGTERM, lambda *_: stopped.set()
    )
    try:
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        node.stop()
        ledger_client.stop_embedded_node(settings)
        typer.echo("embedded node stopped; state saved")


def register(app: typer.Typer) -> None:
    """Add ``compile``, ``node`` and ``deploy`` to the ``sandan`` app."""
    app.command("compile")(compile_command)
    app.command("node")(node_command)
    app.command("deploy")(deploy_command)
