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

    def test_send_from_many_threads_uses_each_nonce_once(self, world):
        from concurrent.futures import ThreadPoolExecutor

        client = world.trade()
        roots = [h(f"threaded{i}") for i in range(20)]
        with ThreadPoolExecutor(max_workers=4) as pool:
            hashes = list(pool.map(lambda r: client.send_anchor_batch(r, 1, h("b")), roots))
        results = [client.wait_for_receipt(tx) for tx in hashes]
        assert sorted(r.events[0].root for r in results) == sorted(roots)
        nonces = sorted(world.w3.eth.get_transaction(tx)["nonce"] for tx in hashes)
        assert nonces == list(range(nonces[0], nonces[0] + len(roots)))

    def test_send_resyncs_nonce_after_a_foreign_transaction(self, world):
        from ledger_client import TradeRegistryClient, make_web3

        client = world.trade()
        client.anchor_batch(h("mine1"), 1, h("b"))
        other_w3 = make_web3(world.w3.provider.endpoint_uri)
        other = TradeRegistryClient(other_w3, client.address, world.accounts["anchorer"])
        other.anchor_batch(h("foreign"), 1, h("b"))
        result = client.anchor_batch(h("mine2"), 1, h("b"))
        assert result.events[0].root == h("mine2")
