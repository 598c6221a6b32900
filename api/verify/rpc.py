"""Plain JSON-RPC reads for the offline verifiers, without web3.

``sandan verify`` and ``sandan verify-lot`` must start fast and trust nothing but
the node. This module sends batched JSON-RPC requests with the standard library
(one HTTP request per round of calls). It encodes and decodes the registries'
calls and events from the committed artifacts' ABIs (one source of truth with the
contracts) with the few ABI rules their views and events need: static words, static
tuples and arrays of them (importing ``eth_abi`` would cost a third of the start-up;
the tests check this codec against it). And it
tells a node that cannot be reached (:class:`ChainUnreachable`, retried with
backoff first) from a node that answered with an error (:class:`RpcError`, never
retried: a revert is an answer).
"""

from __future__ import annotations

import functools
import json
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from Crypto.Hash import keccak as _keccak

from traceability.limits import loads_bounded

__all__ = [
    "Call",
    "ChainUnreachable",
    "ContractAbi",
    "JsonRpc",
    "RpcError",
    "contract_abi",
]

#: HTTP statuses worth another try: the node or a proxy in front of it is busy.
_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
#: Biggest JSON-RPC answer read (a receipt with many logs stays far below).
_MAX_ANSWER_BYTES = 32 * 1024 * 1024


def keccak(data: bytes) -> bytes:
    """keccak-256 (Ethereum's, not SHA3-256)."""
    return _keccak.new(digest_bits=256, data=data).digest()


# --- the ABI rules of the registries' view functions -------------------------------------


def _split_tuple(kind: str) -> list[str]:
    """``(a,(b,c),d[])`` → ``["a", "(b,c)", "d[]"]``."""
    parts, depth, start = [], 0, 1
    for i, char in enumerate(kind[1:-1], start=1):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(kind[start:i])
            start = i + 1
    parts.append(kind[start:-1])
    return [p for p in parts if p]


def _is_dynamic(kind: str) -> bool:
    if kind.endswith("[]") or kind in ("bytes", "string"):
        return True
    return kind.startswith("(") and any(_is_dynamic(k) for k in _split_tuple(kind))


def _word(kind: str, value: Any) -> bytes:
    if kind == "bool":
        return int(bool(value)).to_bytes(32, "big")
    if kind == "address":
        raw = bytes.fromhex(str(value).removeprefix("0x"))
        if len(raw) != 20:
            raise ValueError(f"not an address: {value!r}")
        return raw.rjust(32, b"\0")
    if kind.startswith("uint"):
        number = int(value)
        if number < 0 or number >= 1 << int(kind[4:] or 256):
            raise ValueError(f"{value!r} does not fit {kind}")
        return number.to_bytes(32, "big")
    if kind.startswith("bytes") and kind[5:].isdigit():
        raw = bytes(value)
        if len(raw) != int(kind[5:]):
            raise ValueError(f"{kind} needs {kind[5:]} bytes, got {len(raw)}")
        return raw.ljust(32, b"\0")
    raise ValueError(f"ABI type {kind} is not used by the registries' views")


def encode(kinds: Sequence[str], values: Sequence[Any]) -> bytes:
    """The ABI encoding of ``values`` (static words, static tuples, arrays of either)."""
    heads: list[bytes] = []
    tails: list[bytes] = []
    # A static tuple sits in the head whole: the tails start after every head word.
    head_size = sum(32 if _is_dynamic(k) else _static_size(k) for k in kinds)
    for kind, value in zip(kinds, values, strict=True):
        if kind.endswith("[]"):
            element = kind[:-2]
            body = len(value).to_bytes(32, "big") + encode([element] * len(value), list(value))
            heads.append((head_size + sum(map(len, tails))).to_bytes(32, "big"))
            tails.append(body)
        elif kind.startswith("("):
            if _is_dynamic(kind):
                raise ValueError(f"dynamic tuple {kind} is not used by the registries' views")
            heads.append(encode(_split_tuple(kind), list(value)))
        else:
            heads.append(_word(kind, value))
    return b"".join(heads) + b"".join(tails)


def _word_at(data: bytes, offset: int) -> bytes:
    word = data[offset : offset + 32]
    if len(word) != 32:
        raise ValueError("the answer is shorter than its type")
    return word


def _static_size(kind: str) -> int:
    if kind.startswith("("):
        return sum(_static_size(part) for part in _split_tuple(kind))
    return 32


def _read_array(element: str, data: bytes, offset: int) -> tuple[Any, int]:
    """A top-level ``T[]`` of static ``T``: its head is the offset of its length and items."""
    start = int.from_bytes(_word_at(data, offset), "big")
    length = int.from_bytes(_word_at(data, start), "big")
    if (
        length * _static_size(element) > len(data) - start - 32
    ):  # checked before reading: a node may lie
        raise ValueError("the answer is shorter than its array's length")
    items, at = [], start + 32
    for _ in range(length):
        item, at = _read(element, data, at)
        items.append(item)
    return tuple(items), offset + 32


def _read(kind: str, data: bytes, offset: int) -> tuple[Any, int]:
    if kind.startswith("(") and not _is_dynamic(kind):
        values = []
        for part in _split_tuple(kind):
            item, offset = _read(part, data, offset)
            values.append(item)
        return tuple(values), offset
    if kind.endswith("[]") and not _is_dynamic(kind[:-2]):
        return _read_array(kind[:-2], data, offset)
    if _is_dynamic(kind):
        raise ValueError(f"dynamic result {kind} is not used by the registries' views")
    word = _word_at(data, offset)
    if kind == "bool":
        value: Any = word != bytes(32)
    elif kind == "address":
        value = "0x" + word[12:].hex()
    elif kind.startswith("uint"):
        value = int.from_bytes(word, "big")
    elif kind.startswith("bytes"):
        value = word[: int(kind[5:])]
    else:
        raise ValueError(f"ABI type {kind} is not used by the registries' views")
    return value, offset + 32


def decode(kinds: Sequence[str], data: bytes) -> tuple[Any, ...]:
    """The values of an ABI encoding of static words, static tuples and arrays of either
    (arrays only at the top level, as the registries' views and events use them)."""
    values, offset = [], 0
    for kind in kinds:
        value, offset = _read(kind, data, offset)
        values.append(value)
    return tuple(values)


class ChainUnreachable(Exception):
    """The node could not be asked (network, timeout, busy): nothing was concluded."""


class RpcError(Exception):
    """The node answered a call with an error (a revert, an unknown method...)."""

    def __init__(self, method: str, error: Mapping[str, Any]) -> None:
        self.method = method
        self.code = error.get("code")
        self.data = error.get("data")
        super().__init__(f"{method}: {error.get('message', error)}")


@dataclass(frozen=True)
class Call:
    """One JSON-RPC call of a batch."""

    method: str
    params: list[Any]


#: Sends one JSON-RPC request body (an object or a batch array) and returns the answer.
Transport = Callable[[object], Any]


@dataclass
class JsonRpc:
    """A JSON-RPC endpoint asked in batches; counts the calls it made, by method.

    The endpoint is an ``http(s)://`` URL, or any ``transport`` (an in-process chain in
    tests and the demo).
    """

    url: str
    timeout: float = 10.0
    attempts: int = 4
    backoff: float = 0.25
    transport: Transport | None = None
    counts: Counter[str] = field(default_factory=Counter)
    _next_id: int = 0

    def __post_init__(self) -> None:
        if self.transport is None and not self.url.startswith(("http://", "https://")):
            raise ChainUnreachable(f"{self.url!r} is not an http:// or https:// JSON-RPC URL")

    def request(self, method: str, params: Sequence[Any]) -> Any:
        """One call's result."""
        return self.batch([Call(method, list(params))])[0]

    def batch(self, calls: Sequence[Call]) -> list[Any]:
        """The results of ``calls``, in order, from one HTTP request.

        Raises :class:`RpcError` for the first call the node answered with an error.
        """
        if not calls:
            return []
        first = self._next_id
        self._next_id += len(calls)
        body = [
            {"jsonrpc": "2.0", "id": first + i, "method": c.method, "params": c.params}
            for i, c in enumerate(calls)
        ]
        send = self.transport or self._post
        answers = send(body if len(body) > 1 else body[0])
        if isinstance(answers, dict):
            answers = [answers]
        if not isinstance(answers, list):
            raise ChainUnreachable(f"{self.url} answered something that is not JSON-RPC")
        by_id = {a.get("id"): a for a in answers if isinstance(a, dict)}
        results = []
        for i, c in enumerate(calls):
            self.counts[c.method] += 1
            answer = by_id.get(first + i)
            if answer is None:
                raise ChainUnreachable(f"{self.url} left call {c.method} unanswered")
            if answer.get("error") is not None:
                raise RpcError(c.method, answer["error"])
            results.append(answer.get("result"))
        return results

    def _post(self, body: object) -> Any:
        data = json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 (http(s) only: see __post_init__)
            self.url, data=data, headers={"Content-Type": "application/json"}, method="POST"
        )
        failure = "no attempt made"
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (the user names the node)
                    return loads_bounded(response.read(_MAX_ANSWER_BYTES))
            except urllib.error.HTTPError as exc:
                failure = f"HTTP {exc.code}"
                if exc.code not in _RETRY_STATUSES:
                    break
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
                failure = str(getattr(exc, "reason", exc))
            except ValueError as exc:  # a proxy's HTML error page, half an answer
                failure = f"not JSON: {exc}"
        raise ChainUnreachable(f"cannot reach the chain at {self.url}: {failure}")


def _type_of(entry: Mapping[str, Any]) -> str:
    """The canonical ABI type of a parameter (tuples spelled out)."""
    kind = str(entry["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_type_of(c) for c in entry["components"])
        return f"({inner}){kind.removeprefix('tuple')}"
    return kind


def _named(entry: Mapping[str, Any], value: Any) -> Any:
    """A decoded value with struct components as dicts keyed by their Solidity names."""
    kind = str(entry["type"])
    if kind == "tuple":
        return {c["name"]: _named(c, v) for c, v in zip(entry["components"], value, strict=True)}
    if kind.startswith("tuple["):
        element = {**entry, "type": "tuple"}
        return [_named(element, v) for v in value]
    return value


@dataclass(frozen=True)
class _Function:
    name: str
    inputs: tuple[Mapping[str, Any], ...]
    outputs: tuple[Mapping[str, Any], ...]

    @functools.cached_property
    def selector(self) -> bytes:
        signature = f"{self.name}({','.join(_type_of(i) for i in self.inputs)})"
        return keccak(signature.encode())[:4]


@dataclass(frozen=True)
class ContractAbi:
    """The view functions and event topics of one registry, from its artifact's ABI."""

    name: str
    functions: Mapping[str, _Function]
    topics: Mapping[str, bytes]
    events: Mapping[str, tuple[Mapping[str, Any], ...]]  # each event's inputs

    def call(self, address: str, function: str, *args: Any, block: int | str = "latest") -> Call:
        """An ``eth_call`` of ``function(*args)`` at ``address``, as of ``block``."""
        fn = self.functions[function]
        data = fn.selector + encode([_type_of(i) for i in fn.inputs], list(args))
        tag = hex(block) if isinstance(block, int) else block
        return Call("eth_call", [{"to": address, "data": "0x" + data.hex()}, tag])

    def decode(self, function: str, result: str) -> Any:
        """The decoded result of ``function``: its only output, or a tuple of them."""
        fn = self.functions[function]
        raw = bytes.fromhex(str(result).removeprefix("0x"))
        values = decode([_type_of(o) for o in fn.outputs], raw)
        named = [_named(o, v) for o, v in zip(fn.outputs, values, strict=True)]
        return named[0] if len(named) == 1 else tuple(named)

    def topic(self, event: str) -> str:
        """``topic0`` of ``event`` as 0x-hex."""
        return "0x" + self.topics[event].hex()

    def decode_log(self, event: str, log: Mapping[str, Any]) -> dict[str, Any] | None:
        """The arguments of ``log`` by name when it is an ``event`` (of any emitter: the
        caller checks the address), else None; a log that does not decode is not one."""
        inputs = self.events[event]
        indexed = [i for i in inputs if i.get("indexed")]
        plain = [i for i in inputs if not i.get("indexed")]
        topics = [str(t).lower() for t in log.get("topics") or []]
        if topics[:1] != [self.topic(event)] or len(topics) != 1 + len(indexed):
            return None
        try:
            values = {
                i["name"]: _read(_type_of(i), bytes.fromhex(t.removeprefix("0x")), 0)[0]
                for i, t in zip(indexed, topics[1:], strict=True)
            }
            data = bytes.fromhex(str(log.get("data") or "0x").removeprefix("0x"))
            decoded = decode([_type_of(i) for i in plain], data)
        except ValueError:
            return None
        values.update((i["name"], v) for i, v in zip(plain, decoded, strict=True))
        return values


@functools.cache
def contract_abi(name: str) -> ContractAbi:
    """The ABI of registry ``name`` (``TradeRegistry``, ``TraceRegistry``, ``PartyRegistry``)."""
    import ledger_client  # the package is lazy: this only finds its folder

    path = Path(ledger_client.__file__).parent / "artifacts" / f"{name}.json"
    entries = json.loads(path.read_text(encoding="utf-8"))["abi"]
    functions = {
        e["name"]: _Function(e["name"], tuple(e["inputs"]), tuple(e["outputs"]))
        for e in entries
        if e["type"] == "function"
    }
    events = {e["name"]: tuple(e["inputs"]) for e in entries if e["type"] == "event"}
    topics = {
        event: keccak(f"{event}({','.join(_type_of(i) for i in inputs)})".encode())
        for event, inputs in events.items()
    }
    return ContractAbi(name, functions, topics, events)
