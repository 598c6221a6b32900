"""SM3 in EVM code (contracts/bench/Sm3Bench.sol): right by the standard's vectors and
Python's SM3, and what it costs beside keccak256, on the bench's anvil."""

from __future__ import annotations

import os

from api.bench.context import BenchContext
from api.bench.gas import bench_contracts, measure_hash_gas, sm3_metrics
from ledger_client.lifecycle_gas import deploy_contract
from traceability.digests import sm3


def test_evm_sm3_is_sm3(ctx: BenchContext) -> None:
    chain = ctx.chain()
    compiled = bench_contracts()["Sm3Bench"]
    bench = deploy_contract(chain.w3, chain.accounts[0], compiled.abi, compiled.bytecode)
    # GB/T 32905-2016 appendix A, then every padding edge: 55 bytes leave room for the
    # length in one block, 56 do not, 64 fill it, and lengths around two blocks.
    vectors = {
        b"abc": "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
        b"abcd" * 16: "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732",
    }
    for data, expected in vectors.items():
        assert bench.functions.sm3(data).call().hex() == expected
    for size in (0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 300):
        data = os.urandom(size)
        assert bench.functions.sm3(data).call() == sm3(data), size


def test_sm3_costs_orders_of_magnitude_more_gas_than_keccak(ctx: BenchContext) -> None:
    chain = ctx.chain()
    node, kib = measure_hash_gas(chain.w3, chain.accounts[0], (64, 1024))
    assert node.sm3 > 100 * node.keccak
    assert kib.sm3 > 5 * node.sm3  # 17 compressions against 2
    metrics = {m.name: m for m in sm3_metrics(ctx)}
    assert set(metrics) == {"gas.sm3.merkle_node", "gas.keccak.merkle_node", "gas.sm3.per_kib"}
    assert metrics["gas.sm3.merkle_node"].value == node.sm3  # gas does not depend on the bytes
    assert "10 nodes" in metrics["gas.sm3.merkle_node"].notes
