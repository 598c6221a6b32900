"""First-run deployment: a deployment file from before PartyRegistry or LifecycleRegistry is
replaced on dev chains."""

from __future__ import annotations

import json

import pytest

import api.provisioning as provisioning
from api.provisioning import ensure_deployment
from ledger_client import DeploymentError, LedgerSettings, make_web3
from tests.api.factories import app_settings


@pytest.fixture
def in_process_chain(monkeypatch):
    """ensure_deployment's node: one in-process chain instead of the embedded anvil."""
    w3 = make_web3(None)
    monkeypatch.setattr(provisioning, "connect", lambda settings: w3)
    return w3


def _outdated_file(chain_world, path, missing="PartyRegistry"):
    chain_world.deployment.save(path)
    data = json.loads(path.read_text())
    del data["contracts"][missing]
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("missing", ["PartyRegistry", "LifecycleRegistry"])
def test_ensure_deployment_redeploys_over_an_outdated_file(
    chain_world, in_process_chain, tmp_path, missing
):
    settings = app_settings(tmp_path, admin_token="t" * 32)
    _outdated_file(chain_world, settings.ledger.deployment_file, missing)
    deployment = ensure_deployment(settings)
    assert set(deployment.contracts) == {
        "TradeRegistry",
        "TraceRegistry",
        "PartyRegistry",
        "LifecycleRegistry",
    }
    deployment.check(in_process_chain)
    assert json.loads(settings.ledger.deployment_file.read_text())["contracts"][missing]


def test_ensure_deployment_leaves_configured_chains_to_sandan_deploy(
    chain_world, in_process_chain, tmp_path
):
    settings = app_settings(tmp_path, admin_token="t" * 32)
    settings = settings.model_copy(
        update={"ledger": LedgerSettings(data_dir=tmp_path, rpc_url="http://127.0.0.1:1")}
    )
    _outdated_file(chain_world, settings.ledger.deployment_file)
    with pytest.raises(DeploymentError, match="has no PartyRegistry"):
        ensure_deployment(settings)
