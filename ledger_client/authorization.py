"""EIP-712 authorizations for TradeRegistry's ``...WithSig`` functions: typed data and signing.

Customs and banks keep their keys: they sign an ``Authorization`` off chain and anyone
relays it (:meth:`TradeRegistryClient.release_with_sig` and the like). The typed data
:func:`authorization_typed_data` returns is what a wallet's ``eth_signTypedData_v4`` takes.

``tradesRoot`` is the StandardMerkleTree root of the trade ids (the leaf hash for one
trade). Building that tree is the domain's job (``traceability.merkle``), so it arrives
here as 32 bytes, like every hash that crosses between the two packages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils.crypto import keccak

from ledger_client import _convert
from ledger_client._convert import Bytes32Like, bytes32
from ledger_client.errors import ConfigurationError
from ledger_client.types import Address, Bytes32

__all__ = [
    "AUTHORIZATION_TYPES",
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "AuthorizationAction",
    "Signature",
    "authorization_digest",
    "authorization_typed_data",
    "recover_authorization_signer",
    "sign_authorization",
]

#: ``EIP712("sandan TradeRegistry", "1")`` in the contract.
DOMAIN_NAME: Final = "sandan TradeRegistry"
DOMAIN_VERSION: Final = "1"
#: The EIP-712 types, as ``eth_signTypedData_v4`` wants them (the domain type included).
AUTHORIZATION_TYPES: Final[Mapping[str, tuple[Mapping[str, str], ...]]] = {
    "EIP712Domain": (
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ),
    "Authorization": (
        {"name": "action", "type": "uint8"},
        {"name": "tradesRoot", "type": "bytes32"},
        {"name": "data", "type": "bytes32"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ),
}
_UINT256_MAX = 2**256 - 1


class AuthorizationAction(IntEnum):
    """Mirror of ``ITradeRegistry.AuthorizationAction``."""

    RELEASE = 1
    CONFIRM_SETTLEMENT = 2
    REGISTER_FINANCING = 3
    DISCHARGE_FINANCING = 4


@dataclass(frozen=True)
class Signature:
    """A signed authorization: who signed, the EIP-712 digest, and the 65-byte signature."""

    signer: Address
    digest: Bytes32
    signature: bytes

    @property
    def hex(self) -> str:
        """The signature as ``0x`` hex (r ‖ s ‖ v), as wallets return it."""
        return "0x" + self.signature.hex()


def authorization_typed_data(
    action: AuthorizationAction | int,
    trades_root: Bytes32Like,
    data: Bytes32Like,
    nonce: int,
    deadline: int,
    chain_id: int,
    verifying_contract: str,
) -> dict[str, Any]:
    """The full EIP-712 JSON (domain, types, primaryType, message) of one authorization."""
    return {
        "types": {
            name: [dict(field) for field in fields] for name, fields in AUTHORIZATION_TYPES.items()
        },
        "primaryType": "Authorization",
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": _uint256(chain_id, "chain_id"),
            "verifyingContract": _convert.address(verifying_contract, "verifying_contract"),
        },
        "message": {
            "action": _action(action),
            "tradesRoot": "0x" + bytes32(trades_root, "trades_root").hex(),
            "data": "0x" + bytes32(data, "data").hex(),
            "nonce": _uint256(nonce, "nonce"),
            "deadline": _uint256(deadline, "deadline"),
        },
    }


def authorization_digest(typed_data: Mapping[str, Any]) -> Bytes32:
    """The EIP-712 digest of ``typed_data``: what the contract recovers the signer from."""
    signable = _signable(typed_data)
    # EIP-191 version 0x01: 0x19 0x01 ‖ domain separator ‖ struct hash.
    return Bytes32(keccak(b"\x19" + signable.version + signable.header + signable.body))


def sign_authorization(typed_data: Mapping[str, Any], private_key: str | bytes) -> Signature:
    """Sign ``typed_data`` with a secp256k1 private key, as ``eth_signTypedData_v4`` would."""
    try:
        account = Account.from_key(private_key)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError("private key is not a 32-byte secp256k1 key") from exc
    signed = account.sign_message(_signable(typed_data))
    return Signature(
        Address(account.address), Bytes32(bytes(signed.message_hash)), bytes(signed.signature)
    )


def recover_authorization_signer(typed_data: Mapping[str, Any], signature: bytes | str) -> Address:
    """The address that made ``signature`` over ``typed_data``."""
    raw = bytes.fromhex(signature.removeprefix("0x")) if isinstance(signature, str) else signature
    return _convert.address(Account.recover_message(_signable(typed_data), signature=raw))


def _signable(typed_data: Mapping[str, Any]) -> SignableMessage:
    try:
        return encode_typed_data(full_message=dict(typed_data))
    except (ValueError, TypeError, KeyError) as exc:
        raise ConfigurationError(f"not EIP-712 typed data: {exc}") from exc


def _action(action: AuthorizationAction | int) -> int:
    try:
        return int(AuthorizationAction(action))
    except ValueError as exc:
        raise ConfigurationError(f"unknown authorization action {action!r}") from exc


def _uint256(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _UINT256_MAX:
        raise ConfigurationError(f"{name} must be a uint256, got {value!r}")
    return value
