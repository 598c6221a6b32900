"""Deploy the registries, grant roles, and keep the result in a deployment file."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from web3.exceptions import Web3Exception

from ledger_client import _convert
from ledger_client._base import RegistryClient
from ledger_client._retry import RetryPolicy
from ledger_client._transact import Transactor
from ledger_client.client import TraceRegistryClient, TradeRegistryClient
from ledger_client.compile import CONTRACT_NAMES, load_artifacts
from ledger_client.errors import ConfigurationError, DeploymentError, LedgerError
from ledger_client.lifecycle import LifecycleRegistryClient
from ledger_client.party_registry import PartyRegistryClient
from ledger_client.types import Address, CompiledContract, TxHash

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3 import Web3
    from web3.types import TxParams

__all__ = ["DeployedContract", "Deployment", "deploy_registries"]

_FORMAT = 1
_CLIENTS: dict[str, type[RegistryClient]] = {
    "TradeRegistry": TradeRegistryClient,
    "TraceRegistry": TraceRegistryClient,
    "PartyRegistry": PartyRegistryClient,
    "LifecycleRegistry": LifecycleRegistryClient,
}
#: Deployed once TradeRegistry is mined, with its address as the constructor argument: it
#: takes its roles and trade states from there.
_FOLLOWS_TRADE_REGISTRY = "LifecycleRegistry"
#: Granted to the admin unless ``grants`` names its holders: someone must register parties.
_REGISTRAR_ROLE = "REGISTRAR_ROLE"


@dataclass(frozen=True)
class DeployedContract:
    """One deployed registry: where, when, and from which sources."""

    name: str
    address: Address
    block_number: int
    tx_hash: TxHash
    source_hash: str


@dataclass(frozen=True)
class Deployment:
    """The registries on one chain, and the roles granted at deployment."""

    chain_id: int
    admin: Address
    contracts: Mapping[str, DeployedContract]
    roles: Mapping[str, Mapping[str, tuple[Address, ...]]] = field(default_factory=dict)

    @property
    def trade_registry(self) -> DeployedContract:
        """The TradeRegistry deployment."""
        return self.contracts["TradeRegistry"]

    @property
    def trace_registry(self) -> DeployedContract:
        """The TraceRegistry deployment."""
        return self.contracts["TraceRegistry"]

    @property
    def party_registry(self) -> DeployedContract:
        """The PartyRegistry deployment."""
        return self.contracts["PartyRegistry"]

    @property
    def lifecycle_registry(self) -> DeployedContract:
        """The LifecycleRegistry deployment (it follows :attr:`trade_registry`)."""
        return self.contracts["LifecycleRegistry"]

    def save(self, path: Path) -> None:
        """Write the deployment as JSON (atomically: a reader never sees half a file)."""
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # sandan's private data dir
        data = {
            "format": _FORMAT,
            "chainId": self.chain_id,
            "admin": self.admin,
            "contracts": {
                name: {
                    "address": c.address,
                    "blockNumber": c.block_number,
                    "txHash": c.tx_hash,
                    "sourceHash": c.source_hash,
                }
                for name, c in sorted(self.contracts.items())
            },
            "roles": {
                name: {r: list(a) for r, a in roles.items()} for name, roles in self.roles.items()
            },
        }
        partial = path.with_suffix(path.suffix + ".tmp")
        partial.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> Deployment:
        """Read a deployment file written by :meth:`save`."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise DeploymentError(f"no deployment file at {path}: run `sandan deploy`") from exc
        except (OSError, ValueError) as exc:
            raise DeploymentError(f"deployment file {path} is unreadable: {exc}") from exc
        try:
            return _from_json(data)
        except _Outdated as exc:
            raise DeploymentError(f"deployment file {path} {exc}") from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise DeploymentError(f"deployment file {path} is malformed: {exc!r}") from exc

    def check(self, w3: Web3, *, policy: RetryPolicy | None = None) -> None:
        """Raise DeploymentError unless ``w3`` is this chain and holds code at each address."""
        retry = policy or RetryPolicy()
        chain_id = retry.call(lambda: w3.eth.chain_id)
        if chain_id != self.chain_id:
            raise DeploymentError(
                f"deployment is for chain {self.chain_id}, but the node is chain {chain_id}"
            )
        for contract in self.contracts.values():
            code = retry.call(
                functools.partial(w3.eth.get_code, _convert.checksum(contract.address))
            )
            if not code:
                raise DeploymentError(
                    f"no {contract.name} code at {contract.address}: the chain was reset; redeploy"
                )
        # Code from other sources answers with another ABI: calls would revert as unknown
        # selectors or, worse, mean something else. Say so before anything is sent.
        current = load_artifacts()
        for contract in self.contracts.values():
            built = current.get(contract.name)
            if built is not None and built.source_hash != contract.source_hash:
                raise DeploymentError(
                    f"{contract.name} at {contract.address} was deployed from other contract "
                    f"sources ({contract.source_hash}) than this sandan's ({built.source_hash}); "
                    "redeploy with `sandan deploy`"
                )
        self._check_lifecycle_follows_trade_registry(w3, retry)

    def _check_lifecycle_follows_trade_registry(self, w3: Web3, retry: RetryPolicy) -> None:
        """LifecycleRegistry takes every role from the TradeRegistry it was deployed with: one
        that follows another registry would let that registry's roles act on these trades."""
        lifecycle = self.contracts.get("LifecycleRegistry")
        if lifecycle is None:
            return
        client = LifecycleRegistryClient(w3, lifecycle.address, retry=retry)
        try:
            followed = client.trade_registry()
        except (LedgerError, Web3Exception) as exc:
            raise DeploymentError(
                f"LifecycleRegistry at {lifecycle.address} does not answer tradeRegistry(): {exc}"
            ) from exc
        if followed != self.trade_registry.address:
            raise DeploymentError(
                f"LifecycleRegistry at {lifecycle.address} follows TradeRegistry {followed}, not "
                f"this deployment's {self.trade_registry.address}; redeploy with `sandan deploy`"
            )
        trade = TradeRegistryClient(w3, self.trade_registry.address, retry=retry)
        try:
            guard = trade.lifecycle_registry()
        except (LedgerError, Web3Exception) as exc:
            raise DeploymentError(
                f"TradeRegistry at {self.trade_registry.address} does not answer "
                f"lifecycleRegistry(): {exc}"
            ) from exc
        if guard != lifecycle.address:
            consulted = "no LifecycleRegistry" if guard is None else f"LifecycleRegistry {guard}"
            raise DeploymentError(
                f"TradeRegistry at {self.trade_registry.address} consults {consulted}, not "
                f"{lifecycle.address}: an interrupted deployment; redeploy with `sandan deploy`"
            )


def deploy_registries(
    w3: Web3,
    admin: LocalAccount,
    *,
    grants: Mapping[str, Sequence[str]] | None = None,
    artifacts: Mapping[str, CompiledContract] | None = None,
    confirmations: int = 1,
    timeout: float = 120.0,
) -> Deployment:
    """Deploy TradeRegistry, TraceRegistry, PartyRegistry and LifecycleRegistry from
    ``admin`` and grant roles.

    ``grants`` maps a role name (``"ANCHORER_ROLE"``...) to accounts; each role is
    granted on every registry that declares it (LifecycleRegistry declares none: it asks
    TradeRegistry). ``REGISTRAR_ROLE`` goes to ``admin`` unless ``grants`` names its
    holders. The transactions are in flight at once, but for LifecycleRegistry's deployment,
    which needs TradeRegistry's address.
    """
    compiled = artifacts or load_artifacts()
    wanted = {
        role: [_convert.address(a) for a in accounts] for role, accounts in (grants or {}).items()
    }
    wanted.setdefault(_REGISTRAR_ROLE, [Address(admin.address)])
    _check_roles(wanted, compiled)
    sender = Transactor(w3, None, admin, confirmations=confirmations, timeout=timeout)
    first = [name for name in CONTRACT_NAMES if name != _FOLLOWS_TRADE_REGISTRY]
    hashes = {name: _send_deploy(w3, sender, compiled[name]) for name in first}
    trade = _deployed(sender, "TradeRegistry", hashes["TradeRegistry"], compiled["TradeRegistry"])
    hashes[_FOLLOWS_TRADE_REGISTRY] = _send_deploy(
        w3, sender, compiled[_FOLLOWS_TRADE_REGISTRY], _convert.checksum(trade.address)
    )
    deployed = {
        name: trade if name == "TradeRegistry" else _deployed(sender, name, h, compiled[name])
        for name, h in hashes.items()
    }
    roles = _grant_all(w3, admin, deployed, wanted, compiled, confirmations, timeout)
    # Until it is named, TradeRegistry releases, settles and finances trades without asking
    # LifecycleRegistry whether customs cancelled them or a typed financing holds them.
    TradeRegistryClient(
        w3,
        trade.address,
        admin,
        confirmations=confirmations,
        timeout=timeout,
        artifact=compiled["TradeRegistry"],
    ).set_lifecycle_registry(deployed[_FOLLOWS_TRADE_REGISTRY].address)
    return Deployment(sender.chain_id, Address(admin.address), deployed, roles)


def _check_roles(wanted: Mapping[str, object], compiled: Mapping[str, CompiledContract]) -> None:
    known = {role for c in compiled.values() for role in _declared_roles(c)}
    unknown = sorted(set(wanted) - known)
    if unknown:
        raise ConfigurationError(
            f"unknown role(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )


def _declared_roles(contract: CompiledContract) -> set[str]:
    return {
        str(item["name"])
        for item in contract.abi
        if item.get("type") == "function" and str(item.get("name", "")).endswith("_ROLE")
    }


def _send_deploy(
    w3: Web3, sender: Transactor, contract: CompiledContract, *arguments: object
) -> TxHash:
    factory = w3.eth.contract(abi=list(contract.abi), bytecode=contract.bytecode)
    account = sender.require_account()
    params: TxParams = {"from": account.address, "chainId": sender.chain_id}
    tx = dict(sender.rpc(lambda: factory.constructor(*arguments).build_transaction(params)))
    return sender.send_deploy(tx)


def _deployed(
    sender: Transactor, name: str, tx_hash: TxHash, contract: CompiledContract
) -> DeployedContract:
    receipt = sender.wait_receipt(tx_hash)
    address = receipt.get("contractAddress")
    if receipt["status"] != 1 or not address:
        raise DeploymentError(f"deploying {name} failed in transaction {tx_hash}")
    return DeployedContract(
        name, Address(address), receipt["blockNumber"], tx_hash, contract.source_hash
    )


def _grant_all(
    w3: Web3,
    admin: LocalAccount,
    deployed: Mapping[str, DeployedContract],
    wanted: Mapping[str, Sequence[Address]],
    compiled: Mapping[str, CompiledContract],
    confirmations: int,
    timeout: float,
) -> dict[str, dict[str, tuple[Address, ...]]]:
    roles: dict[str, dict[str, tuple[Address, ...]]] = {}
    pending: list[tuple[RegistryClient, TxHash]] = []
    for name, contract in deployed.items():
        client = _CLIENTS[name](
            w3,
            contract.address,
            admin,
            confirmations=confirmations,
            timeout=timeout,
            artifact=compiled[name],
        )
        declared = _declared_roles(compiled[name])
        granted = {role: tuple(accounts) for role, accounts in wanted.items() if role in declared}
        roles[name] = granted
        for role, accounts in granted.items():
            pending.extend((client, client.send_grant_role(role, a)) for a in accounts)
    for client, tx_hash in pending:
        client.wait_for_receipt(tx_hash)
    return roles


class _Outdated(ValueError):
    """A deployment file written before one of today's registries existed."""


def _from_json(data: Mapping[str, Any]) -> Deployment:
    if data.get("format") != _FORMAT:
        raise ValueError(f"unsupported format {data.get('format')!r}")
    contracts = {
        name: DeployedContract(
            name=name,
            address=_convert.address(entry["address"]),
            block_number=int(entry["blockNumber"]),
            tx_hash=TxHash(str(entry["txHash"])),
            source_hash=str(entry["sourceHash"]),
        )
        for name, entry in data["contracts"].items()
    }
    missing = set(CONTRACT_NAMES) - set(contracts)
    if missing:
        raise _Outdated(
            f"has no {', '.join(sorted(missing))}: it predates that registry; "
            "run `sandan deploy` to redeploy"
        )
    roles = {
        name: {role: tuple(_convert.address(a) for a in accounts) for role, accounts in per.items()}
        for name, per in data.get("roles", {}).items()
    }
    return Deployment(int(data["chainId"]), _convert.address(data["admin"]), contracts, roles)
