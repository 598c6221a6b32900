"""Errors raised by the ledger client.

Every error derives from :class:`LedgerError`::

    LedgerError
    ├── ConfigurationError (ValueError)
    ├── CompilationError
    │   └── ArtifactsError
    ├── ProviderError
    ├── EmbeddedNodeError
    ├── DeploymentError
    ├── ContractReverted
    ├── TransactionError
    │   ├── TransactionFailed
    │   └── ReceiptTimeout
    └── AnchorNotFound (LookupError)

``ProviderError`` means "cannot reach the chain, try again"; ``ContractReverted`` and
``AnchorNotFound`` mean the chain answered and said no. Callers keep them apart.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AnchorNotFound",
    "ArtifactsError",
    "CompilationError",
    "ConfigurationError",
    "ContractReverted",
    "DeploymentError",
    "EmbeddedNodeError",
    "LedgerError",
    "ProviderError",
    "ReceiptTimeout",
    "TransactionError",
    "TransactionFailed",
]


class LedgerError(Exception):
    """Base class of every error raised by ``ledger_client``."""


class ConfigurationError(LedgerError, ValueError):
    """Raised when a setting or an argument cannot be used (bad URL, wrong key, bad role)."""


class CompilationError(LedgerError):
    """Raised when no pinned compiler is available or the Solidity sources do not compile."""


class ArtifactsError(CompilationError):
    """Raised when the committed contract artifacts are missing, unreadable or out of date."""


class ProviderError(LedgerError):
    """Raised when the chain cannot be reached (bad scheme, node down, retries exhausted)."""


class EmbeddedNodeError(LedgerError):
    """Raised when the embedded anvil node cannot be found, started or stopped."""


class DeploymentError(LedgerError):
    """Raised when a deployment file is missing, malformed or does not match the chain."""


class ContractReverted(LedgerError):
    """Raised when a contract call or transaction reverts; carries the decoded custom error."""

    def __init__(self, error_name: str, args: tuple[Any, ...] = (), *, tx_hash: str | None = None):
        super().__init__(error_name, tuple(args))
        self.error_name = error_name
        # ``args`` keeps the revert's arguments (not the constructor's), as tests and
        # callers read ``exc.args`` the way OpenZeppelin's ``withArgs`` does.
        self.args = tuple(args)
        self.tx_hash = tx_hash

    def __str__(self) -> str:
        shown = ", ".join(_show(arg) for arg in self.args)
        where = f" (transaction {self.tx_hash})" if self.tx_hash else ""
        return f"{self.error_name}({shown}){where}"

    def __repr__(self) -> str:
        return f"ContractReverted({self.error_name!r}, {self.args!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_reverted, (self.error_name, self.args, self.tx_hash))


class TransactionError(LedgerError):
    """Raised when a sent transaction cannot be confirmed."""


class TransactionFailed(TransactionError):
    """Raised when a mined transaction failed and no revert reason could be decoded."""


class InsufficientFunds(TransactionError):
    """Raised when the sending account cannot pay for a transaction's gas (and value)."""

    def __init__(self, address: str, detail: str):
        super().__init__(f"account {address} has too little ether to pay for gas: {detail}")
        self.address = address


class ReceiptTimeout(TransactionError):
    """Raised when a transaction is not mined (or not confirmed enough) in time."""


class AnchorNotFound(LedgerError, LookupError):
    """Raised when a Merkle root (or a proof's computed root) was never anchored."""


def _show(value: object) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value)


def _rebuild_reverted(
    error_name: str, args: tuple[Any, ...], tx_hash: str | None
) -> ContractReverted:
    return ContractReverted(error_name, args, tx_hash=tx_hash)
