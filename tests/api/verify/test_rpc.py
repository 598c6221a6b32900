"""The verifier's own ABI codec agrees with eth_abi (the test oracle) on the registries' views."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from eth_abi import decode as oracle_decode
from eth_abi import encode as oracle_encode

import ledger_client
from api.verify import rpc

ARTIFACTS = Path(ledger_client.__file__).parent / "artifacts"


def _views() -> list[tuple[str, str, list[str], list[str]]]:
    found = []
    for name in ("TradeRegistry", "TraceRegistry", "PartyRegistry"):
        abi = json.loads((ARTIFACTS / f"{name}.json").read_text(encoding="utf-8"))["abi"]
        for entry in abi:
            if entry["type"] == "function" and entry["stateMutability"] == "view":
                inputs = [rpc._type_of(i) for i in entry["inputs"]]
                outputs = [rpc._type_of(o) for o in entry["outputs"]]
                if not any(rpc._is_dynamic(t) for t in outputs):
                    found.append((name, entry["name"], inputs, outputs))
    return found


def _value(kind: str, rng: random.Random) -> object:
    if kind.endswith("[]"):
        return [_value(kind[:-2], rng) for _ in range(rng.randint(0, 5))]
    if kind.startswith("("):
        return tuple(_value(k, rng) for k in rpc._split_tuple(kind))
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "address":
        return "0x" + rng.randbytes(20).hex()
    if kind.startswith("uint"):
        return rng.randrange(2 ** int(kind[4:] or 256))
    return rng.randbytes(int(kind[5:]))


@pytest.mark.parametrize(("contract", "function", "inputs", "outputs"), _views())
def test_calls_and_answers_match_eth_abi(
    contract: str, function: str, inputs: list[str], outputs: list[str]
) -> None:
    rng = random.Random(f"{contract}.{function}")
    for _ in range(25):
        args = [_value(k, rng) for k in inputs]
        if all(not rpc._is_dynamic(k) or k.endswith("[]") for k in inputs):
            assert rpc.encode(inputs, args) == oracle_encode(inputs, args)
        result = [_value(k, rng) for k in outputs]
        encoded = oracle_encode(outputs, result)
        assert rpc.decode(outputs, encoded) == oracle_decode(outputs, encoded)


def test_short_answers_and_out_of_range_values_are_refused() -> None:
    with pytest.raises(ValueError, match="shorter"):
        rpc.decode(["(bytes32,uint64)"], bytes(40))
    with pytest.raises(ValueError, match="does not fit"):
        rpc.encode(["uint8"], [256])
    with pytest.raises(ValueError, match="not an address"):
        rpc.encode(["address"], ["0x12"])


def _trade_events() -> list[dict[str, Any]]:
    """TradeRegistry's events, but those with a string (a reason the verifier never reads)."""
    abi = json.loads((ARTIFACTS / "TradeRegistry.json").read_text(encoding="utf-8"))["abi"]
    return [
        e for e in abi if e["type"] == "event" and all(i["type"] != "string" for i in e["inputs"])
    ]


def _normal(value: object) -> object:
    """eth_abi's decoded value in the codec's spelling (lower-case addresses, tuples)."""
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, list | tuple):
        return tuple(_normal(v) for v in value)
    return value


@pytest.mark.parametrize("event", _trade_events(), ids=lambda e: str(e["name"]))
def test_event_logs_decode_like_eth_abi(event: dict[str, Any]) -> None:
    registry = rpc.contract_abi("TradeRegistry")
    rng = random.Random(str(event["name"]))
    indexed = [i for i in event["inputs"] if i["indexed"]]
    plain = [i for i in event["inputs"] if not i["indexed"]]
    for _ in range(10):
        values = {i["name"]: _value(rpc._type_of(i), rng) for i in event["inputs"]}
        kinds = [rpc._type_of(i) for i in plain]
        log = {
            "topics": [registry.topic(str(event["name"]))]
            + ["0x" + oracle_encode([rpc._type_of(i)], [values[i["name"]]]).hex() for i in indexed],
            "data": "0x" + oracle_encode(kinds, [values[i["name"]] for i in plain]).hex(),
        }
        decoded = registry.decode_log(str(event["name"]), log)
        assert decoded == {k: _normal(v) for k, v in values.items()}


def test_logs_of_other_events_or_short_data_are_not_decoded() -> None:
    registry = rpc.contract_abi("TradeRegistry")
    data = oracle_encode(["uint256[]"], [[1, 2]])
    log = {"topics": [registry.topic("TradesReleased"), "0x" + "00" * 31 + "07", "0x" + "00" * 32]}
    assert registry.decode_log("TradesReleased", {**log, "data": "0x" + data.hex()}) == {
        "batch": 7,
        "customs": "0x" + "00" * 20,
        "mask": (1, 2),
    }
    assert registry.decode_log("FinancingRegistered", {**log, "data": "0x" + data.hex()}) is None
    assert registry.decode_log("TradesReleased", {**log, "data": "0x" + data[:-32].hex()}) is None
    assert registry.decode_log("TradesReleased", {**log, "topics": log["topics"][:2]}) is None
