"""make_web3 and check_connection: the one seam to the chain."""

import pytest

from ledger_client import ProviderError, make_web3
from ledger_client.providers import check_connection, redact_url
from tests.conftest import free_port


def test_make_web3_without_url_gives_in_process_chain():
    w3 = make_web3(None)
    assert w3.eth.chain_id == 131277322940537
    assert type(w3.provider).__name__ == "EthereumTesterProvider"


@pytest.mark.parametrize(
    ("url", "scheme"),
    [("ws://127.0.0.1:8546", "'ws'"), ("ipc:///tmp/geth.ipc", "'ipc'"), ("ftp://x", "'ftp'")],
)
def test_make_web3_rejects_unknown_scheme(url, scheme):
    with pytest.raises(ProviderError, match=f"unsupported RPC URL scheme {scheme}"):
        make_web3(url)


def test_check_connection_reports_unreachable_node_in_one_line():
    w3 = make_web3(f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(ProviderError) as exc_info:
        check_connection(w3)
    message = str(exc_info.value)
    assert "\n" not in message
    assert message.startswith("cannot reach the chain at http://127.0.0.1:")
    assert "connection failed" in message


def test_redact_url_drops_credentials_and_keys():
    assert (
        redact_url("https://user:secret@node.example:8443/v3/APIKEY?x=1")
        == "https://node.example:8443"
    )
