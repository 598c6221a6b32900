"""``sandan authorize``: sign a release, settlement or financing for anyone to relay.

Customs and banks keep their own keys: the command signs the EIP-712 authorization of
TradeRegistry's ``...WithSig`` functions and prints what a relayer sends. The registry
names a trade by its place on chain (verdict batch and position), so the command reads
that place from the node (``--rpc-url``, the signer's own node): it decodes the verdicts
the batch recorded, rebuilds the batch's root from them, and refuses unless each trade
sits there on the verdict the signer names. With ``--batch`` it looks only there.

With ``--nonce``, ``--chain-id``, ``--registry``, ``--batch`` and ``--root`` it needs no
chain at all: each trade then names its position (``TRADE_ID:VERDICT_HASH@POSITION``,
or ``--position``), which the contract checks against the root when the call is relayed.
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
    from ledger_client import AuthorizationAction, Deployment, TradeRegistryClient, VerdictLeaf

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


Batch = Annotated[
    int | None,
    typer.Option("--batch", min=1, help="The trades' verdict batch (default: found on chain)."),
]
Root = Annotated[
    str | None,
    typer.Option("--root", help="The verdict batch's root (64 hex), to sign with no chain."),
]
Position = Annotated[
    int | None,
    typer.Option("--position", min=0, help="The trade's position in --batch, to sign offline."),
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
    batch: int | None = None
    root: str | None = None


@dataclass(frozen=True)
class _Place:
    """Where the trades sit on chain: their verdict batch, its root, their positions."""

    batch: int
    root: bytes
    positions: list[int]
    financing_id: int | None = None


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
    batch: Batch = None,
    root: Root = None,
) -> None:
    """Authorize the release of trades of one verdict batch in one relayed transaction
    (customs)."""
    from ledger_client import AuthorizationAction

    options = _Options(key_file, nonce, deadline, chain_id, registry, rpc_url, batch, root)
    triples = [_pair(trade) for trade in trades]
    _authorize(
        AuthorizationAction.RELEASE,
        [trade_id for trade_id, _, _ in triples],
        None,
        options,
        verdicts=[verdict for _, verdict, _ in triples],
        positions=[position for _, _, position in triples],
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
    batch: Batch = None,
    root: Root = None,
    position: Position = None,
) -> None:
    """Authorize the settlement confirmation of a released trade (bank)."""
    from ledger_client import AuthorizationAction

    options = _Options(key_file, nonce, deadline, chain_id, registry, rpc_url, batch, root)
    _authorize(
        AuthorizationAction.CONFIRM_SETTLEMENT,
        [trade_id],
        _hex32(ref, "--ref"),
        options,
        verdicts=[verdict],
        positions=[position],
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
    batch: Batch = None,
    root: Root = None,
    position: Position = None,
) -> None:
    """Authorize the signer's financing of a matched trade (bank)."""
    from ledger_client import AuthorizationAction

    options = _Options(key_file, nonce, deadline, chain_id, registry, rpc_url, batch, root)
    _authorize(
        AuthorizationAction.REGISTER_FINANCING,
        [trade_id],
        _hex32(terms, "--terms"),
        options,
        verdicts=[verdict],
        positions=[position],
    )


def discharge(
    trade_id: Annotated[str, typer.Argument(help="Trade id (64 hex).")],
    key_file: KeyFile,
    nonce: Nonce = None,
    deadline: Deadline = None,
    chain_id: ChainId = None,
    registry: Registry = None,
    rpc_url: RpcUrl = None,
    batch: Batch = None,
    position: Position = None,
    financing: Annotated[
        int | None,
        typer.Option("--financing", min=1, help="The financing's number, to sign offline."),
    ] = None,
) -> None:
    """Authorize the discharge of the signer's financing of a trade (the financing bank)."""
    from ledger_client import AuthorizationAction

    options = _Options(key_file, nonce, deadline, chain_id, registry, rpc_url, batch)
    _authorize(
        AuthorizationAction.DISCHARGE_FINANCING,
        [trade_id],
        None,
        options,
        positions=[position],
        financing_id=financing,
    )


def policy(
    grades: Annotated[
        str, typer.Option("--grades", help="Risk grades released automatically: low[,medium].")
    ],
    modes: Annotated[
        str, typer.Option("--modes", help="Customs modes, comma-separated: 9610,9710,9810,1210.")
    ],
    max_value: Annotated[
        str, typer.Option("--max-value", help="Largest customs value per trade, yuan (5000.00).")
    ],
    valid_until: Annotated[
        str,
        typer.Option(
            "--valid-until", help="End of the policy (exclusive): UNIX seconds or ISO 8601."
        ),
    ],
    key_file: KeyFile,
    valid_from: Annotated[
        str | None,
        typer.Option("--valid-from", help="Start: UNIX seconds or ISO 8601 (default: now)."),
    ] = None,
    salt: Annotated[
        str | None, typer.Option(help="32 bytes (64 hex) telling equal policies apart (random).")
    ] = None,
    chain_id: ChainId = None,
    registry: Registry = None,
    rpc_url: RpcUrl = None,
) -> None:
    """Sign a standing release policy (customs): print the body of POST
    /customs/release-policies. The policy's id is its EIP-712 digest."""
    import secrets

    from ledger_client import ReleasePolicy, release_policy_typed_data, sign_authorization

    with _one_line_errors():
        key = _read_key(key_file)
        chain, registry_address = _domain(chain_id, registry, rpc_url)
        fen = _fen(max_value)
        terms = ReleasePolicy(
            grades=frozenset(_csv(grades)),
            modes=frozenset(_csv(modes)),
            max_value=fen,
            valid_from=_instant(valid_from, "--valid-from") if valid_from else int(time.time()),
            valid_until=_instant(valid_until, "--valid-until"),
            salt=_hex32(salt, "--salt") if salt else secrets.token_bytes(32),
        )
        if terms.valid_until <= terms.valid_from:
            raise ValueError("--valid-until must be after --valid-from")
        typed = release_policy_typed_data(terms, chain, registry_address)
        signature = sign_authorization(typed, key)
    body = {
        "grades": sorted(terms.grades),
        "modes": sorted(terms.modes),
        "maxValue": f"{fen // 100}.{fen % 100:02d}",
        "validFrom": terms.valid_from,
        "validUntil": terms.valid_until,
        "salt": terms.salt.hex(),
        "signer": signature.signer,
        "signature": signature.hex,
    }
    typer.echo(json.dumps(body, indent=2))
    typer.echo(f"policy id 0x{signature.digest.hex()}", err=True)


def revoke_policy(
    policy_id: Annotated[str, typer.Argument(help="The policy's id (64 hex).")],
    key_file: KeyFile,
    nonce: Nonce = None,
    deadline: Deadline = None,
    chain_id: ChainId = None,
    registry: Registry = None,
    rpc_url: RpcUrl = None,
) -> None:
    """Sign the revocation of a standing release policy (customs): print the body of POST
    /customs/release-policies/{id}/revoke."""
    from ledger_client import (
        AuthorizationAction,
        account_from_key,
        authorization_typed_data,
        sign_authorization,
    )

    subject = _hex32(policy_id, "POLICY_ID")
    with _one_line_errors():
        key = _read_key(key_file)
        signer = account_from_key(key).address
        if nonce is not None and chain_id is not None:
            chain, registry_address = _domain(chain_id, registry, rpc_url)
            signer_nonce = nonce
        else:
            options = _Options(key_file, nonce, deadline, chain_id, registry, rpc_url)
            chain, registry_address, signer_nonce, _client = _chain_facts(options, signer)
        until = deadline if deadline is not None else int(time.time()) + _DEFAULT_VALIDITY
        typed = authorization_typed_data(
            AuthorizationAction.REVOKE_RELEASE_POLICY,
            subject,
            bytes(32),
            signer_nonce,
            until,
            chain,
            registry_address,
        )
        signature = sign_authorization(typed, key)
    body = {
        "signer": signature.signer,
        "nonce": signer_nonce,
        "deadline": until,
        "signature": signature.hex,
    }
    typer.echo(json.dumps(body, indent=2))


def _domain(chain_id: int | None, registry: str | None, rpc_url: str | None) -> tuple[int, str]:
    """The EIP-712 domain's chain id and registry: as given, else the deployment file's (the
    chain id from ``--rpc-url``'s node when that is given)."""
    import ledger_client

    deployment = None
    if registry is None or (chain_id is None and rpc_url is None):
        deployment = ledger_client.Deployment.load(ledger_client.LedgerSettings().deployment_file)
    address = registry or _trade_registry(deployment)
    if chain_id is not None:
        return chain_id, address
    if rpc_url is not None:
        return ledger_client.check_connection(ledger_client.make_web3(rpc_url)), address
    return _chain_of(deployment), address


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _fen(text: str) -> int:
    from decimal import Decimal, InvalidOperation

    try:
        amount = Decimal(text) * 100
    except InvalidOperation:
        raise typer.BadParameter(f"{text!r} is not an amount", param_hint="--max-value") from None
    if amount != amount.to_integral_value() or amount < 0:
        raise typer.BadParameter(f"{text!r} is not yuan to the fen", param_hint="--max-value")
    return int(amount)


def _instant(text: str, name: str) -> int:
    from datetime import UTC, datetime

    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is neither UNIX seconds nor ISO 8601", param_hint=name
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _pair(text: str) -> tuple[str, str, int | None]:
    pair, at, where = text.partition("@")
    trade_id, sep, verdict = pair.partition(":")
    if not sep:
        raise typer.BadParameter(
            f"{text!r}: give TRADE_ID:VERDICT_HASH (the verdict you release the trade on), "
            "optionally @POSITION",
            param_hint="TRADE_ID:VERDICT_HASH",
        )
    if not at:
        return trade_id, verdict, None
    if not where.isdigit():
        raise typer.BadParameter(f"{text!r}: @POSITION is a number", param_hint="@POSITION")
    return trade_id, verdict, int(where)


def _authorize(
    action: AuthorizationAction,
    trade_ids: list[str],
    data: bytes | None,
    options: _Options,
    *,
    verdicts: list[str] | None = None,
    positions: list[int | None],
    financing_id: int | None = None,
) -> None:
    """Find where the trades sit on chain, sign the authorization, print the relayer's JSON."""
    from api.services.authorizations import prepare_authorization
    from ledger_client import account_from_key, sign_authorization

    ids = [_hex32(trade_id, "TRADE_ID") for trade_id in trade_ids]
    verdict_hashes = (
        None if verdicts is None else [_hex32(v, "VERDICT_HASH / --verdict") for v in verdicts]
    )
    with _one_line_errors():
        key = _read_key(options.key_file)
        signer = account_from_key(key).address
        chain_id, registry, nonce, client = _chain_facts(options, signer)
        place = _place(options, client, ids, verdict_hashes, positions, financing_id)
        if place.financing_id is None and verdict_hashes is None:
            # Online, a discharge takes its financing from the chain: say there is none there.
            raise ValueError(
                f"trade {trade_ids[0]} carries no open financing in verdict batch {place.batch}: "
                "nothing to discharge"
            )
        deadline = options.deadline
        if deadline is None:
            deadline = int(time.time()) + _DEFAULT_VALIDITY
        prepared = prepare_authorization(
            action,
            ids,
            data,
            batch=place.batch,
            positions=place.positions,
            root=place.root,
            financing_id=place.financing_id,
            verdict_hashes=verdict_hashes,
            nonce=nonce,
            deadline=deadline,
            chain_id=chain_id,
            registry=registry,
        )
        signature = sign_authorization(prepared.typed_data, key)
    typer.echo(json.dumps(prepared.to_json(signature), indent=2))


def _place(
    options: _Options,
    client: TradeRegistryClient | None,
    ids: list[bytes],
    verdicts: list[bytes] | None,
    positions: list[int | None],
    financing_id: int | None,
) -> _Place:
    """Where the trades sit: as given (offline), else read from the node and checked."""
    if client is None:
        missing = [i for i, p in enumerate(positions) if p is None]
        if options.batch is None or missing:
            raise ValueError(
                "with no chain, give --batch and each trade's position (TRADE@POSITION or "
                "--position)"
            )
        if verdicts is not None and options.root is None:
            raise ValueError("with no chain, give --root: the verdict batch's root")
        if verdicts is None and financing_id is None:
            raise ValueError("with no chain, give --financing: the financing's number")
        root = _hex32(options.root, "--root") if options.root is not None else bytes(32)
        return _Place(options.batch, root, [p for p in positions if p is not None], financing_id)
    return _find_place(client, options.batch, ids, verdicts)


def _find_place(
    client: TradeRegistryClient,
    batch: int | None,
    ids: list[bytes],
    verdicts: list[bytes] | None,
) -> _Place:
    """The verdict batch holding every trade's live verdict (newest first, or ``batch``),
    checked against the root the chain stores."""
    from ledger_client import TradeState
    from traceability.ordered_merkle import OrderedMerkleTree, verdict_leaf

    candidates = [batch] if batch is not None else range(client.verdict_batch_count(), 0, -1)
    for number in candidates:
        leaves = client.verdicts_of(number)
        stored = client.verdict_batch_of(number)
        if leaves is None or stored is None:
            raise ValueError(f"there is no verdict batch {number} on chain")
        where: dict[bytes, VerdictLeaf] = {bytes(leaf.trade_id): leaf for leaf in leaves}
        if not all(trade_id in where for trade_id in ids):
            if batch is not None:
                absent = next(t for t in ids if t not in where)
                raise ValueError(f"trade {absent.hex()} is not in verdict batch {number}")
            continue
        hashed = [
            verdict_leaf(number, x.position, x.trade_id, x.verdict_hash, x.matched) for x in leaves
        ]
        if OrderedMerkleTree(hashed).root != stored.root:
            raise ValueError(f"the node's verdicts of batch {number} do not rebuild its root")
        found = [where[trade_id] for trade_id in ids]
        for index, leaf in enumerate(found):
            state = client.trade_at(number, leaf.position)
            if state.state is TradeState.SUPERSEDED:
                raise ValueError(
                    f"trade {leaf.trade_id.hex()}'s verdict in batch {number} was superseded: "
                    "judge its new verdict"
                )
            if verdicts is not None and leaf.verdict_hash != verdicts[index]:
                raise ValueError(
                    f"trade {leaf.trade_id.hex()} sits in batch {number} on verdict "
                    f"{leaf.verdict_hash.hex()}, not {verdicts[index].hex()}: judge it again"
                )
        financing = client.trade_at(number, found[0].position).financing_id
        return _Place(number, stored.root, [leaf.position for leaf in found], financing or None)
    raise ValueError("no verdict batch on chain holds all of these trades")


def _chain_facts(
    options: _Options, signer: str
) -> tuple[int, str, int, TradeRegistryClient | None]:
    """Chain id, registry and nonce: as given, else from the deployment file and the node;
    and the registry client to find the trades with (None when signing with no chain)."""
    import ledger_client

    deployment = None
    if options.registry is None or (options.chain_id is None and options.nonce is not None):
        deployment = ledger_client.Deployment.load(ledger_client.LedgerSettings().deployment_file)
    registry = options.registry or _trade_registry(deployment)
    offline = options.root is not None or (options.batch is not None and options.nonce is not None)
    if options.nonce is not None and offline:
        chain_id = options.chain_id if options.chain_id is not None else _chain_of(deployment)
        return chain_id, registry, options.nonce, None
    w3 = ledger_client.make_web3(options.rpc_url or _embedded_url())
    node_chain = ledger_client.check_connection(w3)
    if deployment is not None:
        deployment.check(w3)  # the deployment file must describe the node we ask
    client = ledger_client.TradeRegistryClient(w3, registry)
    nonce = options.nonce if options.nonce is not None else client.nonces(signer)
    chain_id = options.chain_id if options.chain_id is not None else node_chain
    return chain_id, registry, nonce, client


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
    """Add ``sandan authorize release|settle|finance|discharge|policy|revoke-policy``."""
    group = typer.Typer(
        help="Sign a release, settlement, financing or standing release policy (EIP-712) "
        "for anyone to relay.",
        no_args_is_help=True,
    )
    group.command("release")(release)
    group.command("settle")(settle)
    group.command("finance")(finance)
    group.command("discharge")(discharge)
    group.command("policy")(policy)
    group.command("revoke-policy")(revoke_policy)
    app.add_typer(group, name="authorize")
