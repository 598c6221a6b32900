"""EIP-712 authorizations for TradeRegistry's ``...WithSig`` functions: typed data and signing.

Customs and banks keep their keys: they sign an ``Authorization`` off chain and anyone
relays it (:meth:`TradeRegistryClient.release_trades_with_sig` and the like). The typed data
:func:`authorization_typed_data` returns is what a wallet's ``eth_signTypedData_v4`` takes.

``subject`` names what is acted on: for a release, settlement or financing the
:func:`selection_subject` of a verdict batch's number, its root and the positions, so the
signature covers exactly those trades and the verdicts the root commits to; for a discharge
the :func:`discharge_subject` of the financing and the positions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils.crypto import keccak

from ledger_client import _convert
from ledger_client._convert import Bytes32Like, bytes32, mask_of
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
    "discharge_subject",
    "recover_authorization_signer",
    "selection_subject",
    "settlement_data",
    "sign_authorization",
]

#: ``EIP712("sandan TradeRegistry", "2")`` in the contract (version 2: batch-packed trades).
DOMAIN_NAME: Final = "sandan TradeRegistry"
DOMAIN_VERSION: Final = "2"
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
        {"name": "subject", "type": "bytes32"},
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
    REVOKE_RELEASE_POLICY = 5


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


def selection_subject(batch: int, root: Bytes32Like, positions: Iterable[int]) -> Bytes32:
    """``selectionSubject``: ``keccak256(abi.encode(uint64 batch, bytes32 root,
    keccak256(abi.encodePacked(uint256[] mask))))`` for the positions of verdict batch
    ``batch`` whose root is ``root``."""
    if isinstance(batch, bool) or not isinstance(batch, int) or not 0 <= batch < 2**64:
        raise ConfigurationError(f"batch must be a uint64, got {batch!r}")
    packed = b"".join(word.to_bytes(32, "big") for word in mask_of(positions))
    return Bytes32(keccak(batch.to_bytes(32, "big") + bytes32(root, "root") + keccak(packed)))


def discharge_subject(financing_id: int, positions: Iterable[int]) -> Bytes32:
    """``dischargeSubject``: ``keccak256(abi.encode(uint32 financingId,
    keccak256(abi.encodePacked(uint256[] mask))))``."""
    if isinstance(financing_id, bool) or not isinstance(financing_id, int):
        raise ConfigurationError(f"financing id must be a uint32, got {financing_id!r}")
    if not 0 <= financing_id < 2**32:
        raise ConfigurationError(f"financing id must be a uint32, got {financing_id!r}")
    packed = b"".join(word.to_bytes(32, "big") for word in mask_of(positions))
    return Bytes32(keccak(financing_id.to_bytes(32, "big") + keccak(packed)))


def settlement_data(references: Iterable[Bytes32Like]) -> Bytes32:
    """The ``data`` a settlement authorization signs: ``keccak256(abi.encodePacked(references))``
    of the references in position order."""
    return Bytes32(keccak(b"".join(bytes32(r, "settlement_ref") for r in references)))


def authorization_typed_data(
    action: AuthorizationAction | int,
    subject: Bytes32Like,
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
            "subject": "0x" + bytes32(subject, "subject").hex(),
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
