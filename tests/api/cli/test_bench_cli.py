"""``sandan bench --quick --json`` in process: the JSON shape, and every figure measured."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from api.bench import BENCHES
from api.bench.metric import Metric, at_least, at_most
from api.cli import build_app
from ledger_client import EmbeddedNodeError, LedgerSettings, find_anvil

CHEAP = "gas,match,epcis,sm2"


def _anvil_available() -> bool:
    try:
        find_anvil(LedgerSettings())
    except EmbeddedNodeError:
        return False
    return True


@pytest.fixture
def run():
    runner = CliRunner()
    return lambda *args: runner.invoke(build_app(), ["bench", *args])


@pytest.fixture(scope="module")
def report():
    if not _anvil_available():
        pytest.skip("anvil is not installed (make setup)")
    result = CliRunner().invoke(build_app(), ["bench", "--quick", "--only", CHEAP, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_bench_json_has_machine_and_mode(report):
    assert report["format"] == "sandan-bench/1"
    assert report["mode"] == "quick"
    assert {"cpu", "cores", "memoryMiB", "python", "anvil", "postgres"} <= report["machine"].keys()
    assert report["machine"]["anvil"]
    assert set(report["seconds"]) == set(CHEAP.split(","))


def test_bench_json_metrics_have_the_documented_fields(report):
    for metric in report["metrics"]:
        assert set(metric) == {"name", "group", "value", "unit", "target", "met", "notes"}
        assert isinstance(metric["name"], str)
        assert metric["unit"]
        assert metric["met"] in (True, False, None)
        if metric["target"] is None:
            assert metric["met"] is None


def test_bench_measures_gas_per_document_for_each_batch_size(report):
    by_name = {m["name"]: m for m in report["metrics"]}
    single = by_name["gas.per_doc.one_tx_each"]["value"]
    sizes = [10, 100, 1_000, 10_000]
    per_doc = [by_name[f"gas.per_doc.batch_{n}"]["value"] for n in sizes]
    assert single > 21_000
    assert per_doc == sorted(per_doc, reverse=True)
    assert per_doc[-1] < single / 1_000
    assert by_name["gas.per_doc.batch_1000"]["target"] == {"direction": "at_most", "limit": 60}
    assert by_name["match.three_document"]["value"] > 0
    assert by_name["epcis.event_hash"]["value"] > 0


def test_bench_measures_party_registry_writes_and_relayed_release(report):
    by_name = {m["name"]: m["value"] for m in report["metrics"]}
    writes = ["registerParty", "addKey", "revokeKey", "grantPartyRole", "addAccount"]
    assert all(21_000 < by_name[f"gas.fn.{name}"] < 150_000 for name in writes)
    assert by_name["gas.fn.multicall_10"] < 10 * by_name["gas.fn.addKey"]
    one = by_name["gas.fn.releaseTradesWithSig_1"]
    hundred = by_name["gas.fn.releaseTradesWithSig_100"]
    assert one > by_name["gas.fn.releaseTrades"]
    # One signature and a bitmask for the whole batch: 100 trades cost barely more than one.
    assert hundred < 2 * one


def test_bench_labels_reference_figures_as_quoted(report):
    references = [m for m in report["metrics"] if m["group"] == "reference"]
    assert len(references) == 3
    assert all("not measured" in m["notes"] for m in references)


def test_bench_rejects_an_unknown_name(run):
    result = run("--quick", "--only", "nosuch")
    assert result.exit_code != 0
    assert "unknown bench nosuch" in result.output


@pytest.mark.parametrize(
    ("target", "value", "met"),
    [
        (at_most(60), 59.9, True),
        (at_most(60), 60.1, False),
        (at_least(5_000), 5_000, True),
        (at_least(5_000), 4_999, False),
        (at_least(5_000), None, None),
    ],
)
def test_metric_met_compares_against_its_target(target, value, met):
    assert Metric("m", value, "x", target).met is met


def test_bench_names_are_the_documented_ones():
    assert list(BENCHES) == [
        "gas", "startup", "verify", "match", "risk", "epcis", "sm2", "ingest", "latency",
        "resolver", "memory", "scale",
    ]  # fmt: skip


def test_quick_bench_prints_the_lifecycle_side_by_side_with_eas_and_a_mapping(report):
    by_name = {m["name"]: m for m in report["metrics"]}
    for prefix in ("gas", "gas.eas", "gas.mapping"):
        assert by_name[f"{prefix}.per_trade.lifecycle"]["value"] > 0
        assert by_name[f"{prefix}.capacity.trades_per_second"]["value"] > 0
    # sandan's own life runs 1,000 trades even in --quick; the comparisons say they ran 100.
    assert "(quick)" not in by_name["gas.per_trade.lifecycle"]["notes"]
    for prefix in ("gas.eas", "gas.mapping"):
        notes = by_name[f"{prefix}.per_trade.lifecycle"]["notes"]
        assert "batch of 100 trades, not 1,000 (quick)" in notes
    assert by_name["gas.per_trade.lifecycle"]["target"] == {"direction": "at_most", "limit": 7_500}
    assert by_name["gas.capacity.trades_per_second"]["target"] == {
        "direction": "at_least",
        "limit": 2_000,
    }


def test_quick_bench_prints_the_lifecycle_released_under_customs_policy(report):
    by_name = {m["name"]: m for m in report["metrics"]}
    graded = by_name["gas.per_trade.lifecycle_under_policy"]
    assert graded["target"] == {"direction": "at_most", "limit": 7_500}
    release = by_name["gas.per_trade.release_under_policy"]["value"]
    # The facts are checked per trade, so it costs more than customs' own bitmask release...
    assert release > by_name["gas.per_trade.release"]["value"]
    # ...and the rest of the life is the same.
    rest = by_name["gas.per_trade.lifecycle"]["value"] - by_name["gas.per_trade.release"]["value"]
    assert graded["value"] == pytest.approx(rest + release, abs=1)
    assert 21_000 < by_name["gas.fn.adoptReleasePolicy"]["value"] < 150_000


def test_quick_bench_prints_the_life_after_release_beside_the_life(report):
    by_name = {m["name"]: m for m in report["metrics"]}
    for row in (
        "gas.life.per_trade.declare",
        "gas.life.per_trade.return",
        "gas.life.per_trade.fx_netting_100",
        "gas.life.fn.openTradeFinancing",
        "gas.life.fn.drawdown",
        "gas.life.fn.repay",
        "gas.life.fn.closeFinancing",
        "gas.life.fn.issueWarehouseReceipt",
        "gas.life.per_trade.lifecycle_with_fx",
    ):
        assert by_name[row]["value"] > 0, row
        assert by_name[row]["group"] == "gas"
    # Every LifecycleRegistry write is in the per-function rows as well.
    for name in ("declareValues", "recordFxSettlement", "cancelTrades", "openReceiptFinancing"):
        assert 21_000 < by_name[f"gas.fn.{name}"]["value"] < 150_000, name
    assert by_name["gas.per_trade.lifecycle"]["met"] is True


def test_sm2_bench_prints_sm2_beside_ed25519_and_openssl_speed(report):
    by_name = {m["name"]: m for m in report["metrics"]}
    sm2 = by_name["sm2.verify_one_core"]
    assert sm2["value"] > 0
    assert sm2["target"] == {"direction": "at_least", "limit": 1_500}
    assert by_name["sm2.ed25519_verify_one_core"]["value"] > 0
    openssl = by_name["sm2.openssl_speed"]
    assert openssl["value"] is None or openssl["value"] > 0
