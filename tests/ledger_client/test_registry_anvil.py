"""The registry behaviour suite on a real anvil node started by a fixture."""

import pytest

from tests.ledger_client.suite import RegistryBehaviour, h


@pytest.mark.node
class TestRegistryOnAnvil(RegistryBehaviour):
    @pytest.fixture
    def world(self, anvil_world):
        return anvil_world

    def test_wait_for_receipt_waits_for_confirmations(self, world):
        client = world.trade()
        tx_hash = client.send_anchor_batch(h("root"), 1, h("b"))
        world.w3.provider.make_request("anvil_mine", [2])
        result = client.wait_for_receipt(tx_hash, confirmations=3, timeout=10)
        assert client.confirmations_of(tx_hash) == 3
        assert result.events[0].root == h("root")
