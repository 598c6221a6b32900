"""The registry behaviour suite on the in-process eth-tester chain (always runs)."""

import pytest

from tests.ledger_client.suite import RegistryBehaviour


class TestRegistryOnEthTester(RegistryBehaviour):
    @pytest.fixture
    def world(self, chain_world):
        return chain_world
