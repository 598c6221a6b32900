"""``sandan ceb check`` and ``sandan ceb convert`` through Typer's runner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from api.cli.ceb import register

DATA = Path(__file__).resolve().parents[2] / "data" / "ceb"
CERT = DATA / "certs" / "ebc-3301960002.pem"


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        """Test root so ``ceb`` stays a sub-command."""

    return app


def _run(*args: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(_app(), ["ceb", *args])
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def trade(tmp_path: Path) -> Path:
    folder = tmp_path / "trade"
    shutil.copytree(DATA / "import", folder)
    (folder / "return.xml").unlink()
    return folder


@pytest.mark.parametrize("direction", ["import", "export"])
def test_ceb_check_matches_samples(direction: str) -> None:
    code, output = _run("check", str(DATA / direction))
    assert (code, output["verdict"], output["reasons"]) == (0, "match", [])


def test_ceb_check_reports_mismatch(trade: Path) -> None:
    payment = trade / "payment.xml"
    payment.write_bytes(payment.read_bytes().replace(b"315.12", b"300.00"))
    code, output = _run("check", str(trade))
    assert (code, output["verdict"]) == (1, "mismatch")
    rules = {(r["rule"], r["file"]) for r in output["reasons"]}  # type: ignore[union-attr, index]
    assert ("amount.payment_equals_paid", "payment.xml") in rules


def test_ceb_check_applies_prior_annual_total(trade: Path) -> None:
    code, output = _run("check", str(trade), "--prior-annual", "25900")
    assert (code, output["verdict"]) == (1, "mismatch")
    assert any(r["rule"] == "limit.annual" for r in output["reasons"])  # type: ignore[index, union-attr]


@pytest.mark.parametrize(
    ("old", "new", "rule"),
    [
        (b"<ceb:currency>142</ceb:currency>", b"<ceb:currency>502</ceb:currency>", "schema.fixed"),
        (b"<?xml", b'<!DOCTYPE x [<!ENTITY a "b">]><?xml', "xml.entity_forbidden"),
        (b"http://www.chinaport.gov.cn/ceb", b"http://example.com/ceb", "xml.wrong_namespace"),
        (b"CEB311Message", b"CEB411Message", "xml.unknown_message"),
    ],
    ids=["schema", "entities", "namespace", "wrong-message"],
)
def test_ceb_check_reports_invalid_order(trade: Path, old: bytes, new: bytes, rule: str) -> None:
    order = trade / "order.xml"
    order.write_bytes(order.read_bytes().replace(old, new))
    code, output = _run("check", str(trade))
    assert (code, output["verdict"]) == (2, "invalid")
    assert {(r["rule"], r["file"]) for r in output["reasons"]} >= {(rule, "order.xml")}  # type: ignore[union-attr, index]


def test_ceb_check_names_missing_file(trade: Path) -> None:
    (trade / "logistics.xml").unlink()
    code, output = _run("check", str(trade))
    assert code == 2
    assert output["reasons"] == [
        {
            "rule": "input.missing_file",
            "file": "logistics.xml",
            "field": None,
            "expected": None,
            "actual": None,
            "message": "logistics.xml is missing",
        }
    ]


def test_ceb_check_refuses_links_outside_and_non_directories(trade: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.xml"
    shutil.copy(trade / "order.xml", outside)
    (trade / "order.xml").unlink()
    (trade / "order.xml").symlink_to(outside)
    code, output = _run("check", str(trade))
    assert code == 2
    assert output["reasons"][0]["rule"] == "input.not_a_file"  # type: ignore[index]
    code, output = _run("check", str(outside))
    assert (code, output["reasons"][0]["rule"]) == (2, "input.not_a_directory")  # type: ignore[index]


def test_ceb_check_reports_signatures_apart_from_verdict(trade: Path) -> None:
    code, output = _run("check", str(trade), "--verify-signatures", "--cert", str(CERT))
    signatures = output["signatures"]
    assert code == 0
    assert signatures["inventory.xml"]["outcome"] == "valid"  # type: ignore[index]
    assert signatures["order.xml"]["outcome"] == "missing"  # type: ignore[index]


def test_ceb_convert_prints_json() -> None:
    code, output = _run("convert", str(DATA / "import" / "order.xml"))
    assert code == 0
    assert output["message_type"] == "CEB311"
    assert output["documents"][0]["buyerName"] == "张三"  # type: ignore[index]


def test_ceb_convert_reports_issues(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(
        (DATA / "import" / "order.xml").read_bytes().replace(b"<ceb:appType>1", b"<ceb:appType>7")
    )
    code, output = _run("convert", str(bad))
    assert (code, output["error"]) == (2, "schema_violation")
