"""Turn a revert, however the backend reports it, into ``ContractReverted(name, args)``.

JSON-RPC nodes hand web3 the revert data, which it raises as ``ContractCustomError``;
eth-tester reports it as the ``repr`` of a bytes object inside a message. Both end up
as raw revert bytes, decoded here against the contract ABI (custom errors, including
OpenZeppelin's inherited ones, plus the built-in ``Error(string)`` and ``Panic(uint256)``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from web3.exceptions import ContractLogicError

from ledger_client.errors import ContractReverted

__all__ = ["RevertDecoder", "revert_data_of", "to_python"]

_REVERTED_PREFIX = "execution reverted: "


class RevertDecoder:
    """Decode revert data against the errors of one or more ABIs."""

    def __init__(self, abis: Iterable[Iterable[Mapping[str, Any]]]):
        self._errors: dict[bytes, tuple[str, list[str]]] = {
            function_signature_to_4byte_selector("Error(string)"): ("Error", ["string"]),
            function_signature_to_4byte_selector("Panic(uint256)"): ("Panic", ["uint256"]),
        }
        for abi in abis:
            for item in abi:
                if item.get("type") == "error":
                    types = [_abi_type(i) for i in item.get("inputs", [])]
                    selector = function_signature_to_4byte_selector(
                        f"{item['name']}({','.join(types)})"
                    )
                    self._errors[selector] = (item["name"], types)

    def decode(self, data: bytes, *, tx_hash: str | None = None) -> ContractReverted:
        """Return the ContractReverted that ``data`` encodes (``UnknownError`` if foreign)."""
        if len(data) < 4:
            return ContractReverted(
                "EmptyRevert" if not data else "UnknownError", (data,), tx_hash=tx_hash
            )
        known = self._errors.get(data[:4])
        if known is None:
            return ContractReverted("UnknownError", (data,), tx_hash=tx_hash)
        name, types = known
        try:
            values = abi_decode(types, data[4:])
        except DecodingError:
            return ContractReverted("UnknownError", (data,), tx_hash=tx_hash)
        args = tuple(to_python(t, v) for t, v in zip(types, values, strict=True))
        return ContractReverted(name, args, tx_hash=tx_hash)


def revert_data_of(exc: BaseException) -> bytes | None:
    """Return the raw revert data carried by a web3 or eth-tester exception, if any."""
    if isinstance(exc, ContractLogicError):
        data = exc.data
        if isinstance(data, str) and data.startswith("0x"):
            return bytes(HexBytes(data))
        return _from_message(str(exc.message or exc))
    if type(exc).__name__ == "TransactionFailed" and type(exc).__module__.startswith("eth_tester"):
        return _from_message(str(exc.args[0]) if exc.args else "")
    return None


def _from_message(message: str) -> bytes | None:
    """eth-tester writes ``execution reverted: b'...'``; an empty revert reads ``b''``."""
    text = message.removeprefix(_REVERTED_PREFIX).strip()
    if text.startswith(("b'", 'b"')):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return None
        return value if isinstance(value, bytes) else None
    return None


def to_python(abi_type: str, value: Any) -> Any:
    """Convert a decoded ABI value: bytesN → bytes, address → checksummed str."""
    if abi_type.endswith("]"):
        inner = abi_type[: abi_type.rindex("[")]
        return tuple(to_python(inner, v) for v in value)
    if abi_type == "address":
        return to_checksum_address(value)
    if abi_type.startswith("bytes"):
        return bytes(value)
    return value


def _abi_type(item: Mapping[str, Any]) -> str:
    kind = str(item["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in item.get("components", []))
        return f"({inner}){kind[len('tuple') :]}"
    return kind
