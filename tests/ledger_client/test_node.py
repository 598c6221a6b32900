"""The embedded anvil keeps its state across a restart and is reused while running."""

import pytest

from ledger_client import EmbeddedNode, LedgerSettings, TradeRegistryClient, make_web3
from ledger_client.node import (
    ensure_embedded_node,
    find_anvil,
    running_node_url,
    stop_embedded_node,
)
from tests.conftest import build_world, free_port
from tests.ledger_client.suite import h

pytestmark = pytest.mark.node


@pytest.fixture
def anvil_binary(anvil_url):
    # anvil_url skips (or fails on CI) when anvil is missing.
    return find_anvil(LedgerSettings())


def test_embedded_node_keeps_anchors_across_restart(tmp_path, anvil_binary, artifacts):
    node = EmbeddedNode(tmp_path, free_port(), anvil=anvil_binary)
    with node:
        world = build_world(make_web3(node.rpc_url), artifacts)
        anchored = world.trade().anchor_batch(h("root"), 7, h("batch"))
    assert (tmp_path / "anvil-state.json").is_file()
    with EmbeddedNode(tmp_path, free_port(), anvil=anvil_binary) as again:
        client = TradeRegistryClient(
            make_web3(again.rpc_url), world.deployment.trade_registry.address
        )
        batch = client.anchored_batch(h("root"))
    assert (batch.leaf_count, batch.block_number) == (7, anchored.block_number)


def test_ensure_embedded_node_reuses_running_node(tmp_path, anvil_binary):
    settings = LedgerSettings(data_dir=tmp_path, node_port=free_port(), anvil_binary=anvil_binary)
    url = ensure_embedded_node(settings)
    try:
        assert ensure_embedded_node(settings) == url
        assert running_node_url(settings) == url
        assert make_web3(url).eth.chain_id == 31337
    finally:
        assert stop_embedded_node(settings)
    assert running_node_url(settings) is None
    assert not stop_embedded_node(settings)
