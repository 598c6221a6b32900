"""``sandan deploy``, ``sandan demo`` and ``sandan verify`` against a real anvil."""

from __future__ import annotations

import json
import stat
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import build_app
from api.config import get_settings

pytestmark = pytest.mark.node


@pytest.fixture
def env(anvil_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Settings pointing the CLI at the session's anvil and a private data dir."""
    values = {"SANDAN_RPC_URL": anvil_url, "SANDAN_DATA_DIR": str(tmp_path / "data")}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_demo_runs_every_trade_and_its_bundles_verify(env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    app = build_app()
    deployed = runner.invoke(app, ["deploy"])
    assert deployed.exit_code == 0, deployed.output
    out = tmp_path / "out"
    result = runner.invoke(app, ["demo", "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    trades = {t["label"]: t for t in report["trades"]}
    statuses = sorted(t["verdict"]["status"] for t in trades.values())
    assert statuses == ["match", "match", "mismatch"]
    short = next(t for t in trades.values() if t["verdict"]["status"] == "mismatch")
    assert {f["rule"] for f in short["verdict"]["failures"]} == {
        "amount.payment_equals_paid",
        "identity.payer_is_buyer",
    }
    financed = next(t for t in trades.values() if t["financing"])
    assert [a["status"] for a in financed["financing"]] == [201, 409]
    _assert_life_after_release(report)
    # An external node (SANDAN_RPC_URL): sandan leaves nothing running.
    assert report["stillRunning"]["embeddedNode"] is None
    assert report["stillRunning"]["note"].startswith("nothing is left running by sandan")
    assert report["adminToken"] == str(Path(env["SANDAN_DATA_DIR"]) / "admin-token")
    assert report["nextSteps"][1].startswith(f"sandan verify {out}")
    bundles = sorted(out.glob("bundle-*.json"))
    assert len(bundles) == 2
    _assert_data_dir_private(Path(env["SANDAN_DATA_DIR"]))
    for bundle in bundles:
        verified = runner.invoke(app, ["verify", str(bundle), "--json"])
        assert verified.exit_code == 0, verified.output
        assert json.loads(verified.output)["authentic"] is True

    tampered = tmp_path / "tampered.json"
    data = json.loads(bundles[0].read_text(encoding="utf-8"))
    data["documents"][0]["anchor"]["proof"].reverse()
    data["documents"][0]["anchor"]["proof"].append("00" * 32)
    tampered.write_text(json.dumps(data), encoding="utf-8")
    refused = runner.invoke(app, ["verify", str(tampered)])
    assert refused.exit_code == 1
    assert "NOT AUTHENTIC" in refused.output


def _assert_life_after_release(report: dict[str, Any]) -> None:
    """One import trade returned in part, one 9810 export through the warehouse, its sale,
    FX settlement and tax-refund record: each step with its amounts, each on chain."""
    clean = next(t for t in report["trades"] if t["label"] == "import 9610, clean")
    returned = report["return"]
    assert returned["tradeId"] == clean["trade_id"]
    assert (returned["status"], returned["state"]) == ("accepted", "partial")
    assert returned["receipt"]["returnStatus"] == "120"  # CEB626: 海关入库, accepted
    assert Decimal(returned["amount"]) > 0
    assert returned["returnedTotal"] == returned["amount"]
    assert returned["invtNo"]
    assert returned["chain"]["txHash"].startswith("0x")
    stock = report["warehouseStock"]
    item = stock["item"]
    assert (item["declaredIn"], item["received"], item["sold"]) == ("230", "230", "12")
    assert Decimal(item["onHand"]) == 230 - 12
    assert stock["differences"] == []
    fx = report["fxSettlement"]
    assert (fx["amount"], fx["currency"]) == ("115.20", "USD")  # the 12 cases sold, at 9.60
    assert [t["tradeId"] for t in fx["trades"]] == [stock["tradeId"]]
    assert fx["txHash"].startswith("0x")
    assert fx["chainSettlementId"] >= 1
    assert "6222021001123456789" not in json.dumps(fx)  # the account, only as a keyed hash
    (record,) = report["taxRefund"]["records"]
    assert (record["tradeId"], record["tradeMode"]) == (stock["tradeId"], "9810")
    assert (record["invtNo"], record["fxReceived"]) == (stock["invtNo"], "115.20")
    assert record["value"] == "2208.00"  # 230 cases at USD 9.60
    assert report["taxRefund"]["summaryDeclaration"]["inventories"] >= 1


def _assert_data_dir_private(data_dir: Path) -> None:
    """Buyers' data, custodial keys and the secrets that open them are the owner's only."""
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    secret = ("sandan.db", "sandan.db-wal", "sandan.db-shm", "admin-token", "keystore-secret")
    modes = {
        n: stat.S_IMODE((data_dir / n).stat().st_mode) for n in secret if (data_dir / n).exists()
    }
    assert {"sandan.db", "admin-token", "keystore-secret"} <= set(modes)
    assert set(modes.values()) == {0o600}, modes


PINNED = ["--registry", "0x" + "11" * 20, "--registry", "0x" + "22" * 20]


def test_verify_says_when_the_chain_cannot_be_reached(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps({"format": "sandan-bundle/3", "chain": {}}), encoding="utf-8")
    result = CliRunner().invoke(
        build_app(), ["verify", str(bundle), *PINNED, "--rpc-url", "http://127.0.0.1:9"]
    )
    assert result.exit_code == 3, result.output
    assert "cannot reach" in result.output


@pytest.mark.parametrize(
    "content",
    ["not json", "[]", '{"format": "other"}', "[" * 100_000 + "]" * 100_000, '{"format": 1'],
)
def test_verify_exits_2_for_what_is_not_a_bundle(
    tmp_path: Path, anvil_url: str, content: str
) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(
        build_app(), ["verify", str(bundle), *PINNED, "--rpc-url", anvil_url]
    )
    assert result.exit_code == 2, result.output


def test_verify_exits_2_for_a_missing_file_or_unusable_trust_roots(tmp_path: Path) -> None:
    missing = CliRunner().invoke(build_app(), ["verify", str(tmp_path / "nope.json"), *PINNED])
    assert missing.exit_code == 2
    assert "not a readable file" in missing.output
    bundle = tmp_path / "bundle.json"
    bundle.write_text("{}", encoding="utf-8")
    bad_registry = CliRunner().invoke(build_app(), ["verify", str(bundle), "--registry", "0x12"])
    assert bad_registry.exit_code == 2
    assert "20-byte address" in bad_registry.output
    trust = tmp_path / "trust.json"
    trust.write_text('{"zones": [{"chainId": "one", "registries": []}]}', encoding="utf-8")
    bad_trust = CliRunner().invoke(build_app(), ["verify", str(bundle), "--trust", str(trust)])
    assert bad_trust.exit_code == 2
    assert "chainId" in bad_trust.output


def test_demo_in_an_sm3_zone_verifies_and_the_zone_keeps_its_profile(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SANDAN_DIGEST_PROFILE", "sm3")
    runner = CliRunner()
    app = build_app()
    assert runner.invoke(app, ["deploy"]).exit_code == 0
    out = tmp_path / "out"
    result = runner.invoke(app, ["demo", "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    bundles = sorted(out.glob("bundle-*.json"))
    assert bundles
    for bundle in bundles:
        assert json.loads(bundle.read_text(encoding="utf-8"))["digestProfile"] == "sm3"
        verified = runner.invoke(app, ["verify", str(bundle), "--json"])
        assert verified.exit_code == 0, verified.output
        checks = json.loads(verified.output)["checks"]
        assert any(c["check"] == "digest profile" and "sm3" in c["detail"] for c in checks)

    monkeypatch.setenv("SANDAN_DIGEST_PROFILE", "sha256")
    get_settings.cache_clear()  # a new process reads the environment anew
    refused = runner.invoke(build_app(), ["demo", "--json", "--out", str(out)])
    assert refused.exit_code != 0
    assert "SANDAN_DIGEST_PROFILE=sha256, but this ledger's content hashes are sm3" in str(
        refused.exception or refused.output
    )
