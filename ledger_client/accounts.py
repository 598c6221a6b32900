"""Signing accounts: funded throw-away accounts on dev chains, or a key from settings.

Dev accounts are deterministic: on eth-tester they are the backend's own funded keys,
elsewhere (anvil, hardhat) the keys of the public ``test test ... junk`` mnemonic,
topped up when needed. Their keys are public, so they are refused on other chains.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from eth_account import Account

from ledger_client._retry import RetryPolicy
from ledger_client.errors import ConfigurationError

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from pydantic import SecretStr
    from web3 import Web3

__all__ = [
    "DEV_CHAIN_IDS",
    "DEV_PARTIES",
    "account_from_key",
    "dev_accounts",
    "dev_role_grants",
]

#: anvil / hardhat, geth --dev, and eth-tester.
DEV_CHAIN_IDS = frozenset({31337, 1337, 131277322940537})
_DEV_MNEMONIC = "test test test test test test test test test test test junk"
_MIN_BALANCE = 10**20  # 100 ether: enough for any demo or test run
_TOP_UP = 10**21


def account_from_key(key: str | SecretStr) -> LocalAccount:
    """Return the account of a hex private key (from ``SANDAN_ANCHORER_KEY`` and the like)."""
    secret = key if isinstance(key, str) else key.get_secret_value()
    try:
        account: LocalAccount = Account.from_key(secret.strip())
    except (ValueError, TypeError) as exc:
        # Never echo the key itself.
        raise ConfigurationError("private key is not a 32-byte hex string") from exc
    return account


def dev_accounts(w3: Web3, n: int, *, policy: RetryPolicy | None = None) -> list[LocalAccount]:
    """Return ``n`` funded local accounts on a development chain."""
    retry = policy or RetryPolicy()
    chain_id = retry.call(lambda: w3.eth.chain_id)
    if chain_id not in DEV_CHAIN_IDS:
        raise ConfigurationError(
            f"chain {chain_id} is not a development chain: dev accounts have public keys"
        )
    if n < 1:
        return []
    keys = _tester_keys(w3) or []
    keys = keys[:n] + [_mnemonic_key(i) for i in range(len(keys), n)]
    accounts = [account_from_key(k) for k in keys]
    for account in accounts:
        _top_up(w3, account.address, retry)
    return accounts


def _tester_keys(w3: Web3) -> list[str] | None:
    tester = getattr(w3.provider, "ethereum_tester", None)
    backend = getattr(tester, "backend", None)
    keys = getattr(backend, "account_keys", None)
    if keys is None:
        return None
    return [k.to_hex() if hasattr(k, "to_hex") else str(k) for k in keys]


@functools.cache
def _mnemonic_key(index: int) -> str:
    Account.enable_unaudited_hdwallet_features()
    account = Account.from_mnemonic(_DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return str(account.key.hex())


def _top_up(w3: Web3, address: str, retry: RetryPolicy) -> None:
    """Fund ``address`` from the node's first unlocked account when it runs low."""
    balance = retry.call(lambda: w3.eth.get_balance(address))  # type: ignore[arg-type]
    if balance >= _MIN_BALANCE:
        return
    funder = retry.call(lambda: w3.eth.accounts)[0]
    tx_hash = retry.call(
        lambda: w3.eth.send_transaction({"from": funder, "to": address, "value": _TOP_UP})  # type: ignore[typeddict-item]
    )
    w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)


#: Who the dev accounts stand for in demos, in ``dev_accounts`` order.
DEV_PARTIES = ("admin", "anchorer", "customs", "bank", "inspector", "registrar", "regulator")
_DEV_GRANTS = {
    # The admin also anchors and registers, so a single dev account can run the whole service.
    "ANCHORER_ROLE": ("admin", "anchorer"),
    "REGISTRAR_ROLE": ("admin", "registrar"),
    "CUSTOMS_ROLE": ("customs",),
    "BANK_ROLE": ("bank",),
    "INSPECTOR_ROLE": ("inspector",),
    "REGULATOR_ROLE": ("regulator",),
}


def dev_role_grants(accounts: Sequence[LocalAccount]) -> dict[str, list[str]]:
    """Map each role to the dev accounts that hold it in demos (see :data:`DEV_PARTIES`)."""
    if len(accounts) < len(DEV_PARTIES):
        raise ConfigurationError(f"need {len(DEV_PARTIES)} dev accounts, got {len(accounts)}")
    by_party = dict(zip(DEV_PARTIES, accounts, strict=False))
    return {role: [by_party[p].address for p in parties] for role, parties in _DEV_GRANTS.items()}
