"""How the client commands (``sandan submit``, ``register-key``, ``verdict``) reach the
service: its URL and the party's API key from options or the environment, and one client.

Test seam: :data:`client_factory` builds the client; tests replace it (``monkeypatch``)
with one bound to the app in process. Nothing else reads it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from api.client import SandanClient

__all__ = ["ApiKeyOption", "UrlOption", "client_factory", "connect", "endpoint"]

#: Builds the client the commands talk through: ``(url, api_key, max_attempts)``.
client_factory: Callable[[str, str, int], SandanClient] | None = None

UrlOption = Annotated[str | None, typer.Option(help="The service (env SANDAN_URL).")]
ApiKeyOption = Annotated[
    str | None, typer.Option("--api-key", help="The party's API key (env SANDAN_API_KEY).")
]


def endpoint(url: str | None, api_key: str | None) -> tuple[str, str]:
    """The service's URL (``url``, else SANDAN_URL, else the local default) and the
    party's API key (``api_key``, else SANDAN_API_KEY); exit 2 when there is no key."""
    from api.cli.sign import fail
    from api.client import DEFAULT_URL

    api_key = api_key or os.environ.get("SANDAN_API_KEY")
    if not api_key:
        fail("no API key: pass --api-key or set SANDAN_API_KEY")
    return url or os.environ.get("SANDAN_URL") or DEFAULT_URL, api_key


def connect(url: str | None, api_key: str | None, *, max_attempts: int = 5) -> SandanClient:
    """A client of the :func:`endpoint` of ``url`` and ``api_key``."""
    from api.client import RetryPolicy, SandanClient

    url, api_key = endpoint(url, api_key)
    if client_factory is not None:
        return client_factory(url, api_key, max_attempts)
    return SandanClient(url, api_key, retry=RetryPolicy(max_attempts=max_attempts))
