"""The committed artifacts match a fresh compile with the pinned solc (drift check)."""

import json
import shutil

import pytest

from ledger_client import CompilationError, LedgerSettings, check_artifacts, load_artifacts
from ledger_client.compile import ARTIFACTS_DIR, CONTRACT_NAMES, find_solc


def test_compile_matches_committed_artifacts():
    assert check_artifacts(LedgerSettings()) == []


def test_check_artifacts_names_the_stale_contract(tmp_path):
    for name in CONTRACT_NAMES:
        shutil.copy(ARTIFACTS_DIR / f"{name}.json", tmp_path / f"{name}.json")
    stale = json.loads((tmp_path / "TraceRegistry.json").read_text())
    stale["bytecode"] = stale["bytecode"][:-2] + "00"
    (tmp_path / "TraceRegistry.json").write_text(json.dumps(stale))
    assert check_artifacts(LedgerSettings(), tmp_path) == ["TraceRegistry"]


def test_load_artifacts_needs_no_compiler():
    artifacts = load_artifacts()
    assert set(artifacts) == set(CONTRACT_NAMES)
    trade = artifacts["TradeRegistry"]
    assert trade.solc_version.startswith("0.8.28+commit.")
    assert any(item.get("name") == "verifyDocument" for item in trade.abi)


def test_find_solc_without_any_compiler_explains_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    settings = LedgerSettings(node_modules_dir=tmp_path)
    with pytest.raises(CompilationError, match=r"no solc 0\.8\.28 found: run `make setup`"):
        find_solc(settings)


def test_find_solc_rejects_explicit_binary_of_wrong_version(tmp_path):
    fake = tmp_path / "solc"
    fake.write_text("#!/bin/sh\necho 'Version: 0.8.20+commit.a1b79de6.Linux.g++'\n")
    fake.chmod(0o755)
    with pytest.raises(CompilationError, match=r"is solc 0\.8\.20\+commit\.a1b79de6, not 0\.8\.28"):
        find_solc(LedgerSettings(solc_binary=fake))


def test_lifecycle_registry_artifact_follows_a_trade_registry_and_declares_no_roles():
    lifecycle = load_artifacts()["LifecycleRegistry"]
    (constructor,) = [item for item in lifecycle.abi if item.get("type") == "constructor"]
    assert [(i["name"], i["type"]) for i in constructor["inputs"]] == [("registry", "address")]
    functions = {item["name"] for item in lifecycle.abi if item.get("type") == "function"}
    # Its roles are TradeRegistry's: a role constant here would be granted on a contract
    # that has no grantRole.
    assert not {name for name in functions if name.endswith("_ROLE")}
    assert {"declareValues", "recordFxSettlement", "openTradeFinancing"} <= functions


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_every_registry_fits_the_eip_170_code_size_limit(name):
    deployed = load_artifacts()[name].deployed_bytecode
    assert (len(deployed) - 2) // 2 <= 24_576
