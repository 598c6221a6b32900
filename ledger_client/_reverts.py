"""Turn a revert, however the backend reports it, into ``ContractReverted(name, args)``.

JSON-RPC nodes hand web3 the revert data, which it raises as ``ContractCustomError``;
eth-tester reports it as the ``repr`` of a bytes object inside a message. Both end up
as raw revert bytes, decoded here against the contract ABI (custom errors, including
OpenZeppelin's inherited ones, plus the built-in ``Error(string)`` and ``Panic(uint256)``).

Where the bytes sit in a node's JSON-RPC error differs by node, and web3 passes on
whatever it got as ``exc.data`` (or, for a refused ``eth_sendRawTransaction``, only as
``rpc_response``). The shapes read here:

* ``"0x…"`` (anvil, geth, Hardhat's ``eth_call``);
* ``{"message": …, "data": "0x…"}`` and deeper ``data.data`` (Hardhat 2, providers that wrap);
* ``{"hash", "programCounter", "result": "0x…", "reason", "message"}`` (Ganache's
  ``eth_estimateGas``), and ``{"<tx hash>": {… "return": "0x…"}}`` (Ganache 6);
* ``"Reverted 0x…"`` (OpenEthereum/Nethermind) and a message ending in
  ``(return data: 0x…)`` (Hardhat's refused ``eth_sendRawTransaction``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from web3.exceptions import ContractLogicError, Web3RPCError

from ledger_client.errors import ContractReverted

__all__ = ["RevertDecoder", "is_revert", "revert_data_of", "to_python"]

_REVERTED_PREFIX = "execution reverted: "
_HEX_DATA = re.compile(r"(?:Reverted )?(0x(?:[0-9a-fA-F]{2})*)")
_RETURN_DATA = re.compile(r"return data: (0x(?:[0-9a-fA-F]{2})*)\)")
#: Where nodes nest the revert bytes in an error's ``data``; "return" is Ganache 6's.
_DATA_KEYS = ("data", "result", "return", "originalError", "error")
#: A node's JSON-RPC error code for "execution reverted" (EIP-1474 / geth, Hardhat).
_REVERT_CODE = 3
_MAX_DEPTH = 4


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


def is_revert(exc: BaseException) -> bool:
    """Tell whether ``exc`` is a contract refusal (with or without decodable data)."""
    if isinstance(exc, ContractLogicError):
        return True
    kind = type(exc)
    if kind.__name__ == "TransactionFailed" and kind.__module__.startswith("eth_tester"):
        return True
    return isinstance(exc, Web3RPCError) and revert_data_of(exc) is not None


def revert_data_of(exc: BaseException) -> bytes | None:
    """Return the raw revert data carried by a web3 or eth-tester exception, if any."""
    if isinstance(exc, ContractLogicError):
        found = _nested_data(exc.data)
        if found is not None:
            return found
        return _from_message(str(exc.message or exc))
    if isinstance(exc, Web3RPCError):
        return _rpc_revert_data(exc)
    if type(exc).__name__ == "TransactionFailed" and type(exc).__module__.startswith("eth_tester"):
        return _from_message(str(exc.args[0]) if exc.args else "")
    return None


def _rpc_revert_data(exc: Web3RPCError) -> bytes | None:
    """The revert bytes of a JSON-RPC error that says it reverted (a refused send)."""
    error = exc.rpc_response.get("error") if exc.rpc_response else None
    if not isinstance(error, Mapping):
        return None
    message = str(error.get("message", ""))
    if error.get("code") != _REVERT_CODE and "revert" not in message.lower():
        return None  # "data" of another error (nonce, funds) is not revert data
    found = _nested_data(error.get("data"))
    if found is None and (match := _RETURN_DATA.search(message)):
        found = bytes(HexBytes(match.group(1)))
    return found


def _nested_data(value: Any, depth: int = 0) -> bytes | None:
    """Find revert bytes in an error's ``data``, however deep a node nested them."""
    if isinstance(value, str):
        match = _HEX_DATA.fullmatch(value.strip())
        return bytes(HexBytes(match.group(1))) if match else None
    if not isinstance(value, Mapping) or depth >= _MAX_DEPTH:
        return None
    for key in _DATA_KEYS:
        found = _nested_data(value.get(key), depth + 1)
        if found is not None:
            return found
    if len(value) == 1:  # Ganache 6: {"<transaction hash>": {"return": "0x…", …}}
        (only,) = value.values()
        return _nested_data(only, depth + 1) if isinstance(only, Mapping) else None
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
