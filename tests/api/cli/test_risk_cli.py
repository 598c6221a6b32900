"""``sandan risk scan`` through Typer's runner, on a small generated folder of trades."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from api.bench.risk import write_trade_set
from api.cli.risk import register
from traceability.risk.samples import generate_trade_set


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        """Test root so ``risk`` stays a sub-command."""

    return app


def _run(*args: str):
    return CliRunner().invoke(_app(), ["risk", "scan", *args])


@pytest.fixture(scope="module")
def trade_set():
    return generate_trade_set(300, seed=5)


@pytest.fixture
def folder(tmp_path: Path, trade_set) -> Path:
    write_trade_set(trade_set, tmp_path / "trades")
    (tmp_path / "trades" / "README.txt").write_text("files beside the folders are ignored")
    return tmp_path / "trades"


def test_risk_scan_json_shape(folder: Path, trade_set) -> None:
    result = _run(str(folder), "--json")
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    assert set(output) == {"trades", "alerts"}
    assert output["trades"] == len(trade_set.trades)
    assert output["alerts"]
    for alert in output["alerts"]:
        assert set(alert) == {"rule", "trades", "evidence", "threshold"}
        assert alert["rule"].startswith("risk.")
        assert alert["trades"] == sorted(alert["trades"])
        assert all(name.startswith("3301960A01/SD2025") for name in alert["trades"])
        assert isinstance(alert["evidence"], dict)
        assert alert["evidence"]
        assert isinstance(alert["threshold"], dict)
        assert alert["threshold"]
    flagged = {(a["rule"], n) for a in output["alerts"] for n in a["trades"]}
    planted = {(rule, n) for rule, names in trade_set.truth().items() for n in names}
    assert planted <= flagged


def test_risk_scan_reports_a_broken_file_and_scans_the_rest(folder: Path, trade_set) -> None:
    first, second = sorted(p for p in folder.iterdir() if p.is_dir())[:2]
    (first / "order.xml").write_bytes(b"<not xml")
    (second / "payment.xml").write_bytes(b'<!DOCTYPE x [<!ENTITY a "b">]><x/>')
    (folder / "empty").mkdir()
    result = _run(str(folder), "--json")
    assert result.exit_code == 1
    output = json.loads(result.stdout)
    # The broken order and the empty folder are skipped; the trade with a broken payment
    # is still scanned from its order.
    assert output["trades"] == len(trade_set.trades) - 1
    problems = result.stderr.splitlines()
    assert any(f"{first.name}/order.xml: xml." in line for line in problems)
    assert any(f"{second.name}/payment.xml: xml." in line for line in problems)
    assert any("empty/order.xml: input.missing_file" in line for line in problems)


def test_risk_scan_prints_a_table(folder: Path, trade_set) -> None:
    result = _run(str(folder))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].endswith(f"alert(s) over {len(trade_set.trades)} trade(s)")
    assert any(line.startswith("risk.split_order") for line in lines)


def test_risk_scan_takes_thresholds(folder: Path) -> None:
    strict = json.loads(_run(str(folder), "--json").stdout)
    loose = _run(str(folder), "--json", "--threshold", "shared_phone_min_buyers=2")
    assert loose.exit_code == 0
    phones = [a for a in json.loads(loose.stdout)["alerts"] if a["rule"] == "risk.shared_phone"]
    assert len(phones) > len([a for a in strict["alerts"] if a["rule"] == "risk.shared_phone"])
    assert {a["threshold"]["shared_phone_min_buyers"] for a in phones} == {2}


@pytest.mark.parametrize(
    "pair", ["nosuch=1", "single_limit=abc", "shared_phone_min_buyers=0", "single_limit"]
)
def test_risk_scan_refuses_a_bad_threshold(folder: Path, pair: str) -> None:
    result = _run(str(folder), "--threshold", pair)
    assert result.exit_code == 2
    assert pair.split("=")[0] in result.stderr


def test_risk_scan_refuses_a_missing_directory(tmp_path: Path) -> None:
    result = _run(str(tmp_path / "nothing"))
    assert result.exit_code == 2
    assert "is not a directory" in result.stderr


def test_risk_scan_help_documents_the_exit_codes() -> None:
    result = _run("--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Exit 0 when every folder was read, 1 when some folder or file could not be" in text
