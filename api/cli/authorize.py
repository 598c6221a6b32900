"""``sandan authorize``: sign a release, settlement or financing for anyone to relay.

Customs and banks keep their own keys: the command signs the EIP-712 authorization of
TradeRegistry's ``...WithSig`` functions and prints what a relayer sends. With
``--nonce``, ``--chain-id`` and ``--registry`` it needs no chain at all; whatever is
missing is read from the node (``--rpc-url``) and the local deployment file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from ledger_client import AuthorizationAction, Deployment

__all__ = ["register"]

_ERROR_EXIT = 2
_DEFAULT_VALIDITY = 3600
_HEX64 = frozenset("0123456789abcdefABCDEF")

KeyFile = Annotated[
    Path,
    typer.Option(
        "--key-file", help="File holding the signer's secp256k1 private key as hex (0x optional)."
    ),
]
Nonce = Annotated[
    int | None, typer.Option(help="The signer's TradeRegistry nonce (default: read from chain).")
]
Deadline = Annotated[
    int | None, typer.Option(help="Last valid block timestamp, UNIX seconds (default: now + 1h).")
]
ChainId = Annotated[
    int | None,
    typer.Option("--chain-id", help="Chain id (default: the node's, else the deployment file's)."),
]
Registry = Annotated[
    str | None,
    typer.Option(help="TradeRegistry address (default: from the local deployment file)."),
]
RpcUrl = Annotated[
    str | None,
    typer.Option(
        "--rpc-url",
        envvar="SANDAN_RPC_URL",
        help="JSON-RPC node for what is not given (default: the embedded node).",
    ),
]


@dataclass(frozen=True)
class _Options:
    """The options every action shares."""

    key_file: Path
    nonce: int | None
    deadline: int | None
    chain_id: int | None
    registry: str | None
    rpc_url: str | None


Verdict = Annotated[
    str,
    typer.Option(
        "--verdict",
        help="The trade's verdict hash (64 hex) you judged: the chain refuses the step if the "
        "trade's verdict, and so its documents, are no longer those.",
    ),
]


def release(
    trades: Annotated[
        list[str],
        typer.Argument(
            help="TRADE_ID:VERDICT_HASH pairs (64 hex each): each trade and the verdict you "
            "release it on (GET /trades/{id} shows verdictHash).",
            metavar="TRADE_ID:VERDICT_HASH...",
        ),
    ],
    key_file: KeyFile,
    nonce: Nonce = None,
    deadline: Deadline = None,
    chain_id: ChainId = None,
    registry: Registry = None,
    rpc_url: RpcUrl = None,
) -> None:
    """Authorize the release of one or more trades in one relayed transaction (customs)."""
    from ledger_client import AuthorizationAction

    options = _Options(key_file, nonce, deadline, chain_id, registry, rpc_url)
    pairs = [_pair(trade) for trade in trades]
    _authorize(
        AuthorizationAction.RELEASE,
        [trade_id for trade_id, _ in pairs],
        None,
        options,
        verdicts=[verdict for _, verdict in pairs],
    )


def settle(
    trade_id: Annotated[str, typer.Argument(help="Trade id (64 hex).")],
    ref: Annotated[str, typer.Option("--ref", help="Settlement reference (64 hex).")],
    verdict: Verdict,
    key_file: KeyFile,
    nonce: Nonce = None,
    deadline: Deadline = None,
    chain_id: ChainId = None,
    registry: Registry = None,
    rpc_url: RpcUrl = None,
) -> None:
    """Authorize the settlement confirmation of a released trade (bank)."""
    from ledger_client import AuthorizationAction

    options = _Options(key_file, nonce, deadline, chain_id, registry, rpc_url)
    _authorize(
        AuthorizationAction.CONFIRM_SETTLEMENT,
        [trade_id],
        _hex32(ref, "--ref"),
        options,
        verdicts=[verdict],
    )


def finance(
    trade_id: Annotated[str, typer.Argument(help="Trade id (64 hex).")],
    terms: Annotated[str, typer.Option("--terms", help="Hash of the financing terms (64 hex).")],
    verdict: Verdict,
    key_file: KeyFile,
    nonce: Nonce = None,
    deadline: Deadline = None,
    chain_id: ChainId = None,
    registry: Registry = None,
    rpc_url: RpcUrl = None,
) -> None:
    """Authorize the signer's financing of a matched trade (bank)."""
    from ledger_client import AuthorizationAction

    options = _Options(key_file, nonce, deadline, chain_id, registry, rpc_url)
    _authorize(
        AuthorizationAction.REGISTER_FINANCING,
        [trade_id],
        _hex32(terms, "--terms"),
        options,
        verdicts=[verdict],
    )


def discharge(
    trade_id: Annotated[str, typer.Argument(help="Trade id (64 hex).")],
    key_file: KeyFile,
    nonce: Nonce = None,
    deadline: Deadline = None,
    chain_id: ChainId = None,
    registry: Registry = None,
    rpc_url: RpcUrl = None,
) -> None:
    """Authorize the discharge of the signer's financing of a trade (the financing bank)."""
    from ledger_client import AuthorizationAction

    options = _Options(key_file, nonce, deadline, chain_id, registry, rpc_url)
    _authorize(AuthorizationAction.DISCHARGE_FINANCING, [trade_id], None, options)


def _pair(text: str) -> tuple[str, str]:
    trade_id, sep, verdict = text.partition(":")
    if not sep:
        raise typer.BadParameter(
            f"{text!r}: give TRADE_ID:VERDICT_HASH (the verdict you release the trade on)",
            param_hint="TRADE_ID:VERDICT_HASH",
        )
    return trade_id, verdict


def _authorize(
    action: AuthorizationAction,
    trade_ids: list[str],
    data: bytes | None,
    options: _Options,
    *,
    verdicts: list[str] | None = None,
) -> None:
    """Sign the authorization and print the relayer's JSON."""
    from api.services.authorizations import prepare_authorization
    from ledger_client import account_from_key, sign_authorization

    ids = [_hex32(trade_id, "TRADE_ID") for trade_id in trade_ids]
    verdict_hashes = (
        None if verdicts is None else [_hex32(v, "VERDICT_HASH / --verdict") for v in verdicts]
    )
    with _one_line_errors():
        key = _read_key(options.key_file)
        signer = account_from_key(key).address
        chain_id, registry, nonce = _chain_facts(options, signer)
        deadline = options.deadline
        if deadline is None:
            deadline = int(time.time()) + _DEFAULT_VALIDITY
        prepared = prepare_authorization(
            action,
            ids,
            data,
            verdict_hashes=verdict_hashes,
            nonce=nonce,
            deadline=deadline,
            chain_id=chain_id,
            registry=registry,
        )
        signature = sign_authorization(prepared.typed_data, key)
    typer.echo(json.dumps(prepared.to_json(signature), indent=2))


def _chain_facts(options: _Options, signer: str) -> tuple[int, str, int]:
    """Chain id, registry and nonce: as given, else from the deployment file and the node."""
    import ledger_client

    deployment = None
    if options.registry is None or (options.chain_id is None and options.nonce is not None):
        deployment = ledger_client.Deployment.load(ledger_client.LedgerSettings().deployment_file)
    registry = options.registry or _trade_registry(deployment)
    if options.nonce is not None:
        chain_id = options.chain_id if options.chain_id is not None else _chain_of(deployment)
        return chain_id, registry, options.nonce
    w3 = ledger_client.make_web3(options.rpc_url or _embedded_url())
    node_chain = ledger_client.check_connection(w3)
    if deployment is not None:
        deployment.check(w3)  # the deployment file must describe the node we ask
    nonce = ledger_client.TradeRegistryClient(w3, registry).nonces(signer)
    return (options.chain_id if options.chain_id is not None else node_chain), registry, nonce


def _trade_registry(deployment: Deployment | None) -> str:
    if deployment is None:
        raise AssertionError("unreachable: the deployment is loaded when --registry is missing")
    return str(deployment.trade_registry.address)


def _chain_of(deployment: Deployment | None) -> int:
    if deployment is None:
        raise AssertionError("unreachable: the deployment is loaded when --chain-id is missing")
    return deployment.chain_id


def _embedded_url() -> str:
    import ledger_client

    url = ledger_client.running_node_url(ledger_client.LedgerSettings())
    if url is None:
        raise ledger_client.ProviderError(
            "no --rpc-url and no embedded node running: pass --nonce and --chain-id, "
            "or start one with `sandan node`"
        )
    return url


def _read_key(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read key file {path}: {exc}") from exc


def _hex32(text: str, name: str) -> bytes:
    digits = text.removeprefix("0x")
    if len(digits) != 64 or not set(digits) <= _HEX64:
        raise typer.BadParameter(f"{text!r} is not 64 hex digits", param_hint=name)
    return bytes.fromhex(digits)


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """The user's problems (key, chain, deployment, arguments) as one line and exit 2."""
    import ledger_client

    try:
        yield
    except (ledger_client.LedgerError, ValueError) as exc:
        typer.secho(f"sandan authorize: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(_ERROR_EXIT) from exc


def register(app: typer.Typer) -> None:
    """Add ``sandan authorize release|settle|finance|discharge``."""
    group = typer.Typer(
        help="Sign a release, settlement or financing (EIP-712) for anyone to relay.",
        no_args_is_help=True,
    )
    group.command("release")(release)
    group.command("settle")(settle)
    group.command("finance")(finance)
    group.command("discharge")(discharge)
    app.add_typer(group, name="authorize")
