"""What both registry clients share: transactions, receipts, events and AccessControl."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, ClassVar, TypeVar

from eth_typing import ChecksumAddress, HexAddress, HexStr

from ledger_client import _convert
from ledger_client._retry import RetryPolicy
from ledger_client._transact import Transactor
from ledger_client.compile import load_artifacts
from ledger_client.events import ContractEvent
from ledger_client.types import Address, CompiledContract, TxHash, TxResult

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3 import Web3
    from web3.types import FilterParams, LogReceipt

__all__ = ["RegistryClient", "packaged_artifact"]

_LOG_CHUNK = 5_000
E = TypeVar("E")


@functools.cache
def packaged_artifact(name: str) -> CompiledContract:
    """Return the committed artifact of contract ``name`` (read once per process)."""
    return load_artifacts()[name]


class RegistryClient:
    """A typed client of one deployed registry; subclasses add the contract's functions."""

    contract_name: ClassVar[str]

    def __init__(
        self,
        w3: Web3,
        address: str,
        account: LocalAccount | None = None,
        *,
        confirmations: int = 1,
        timeout: float = 120.0,
        retry: RetryPolicy | None = None,
        artifact: CompiledContract | None = None,
    ):
        abi = (artifact or packaged_artifact(self.contract_name)).abi
        checksummed = ChecksumAddress(HexAddress(HexStr(_convert.address(address))))
        contract = w3.eth.contract(address=checksummed, abi=list(abi))
        self._tx = Transactor(
            w3, contract, account, confirmations=confirmations, timeout=timeout, policy=retry
        )
        self._contract = contract
        self._fn = contract.functions

    @property
    def address(self) -> Address:
        """The registry's checksummed address."""
        return Address(self._contract.address)

    @property
    def account(self) -> LocalAccount | None:
        """The account that signs this client's transactions."""
        return self._tx.account

    @property
    def role_names(self) -> tuple[str, ...]:
        """The ``*_ROLE`` constants the contract declares, plus ``DEFAULT_ADMIN_ROLE``."""
        names = [
            str(item.get("name"))
            for item in self._contract.abi
            if item.get("type") == "function" and str(item.get("name", "")).endswith("_ROLE")
        ]
        return tuple(sorted(names))

    def wait_for_receipt(
        self, tx_hash: str, confirmations: int | None = None, *, timeout: float | None = None
    ) -> TxResult:
        """Wait for ``tx_hash`` to be mined and confirmed; decode its events or its revert."""
        return self._tx.wait(tx_hash, confirmations, timeout)

    def confirmations_of(self, tx_hash: str) -> int | None:
        """Return the confirmations of ``tx_hash``, or None if the chain does not know it."""
        return self._tx.confirmations_of(tx_hash)

    def result_of(self, tx_hash: str) -> TxResult | None:
        """Return the mined result of ``tx_hash`` without waiting, or None if not mined."""
        return self._tx.result_of(tx_hash)

    def events(self, from_block: int, to_block: int | None = None) -> tuple[ContractEvent, ...]:
        """Return this registry's events in ``[from_block, to_block]`` (to the head by default)."""
        return self._query(from_block, to_block, None)

    def find_events(
        self, kind: type[E], from_block: int, to_block: int | None = None, **where: object
    ) -> tuple[E, ...]:
        """Return the ``kind`` events in ``[from_block, to_block]`` whose indexed arguments
        equal ``where`` (snake_case names, e.g. ``root=...``), oldest first.

        Each record's ``log`` says where it was found: transaction, block number and hash.
        """
        topics = self._tx.events.topics_for(kind, where)
        return tuple(e for e in self._query(from_block, to_block, topics) if isinstance(e, kind))

    def _query(
        self, from_block: int, to_block: int | None, topics: list[HexStr | None] | None
    ) -> tuple[ContractEvent, ...]:
        w3 = self._tx.w3
        last = to_block if to_block is not None else self._tx.rpc(lambda: w3.eth.block_number)
        found: list[ContractEvent] = []
        for start in range(from_block, last + 1, _LOG_CHUNK):
            end = min(start + _LOG_CHUNK - 1, last)
            logs = self._tx.rpc(functools.partial(self._logs, start, end, topics))
            found.extend(self._tx.events.decode_logs(logs))
        return tuple(found)

    def _logs(self, start: int, end: int, topics: list[HexStr | None] | None) -> list[LogReceipt]:
        target = ChecksumAddress(HexAddress(HexStr(self.address)))
        query: FilterParams = {"address": target, "fromBlock": start, "toBlock": end}
        if topics is not None:
            query["topics"] = topics
        return list(self._tx.w3.eth.get_logs(query))

    # AccessControl -----------------------------------------------------------

    def has_role(self, role: str | bytes, account: str) -> bool:
        """Tell whether ``account`` holds ``role`` (a name such as ``"ANCHORER_ROLE"`` or an id)."""
        return bool(
            self._tx.call(self._fn.hasRole(_convert.role_id(role), _convert.address(account)))
        )

    def get_role_admin(self, role: str | bytes) -> bytes:
        """Return the id of the role that administers ``role``."""
        return bytes(self._tx.call(self._fn.getRoleAdmin(_convert.role_id(role))))

    def supports_interface(self, interface_id: bytes) -> bool:
        """ERC-165: tell whether the contract implements ``interface_id``."""
        return bool(self._tx.call(self._fn.supportsInterface(interface_id)))

    def send_grant_role(self, role: str | bytes, account: str, *, gas: int | None = None) -> TxHash:
        """Send ``grantRole``; return the transaction hash without waiting."""
        fn = self._fn.grantRole(_convert.role_id(role), _convert.address(account))
        return self._tx.send(fn, gas=gas)

    def grant_role(self, role: str | bytes, account: str) -> TxResult:
        """Grant ``role`` to ``account`` (caller must administer the role)."""
        return self.wait_for_receipt(self.send_grant_role(role, account))

    def send_revoke_role(
        self, role: str | bytes, account: str, *, gas: int | None = None
    ) -> TxHash:
        """Send ``revokeRole``; return the transaction hash without waiting."""
        fn = self._fn.revokeRole(_convert.role_id(role), _convert.address(account))
        return self._tx.send(fn, gas=gas)

    def revoke_role(self, role: str | bytes, account: str) -> TxResult:
        """Revoke ``role`` from ``account`` (caller must administer the role)."""
        return self.wait_for_receipt(self.send_revoke_role(role, account))

    def renounce_role(self, role: str | bytes) -> TxResult:
        """Give up ``role`` held by this client's own account."""
        own = self._tx.require_account().address
        fn = self._fn.renounceRole(_convert.role_id(role), own)
        return self.wait_for_receipt(self._tx.send(fn))
