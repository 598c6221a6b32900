"""Check and convert arguments at the client boundary."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from eth_typing import ChecksumAddress, HexAddress, HexStr
from eth_utils.address import is_address, to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from ledger_client.errors import ConfigurationError
from ledger_client.types import Address, Bytes32

__all__ = ["ZERO32", "address", "bytes32", "bytes32_list", "optional32", "role_id"]

ZERO32 = Bytes32(b"\0" * 32)
DEFAULT_ADMIN_ROLE = "DEFAULT_ADMIN_ROLE"

Bytes32Like = bytes | str


def bytes32(value: Bytes32Like, name: str = "value") -> Bytes32:
    """Accept 32 raw bytes or a 0x-prefixed 64-digit hex string."""
    if isinstance(value, str):
        try:
            value = bytes(HexBytes(value))
        except ValueError as exc:
            raise ConfigurationError(f"{name} is not hex: {value!r}") from exc
    if not isinstance(value, bytes | bytearray) or len(value) != 32:
        raise ConfigurationError(f"{name} must be 32 bytes, got {len(value)}")
    return Bytes32(bytes(value))


def bytes32_list(values: Sequence[Bytes32Like], name: str = "values") -> list[Bytes32]:
    """Convert each element with :func:`bytes32`."""
    return [bytes32(v, f"{name}[{i}]") for i, v in enumerate(values)]


def optional32(value: bytes) -> Bytes32 | None:
    """Map the all-zero word the contracts use for "none" to None."""
    return None if value == ZERO32 else Bytes32(bytes(value))


def address(value: str, name: str = "address") -> Address:
    """Accept any 0x address spelling and return it checksummed."""
    if not is_address(value):
        raise ConfigurationError(f"{name} is not an address: {value!r}")
    return Address(to_checksum_address(value))


def optional_address(value: str) -> Address | None:
    """Map the zero address the contracts use for "none" to None."""
    return None if int(value, 16) == 0 else Address(to_checksum_address(value))


def role_id(role: str | bytes) -> Bytes32:
    """Return a role id: ``keccak256(name)``, zero for ``DEFAULT_ADMIN_ROLE``, or the bytes."""
    if isinstance(role, bytes):
        return bytes32(role, "role")
    if role == DEFAULT_ADMIN_ROLE:
        return ZERO32
    if role.startswith("0x"):
        return bytes32(role, "role")
    return Bytes32(keccak(text=role))


def checksum(value: str) -> ChecksumAddress:
    """Return ``value`` as web3's ``ChecksumAddress`` type."""
    return ChecksumAddress(HexAddress(HexStr(address(value))))


def mask_of(positions: Iterable[int]) -> list[int]:
    """The registry's word-array bitmask of ``positions``: bit ``i`` of word ``w`` selects
    position ``256 * w + i``; as many words as the highest position needs."""
    words: list[int] = []
    for position in positions:
        if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < 2**32:
            raise ConfigurationError(f"position must be an integer in [0, 2**32), got {position!r}")
        word, bit = divmod(position, 256)
        if word >= len(words):
            words.extend([0] * (word + 1 - len(words)))
        words[word] |= 1 << bit
    return words
