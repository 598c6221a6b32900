"""Transient node errors are retried with backoff; reverts never are."""

import pytest
import requests
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider

from ledger_client import ContractReverted, ProviderError, RetryPolicy, TradeRegistryClient
from tests.ledger_client.suite import h

FAST = RetryPolicy(attempts=4, initial_wait=0.001, max_wait=0.01)


class FlakyProvider(EthereumTesterProvider):
    """Shares a test chain; the first ``failures`` requests fail like a down node."""

    def __init__(self, tester, failures, error):
        super().__init__(ethereum_tester=tester)
        self.failures, self.error = failures, error
        self.calls: list[str] = []

    def make_request(self, method, params):
        self.calls.append(method)
        if self.failures > 0:
            self.failures -= 1
            raise self.error
        return super().make_request(method, params)


def _http_error(status):
    response = requests.Response()
    response.status_code = status
    return requests.HTTPError(f"{status}", response=response)


def flaky_client(world, failures, error, account="anchorer"):
    provider = FlakyProvider(world.w3.provider.ethereum_tester, failures, error)
    w3 = Web3(provider)
    client = TradeRegistryClient(
        w3, world.deployment.trade_registry.address, world.accounts[account], retry=FAST
    )
    return client, provider


@pytest.mark.parametrize(
    "error",
    [
        requests.ConnectionError("refused"),
        requests.Timeout("slow"),
        _http_error(429),
        _http_error(503),
    ],
    ids=["refused", "timeout", "429", "503"],
)
def test_client_retries_transient_errors(chain_world, error):
    client, provider = flaky_client(chain_world, 2, error)
    result = client.anchor_batch(h("root"), 1, h("b"))
    assert result.events[0].root == h("root")
    assert provider.calls.count("eth_chainId") >= 3


def test_client_gives_up_with_provider_error_when_node_stays_down(chain_world):
    client, provider = flaky_client(chain_world, 100, requests.ConnectionError("refused"))
    with pytest.raises(ProviderError, match="connection failed, 4 attempts"):
        client.trade_at(1, 0)
    assert len(provider.calls) == 4


def test_client_does_not_retry_http_client_errors(chain_world):
    client, provider = flaky_client(chain_world, 1, _http_error(401))
    with pytest.raises(requests.HTTPError):
        client.trade_at(1, 0)
    assert len(provider.calls) == 1


def test_client_never_retries_a_revert(chain_world):
    client, provider = flaky_client(chain_world, 0, None, account="outsider")
    with pytest.raises(ContractReverted) as exc_info:
        client.send_anchor_batch(h("root"), 1, h("b"))
    assert exc_info.value.error_name == "AccessControlUnauthorizedAccount"
    assert provider.calls.count("eth_estimateGas") == 1
    assert "eth_sendRawTransaction" not in provider.calls
