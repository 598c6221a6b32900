"""``sandan compile / node / deploy`` through a local Typer app (api.cli.chain.register)."""

import pytest
import typer
from typer.testing import CliRunner

from api.cli.chain import register
from ledger_client import Deployment, LedgerSettings


@pytest.fixture
def invoke():
    app = typer.Typer()
    register(app)
    runner = CliRunner()

    def run(*args):
        return runner.invoke(app, list(args))

    return run


def test_compile_check_passes_on_committed_artifacts(invoke):
    result = invoke("compile", "--check")
    assert (result.exit_code, result.output.strip()) == (0, "artifacts match the sources")


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        (
            {},
            ("deploy", "--rpc-url", "ws://127.0.0.1:8546"),
            "sandan: unsupported RPC URL scheme 'ws'",
        ),
        ({"SANDAN_CONFIRMATIONS": "0"}, ("deploy",), "sandan: setting confirmations:"),
        ({"SANDAN_RPC_URL": "gopher://x"}, ("node",), "sandan: setting rpc_url:"),
    ],
)
def test_commands_report_bad_settings_in_one_line(invoke, monkeypatch, env, args, message):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.output.startswith(message)
    assert result.output.count("\n") == 1
    assert "Traceback" not in result.output


def test_node_stop_without_running_node(invoke):
    result = invoke("node", "--stop")
    assert (result.exit_code, result.output.strip()) == (0, "no embedded node was running")


@pytest.mark.node
def test_deploy_writes_deployment_file(invoke, anvil_url):
    result = invoke("deploy", "--rpc-url", anvil_url)
    assert result.exit_code == 0, result.output
    deployment = Deployment.load(LedgerSettings().deployment_file)
    assert f"TradeRegistry: {deployment.trade_registry.address}" in result.output
    assert deployment.chain_id == 31337
    assert set(deployment.roles["TraceRegistry"]) == {"ANCHORER_ROLE", "INSPECTOR_ROLE"}
