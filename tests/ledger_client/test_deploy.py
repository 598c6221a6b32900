"""Deployment files round-trip and are checked against the chain."""

import dataclasses
import json

import pytest

from ledger_client import (
    ConfigurationError,
    Deployment,
    DeploymentError,
    LifecycleRegistryClient,
    deploy_registries,
    load_artifacts,
    make_web3,
)


def test_deployment_file_round_trips(chain_world, tmp_path):
    path = tmp_path / "deep" / "deployment.json"
    chain_world.deployment.save(path)
    loaded = Deployment.load(path)
    assert loaded == chain_world.deployment
    assert loaded.roles["TradeRegistry"]["BANK_ROLE"] == (
        chain_world.address("bank"),
        chain_world.address("bank2"),
    )
    assert "INSPECTOR_ROLE" not in loaded.roles["TradeRegistry"]
    loaded.check(chain_world.w3)


def test_deployment_check_rejects_another_chain(chain_world):
    with pytest.raises(DeploymentError, match="no TradeRegistry code at"):
        chain_world.deployment.check(make_web3(None))


def test_deployment_check_rejects_contracts_built_from_other_sources(chain_world):
    stale = dataclasses.replace(
        chain_world.deployment.trade_registry, source_hash="sha256:" + "0" * 64
    )
    deployment = dataclasses.replace(
        chain_world.deployment,
        contracts={**chain_world.deployment.contracts, "TradeRegistry": stale},
    )
    with pytest.raises(DeploymentError, match="deployed from other contract sources"):
        deployment.check(chain_world.w3)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no deployment file"),
        ("{not json", "unreadable"),
        (json.dumps({"format": 9}), "malformed"),
    ],
)
def test_deployment_load_rejects_bad_files(tmp_path, content, message):
    path = tmp_path / "deployment.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(DeploymentError, match=message):
        Deployment.load(path)


def test_deploy_registries_rejects_unknown_role(chain_world):
    with pytest.raises(ConfigurationError, match="unknown role"):
        deploy_registries(chain_world.w3, chain_world.accounts["admin"], grants={"PIRATE_ROLE": []})


@pytest.mark.parametrize("missing", ["PartyRegistry", "LifecycleRegistry"])
def test_deployment_load_asks_to_redeploy_a_file_without_a_registry(chain_world, tmp_path, missing):
    path = tmp_path / "deployment.json"
    chain_world.deployment.save(path)
    data = json.loads(path.read_text())
    del data["contracts"][missing]
    path.write_text(json.dumps(data))
    with pytest.raises(
        DeploymentError, match=rf"has no {missing}: .*run `sandan deploy` to redeploy"
    ):
        Deployment.load(path)


def test_lifecycle_registry_follows_the_deployed_trade_registry(chain_world):
    deployment = chain_world.deployment
    lifecycle = LifecycleRegistryClient(chain_world.w3, deployment.lifecycle_registry.address)
    assert lifecycle.trade_registry() == deployment.trade_registry.address
    assert deployment.roles["LifecycleRegistry"] == {}
    assert deployment.lifecycle_registry.block_number >= deployment.trade_registry.block_number


def test_deploy_registries_makes_the_admin_registrar_by_default(chain_world):
    deployment = chain_world.deployment
    admin = chain_world.address("admin")
    assert deployment.roles["PartyRegistry"] == {"REGISTRAR_ROLE": (admin,)}
    assert chain_world.party("admin").has_role("REGISTRAR_ROLE", admin)


def test_deployment_check_rejects_a_lifecycle_registry_following_another_trade_registry(
    chain_world,
):
    from ledger_client.lifecycle_gas import deploy_contract

    built = load_artifacts()["LifecycleRegistry"]
    elsewhere = chain_world.deployment.trace_registry.address
    impostor = deploy_contract(
        chain_world.w3, chain_world.accounts["admin"], built.abi, built.bytecode, elsewhere
    )
    lifecycle = dataclasses.replace(
        chain_world.deployment.lifecycle_registry, address=impostor.address
    )
    deployment = dataclasses.replace(
        chain_world.deployment,
        contracts={**chain_world.deployment.contracts, "LifecycleRegistry": lifecycle},
    )
    with pytest.raises(DeploymentError, match=rf"follows TradeRegistry {elsewhere}, not"):
        deployment.check(chain_world.w3)


def test_deploy_registries_names_the_lifecycle_registry_in_the_trade_registry(chain_world):
    deployment = chain_world.deployment
    assert chain_world.trade().lifecycle_registry() == deployment.lifecycle_registry.address
    deployment.check(chain_world.w3)


def test_deployment_check_rejects_a_trade_registry_without_its_guard(chain_world):
    # A deployment interrupted before setLifecycleRegistry: a TradeRegistry and its follower,
    # never introduced to each other.
    from ledger_client.lifecycle_gas import deploy_contract

    built = load_artifacts()
    admin = chain_world.accounts["admin"]
    trade_art, life_art = built["TradeRegistry"], built["LifecycleRegistry"]
    trade = deploy_contract(chain_world.w3, admin, trade_art.abi, trade_art.bytecode)
    follower = deploy_contract(
        chain_world.w3, admin, life_art.abi, life_art.bytecode, trade.address
    )
    contracts = dict(chain_world.deployment.contracts)
    contracts["TradeRegistry"] = dataclasses.replace(
        contracts["TradeRegistry"], address=trade.address
    )
    contracts["LifecycleRegistry"] = dataclasses.replace(
        contracts["LifecycleRegistry"], address=follower.address
    )
    deployment = dataclasses.replace(chain_world.deployment, contracts=contracts)
    with pytest.raises(DeploymentError, match=r"consults no LifecycleRegistry, not 0x"):
        deployment.check(chain_world.w3)
