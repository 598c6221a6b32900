"""The one seam to the chain: ``make_web3(rpc_url)``.

``None`` gives the in-process eth-tester chain (imported only then: it is heavy),
``http(s)://`` a JSON-RPC node, and any other scheme a :class:`ProviderError`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from web3 import HTTPProvider, Web3

from ledger_client._retry import RetryPolicy
from ledger_client.config import normalise_rpc_url
from ledger_client.errors import ProviderError

__all__ = ["check_connection", "make_web3", "redact_url"]


def make_web3(rpc_url: str | None, *, timeout: float = 30.0) -> Web3:
    """Return a ``Web3`` for ``rpc_url``: ``None`` → in-process chain, ``http(s)://`` → node."""
    if rpc_url is None:
        return _in_process_web3()
    try:
        url = normalise_rpc_url(rpc_url)
    except ValueError as exc:
        raise ProviderError(str(exc)) from exc
    # Our own RetryPolicy retries (and never on reverts); web3's built-in retry would
    # multiply attempts and hide outages, so it is switched off.
    provider = HTTPProvider(
        url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None
    )
    return Web3(provider)


def check_connection(w3: Web3, *, policy: RetryPolicy | None = None) -> int:
    """Return the chain id, or raise ProviderError with one line naming the node."""
    try:
        return (policy or RetryPolicy(attempts=2)).call(lambda: w3.eth.chain_id)
    except ProviderError as exc:
        detail = str(exc).removeprefix("cannot reach the chain ")
        raise ProviderError(f"cannot reach the chain at {_describe(w3)} {detail}") from exc


def redact_url(url: str) -> str:
    """Keep scheme, host and port; drop credentials, paths and queries that may hold API keys."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def _describe(w3: Web3) -> str:
    endpoint = getattr(w3.provider, "endpoint_uri", None)
    return redact_url(str(endpoint)) if endpoint else type(w3.provider).__name__


def _in_process_web3() -> Web3:
    try:
        from web3.providers.eth_tester import EthereumTesterProvider
    except ImportError as exc:  # pragma: no cover - only without the tester extra
        raise ProviderError(
            "the in-process chain needs eth-tester: pip install 'sandan[tester]'"
        ) from exc
    try:
        provider = EthereumTesterProvider()
    except ImportError as exc:  # pragma: no cover - only without the tester extra
        raise ProviderError(
            "the in-process chain needs eth-tester: pip install 'sandan[tester]'"
        ) from exc
    return Web3(provider)
