"""Factories for API tests: parties with keys, a chain with the registries, app settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from api.anchoring.gateway import LedgerGateway
from api.config import ApiSettings
from api.demo.parties import RegisteredParty
from ledger_client import LedgerSettings, deploy_registries, dev_accounts, make_web3

#: A registered party and its signing key: the demo's type, registered as the demo does
#: (:func:`api.demo.parties.register_party`).
Actor = RegisteredParty


def deployed_ledger() -> LedgerGateway:
    """A new in-process chain with both registries deployed; its first account anchors."""
    w3 = make_web3(None)
    admin = dev_accounts(w3, 1)[0]
    deployment = deploy_registries(w3, admin, grants={"ANCHORER_ROLE": [admin.address]})
    return LedgerGateway(w3, deployment, anchorer=admin, confirmations=1)


def app_settings(data_dir: Path, *, admin_token: str, **values: Any) -> ApiSettings:
    """Settings of an app under test: ledger data in ``data_dir``, batches sent at once, no
    write rate limit, and ``values`` besides."""
    return ApiSettings(
        ledger=LedgerSettings(data_dir=data_dir),
        admin_token=admin_token,
        batch_wait_seconds=0.0,
        rate_limit_per_minute=0,
        **values,
    )


@contextmanager
def registered_at(moment: datetime) -> Iterator[None]:
    """Register keys as if the service's clock read ``moment``: a key registered back then.

    A key is valid from its registration, so signed sample messages dated in the past
    need signers whose keys were registered before them; nothing a client sends can
    backdate a key.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("api.web.routes.parties.utcnow", lambda: moment)
        yield
