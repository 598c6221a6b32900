"""The registry behaviour suite on Hardhat's node (chain id 31337), started by a fixture."""

import pytest

from ledger_client import ContractReverted
from tests.ledger_client.suite import RegistryBehaviour, h, reverted


@pytest.mark.node
class TestRegistryOnHardhat(RegistryBehaviour):
    @pytest.fixture
    def world(self, hardhat_world):
        return hardhat_world

    def test_wait_for_receipt_decodes_mined_revert(self, world):
        """Hardhat mines a transaction as it arrives and answers a failed one with its
        revert, so the send itself names the contract's error and the mined transaction."""
        client = world.trade()
        client.anchor_batch(h("root"), 1, h("b"))
        with pytest.raises(ContractReverted) as exc_info:
            client.send_anchor_batch(h("root"), 1, h("b"), gas=200_000)
        assert reverted(exc_info) == ("TradeRegistryRootAlreadyAnchored", (h("root"),))
        tx_hash = exc_info.value.tx_hash
        assert tx_hash is not None
        assert world.w3.eth.get_transaction_receipt(tx_hash)["status"] == 0
        with pytest.raises(ContractReverted) as again:
            client.wait_for_receipt(tx_hash)
        assert reverted(again) == reverted(exc_info)
