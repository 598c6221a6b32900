"""The life-cycle gas bench on the bench's anvil: real receipts, three designs (sandan on
1,000 trades, the comparisons on 4)."""

from __future__ import annotations

import pytest
from eth_utils.crypto import keccak
from web3.exceptions import ContractCustomError

from api.bench import startup
from api.bench.context import BenchContext
from api.bench.gas import life_after_release_metrics, lifecycle_metrics, per_record_registry
from ledger_client.lifecycle_gas import (
    BLOCK_GAS_LIMIT,
    BLOCK_SECONDS,
    LIFE_OPERATIONS,
    LIFE_STEPS,
    STEPS,
    deploy_contract,
    measure_life_after_release,
)

TRADES = 4
PREFIXES = ("gas", "gas.eas", "gas.mapping")


@pytest.fixture(scope="module")
def by_name(ctx):
    return {m.name: m for m in lifecycle_metrics(ctx, TRADES)}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_step_of_each_design_is_measured_and_positive(by_name, prefix):
    names = [f"{prefix}.per_trade.{step}" for step in (*STEPS, "lifecycle")]
    names.append(f"{prefix}.capacity.trades_per_second")
    assert all(by_name[name].value > 0 for name in names), [by_name[n] for n in names]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_lifecycle_is_the_sum_of_its_steps_and_sets_the_capacity(by_name, prefix):
    steps = sum(by_name[f"{prefix}.per_trade.{step}"].value for step in STEPS)
    lifecycle = by_name[f"{prefix}.per_trade.lifecycle"].value
    assert lifecycle == pytest.approx(steps)
    capacity = by_name[f"{prefix}.capacity.trades_per_second"].value
    assert capacity == pytest.approx(BLOCK_GAS_LIMIT / BLOCK_SECONDS / lifecycle)


def test_step_figures_come_from_receipts_of_every_transaction(by_name):
    # sandan's life always runs the 1,000 trades: one transaction per step.
    for step in STEPS:
        assert "in 1 tx for 1,000 trades" in by_name[f"gas.per_trade.{step}"].notes, step
    assert by_name["gas.per_trade.documents"].value < by_name["gas.per_trade.verdict"].value
    # The comparisons run the test's 4 trades, and say that they are a quick batch.
    assert "for 4 trades" in by_name["gas.mapping.per_trade.settlement"].notes
    assert "(quick)" in by_name["gas.mapping.per_trade.lifecycle"].notes


def test_sandan_meets_the_lifecycle_and_capacity_targets(by_name):
    lifecycle = by_name["gas.per_trade.lifecycle"]
    assert lifecycle.target is not None
    assert lifecycle.target.limit == 7_500
    assert lifecycle.met is True
    assert "(quick)" not in lifecycle.notes
    capacity = by_name["gas.capacity.trades_per_second"]
    assert capacity.target is not None
    assert capacity.target.limit == 2_000
    assert capacity.met is True
    # Packed per batch: a step after the verdict costs a small fraction of a fresh slot.
    assert by_name["gas.per_trade.release"].value < 1_000
    assert by_name["gas.per_trade.settlement"].value < 5_000


@pytest.fixture(scope="module")
def after_release(ctx, by_name):
    base = by_name["gas.per_trade.lifecycle"].value
    return {m.name: m for m in life_after_release_metrics(ctx, base)}


def test_every_step_after_release_is_measured_from_receipts(after_release):
    for step in LIFE_STEPS:
        metric = after_release[f"gas.life.per_trade.{step}"]
        assert metric.value > 0, metric
        assert metric.target is None
    for operation in LIFE_OPERATIONS:
        assert after_release[f"gas.life.fn.{operation}"].value > 21_000, operation
    assert "in 4 tx for 1,000 trades" in after_release["gas.life.per_trade.declare"].notes
    assert "in 1 tx for 100 trades" in after_release["gas.life.per_trade.fx_netting_100"].notes


def test_netting_spreads_the_settlement_record_over_its_trades(after_release):
    one, ten, hundred = (
        after_release[f"gas.life.per_trade.fx_netting_{n}"].value for n in (1, 10, 100)
    )
    assert one > ten > hundred
    # A trade's part of a netting updates its own word: no fresh slot of its own.
    assert hundred < 20_000
    assert after_release["gas.life.per_trade.return"].value < 20_000
    # A declaration is the trade's one fresh word (22,100 gas of it).
    assert 22_100 < after_release["gas.life.per_trade.declare"].value < 30_000


def test_the_whole_with_fx_adds_the_steps_to_the_life_every_trade_has(by_name, after_release):
    whole = after_release["gas.life.per_trade.lifecycle_with_fx"]
    expected = (
        by_name["gas.per_trade.lifecycle"].value
        + after_release["gas.life.per_trade.declare"].value
        + after_release["gas.life.per_trade.fx_netting_100"].value
    )
    assert whole.value == pytest.approx(expected)
    assert "trades/s" in whole.notes
    # The issue-15 target stays on the life every trade has, untouched by these states.
    assert by_name["gas.per_trade.lifecycle"].met is True


def test_the_life_after_release_needs_trades_for_every_netting(ctx):
    with pytest.raises(ValueError, match="at least 111"):
        measure_life_after_release(ctx.chain().w3, 110)


def test_one_attestation_per_record_costs_more_than_one_storage_record(by_name):
    eas, mapping = (
        by_name["gas.eas.per_trade.lifecycle"],
        by_name["gas.mapping.per_trade.lifecycle"],
    )
    assert eas.value > mapping.value
    # Modelled alternatives for comparison, not goals of their own.
    assert eas.target is None
    assert mapping.target is None


def test_startup_bench_reports_the_child_cpu_of_a_command(tmp_path):
    ctx = BenchContext(True, tmp_path, None)
    (metric,) = startup.run(ctx, commands={"startup.help": ("--help",)}, repeats=1)
    assert metric.name == "startup.help"
    assert 0 < metric.value < 60
    assert metric.target is not None
    assert metric.target.limit == 0.5
    assert set(startup.COMMANDS) == {"startup.help", "startup.verify_help", "startup.dl_parse"}


def test_startup_bench_names_a_failing_command(tmp_path):
    ctx = BenchContext(True, tmp_path, None)
    with pytest.raises(RuntimeError, match="exited 2"):
        startup.run(ctx, commands={"startup.bad": ("no-such-command",)}, repeats=1)


@pytest.mark.parametrize(
    ("function", "args", "error"),
    [
        ("releaseBatch", ([b"u" * 32],), "NotMatched(bytes32)"),
        ("settleBatch", ([b"m" * 32], [b"r" * 32]), "NotReleased(bytes32)"),
        ("recordDocuments", ([b"d" * 32],), "AlreadyRecorded(bytes32)"),
    ],
)
def test_per_record_baseline_keeps_the_state_rules(ctx, by_name, function, args, error):
    # by_name first: it compiled the baseline once for this process.
    chain = ctx.chain()
    account = chain.accounts[0]
    registry = deploy_contract(
        chain.w3, account, per_record_registry().abi, per_record_registry().bytecode
    )
    send = {"from": account.address}
    unmatched, matched = b"u" * 32, b"m" * 32
    for tx in (
        registry.functions.recordVerdicts([unmatched, matched], [b"v" * 32] * 2, [False, True]),
        registry.functions.recordDocuments([b"d" * 32]),
    ):
        chain.w3.eth.wait_for_transaction_receipt(tx.transact(send))
    selector = "0x" + keccak(text=error)[:4].hex()
    with pytest.raises(ContractCustomError, match=selector):
        getattr(registry.functions, function)(*args).call(send)
