"""The CLI's one-line errors say each thing once (no "cannot reach the chain: cannot reach")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import build_app, main
from tests.conftest import free_port

PINNED = ["--registry", "0x" + "11" * 20, "--registry", "0x" + "22" * 20]


def _bundle(tmp_path: Path) -> list[str]:
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps({"format": "sandan-bundle/3", "chain": {}}), encoding="utf-8")
    return ["verify", str(bundle), *PINNED]


def _lot(tmp_path: Path) -> list[str]:
    material = {
        "format": "sandan-lot/1",
        "chain": {"chainId": 1, "traceRegistry": "0x" + "1" * 40, "partyRegistry": None},
        "events": [],
        "envelopes": {},
    }
    path = tmp_path / "lot.json"
    path.write_text(json.dumps({"verification": material}), encoding="utf-8")
    return ["verify-lot", str(path), "--registry", "0x" + "1" * 40]


@pytest.mark.parametrize("command", [_bundle, _lot])
def test_unreachable_chain_is_said_once_with_the_url(tmp_path: Path, command) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(build_app(), [*command(tmp_path), "--rpc-url", dead])
    assert result.exit_code == 3, result.output
    assert f"cannot reach the chain at {dead}" in result.output
    assert result.output.count("cannot reach") == 1, result.output


def test_deploy_to_an_unreachable_node_says_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("SANDAN_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("sys.argv", ["sandan", "deploy", "--rpc-url", dead])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"cannot reach the chain at {dead}" in err
    assert err.count("cannot reach") == 1, err
