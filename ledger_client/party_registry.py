"""Typed client of ``PartyRegistry``: parties, role spans, signing keys and accounts.

Like the other registry clients, every write has a ``send_x(...) -> TxHash`` and an
``x(...) -> TxResult`` form. It also has an ``encode_x(...) -> bytes`` form: the ABI-encoded
call, so that many writes go in one transaction through :meth:`PartyRegistryClient.multicall`.

Ids are the contract's ``bytes32`` hashes (party id, key hash); roles are bit indexes and
algorithms codes, as the contract stores them. Deriving them from sandan's codes, key ids,
``Role`` and ``Algorithm`` is :mod:`traceability.signing.registry_ids`' job.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from hexbytes import HexBytes

from ledger_client import _convert
from ledger_client._base import RegistryClient
from ledger_client._convert import Bytes32Like, bytes32
from ledger_client.errors import ConfigurationError
from ledger_client.types import (
    AccountView,
    KeyView,
    PartyView,
    SignerView,
    TxHash,
    TxResult,
)

__all__ = ["PartyRegistryClient"]

_UINT64_MAX = 2**64 - 1


class _Call(NamedTuple):
    """One contract function and its converted arguments: sent alone or encoded for multicall."""

    name: str
    args: tuple[Any, ...]


class PartyRegistryClient(RegistryClient):
    """Client of ``PartyRegistry`` (every write needs REGISTRAR_ROLE)."""

    contract_name = "PartyRegistry"

    # Parties -------------------------------------------------------------------

    def encode_register_party(
        self, party_id: Bytes32Like, code: str, record_hash: Bytes32Like, roles: int
    ) -> bytes:
        """ABI-encode a ``registerParty`` call for :meth:`multicall`."""
        return self._encode(_register_party(party_id, code, record_hash, roles))

    def send_register_party(
        self,
        party_id: Bytes32Like,
        code: str,
        record_hash: Bytes32Like,
        roles: int,
        *,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``registerParty``; return the transaction hash without waiting."""
        return self._send(_register_party(party_id, code, record_hash, roles), gas)

    def register_party(
        self, party_id: Bytes32Like, code: str, record_hash: Bytes32Like, roles: int
    ) -> TxResult:
        """Register a party (``party_id`` = keccak256 of ``code``) with its role bit mask."""
        return self.wait_for_receipt(self.send_register_party(party_id, code, record_hash, roles))

    def encode_update_record(self, party_id: Bytes32Like, record_hash: Bytes32Like) -> bytes:
        """ABI-encode an ``updateRecord`` call for :meth:`multicall`."""
        return self._encode(_update_record(party_id, record_hash))

    def send_update_record(
        self, party_id: Bytes32Like, record_hash: Bytes32Like, *, gas: int | None = None
    ) -> TxHash:
        """Send ``updateRecord``; return the transaction hash without waiting."""
        return self._send(_update_record(party_id, record_hash), gas)

    def update_record(self, party_id: Bytes32Like, record_hash: Bytes32Like) -> TxResult:
        """Replace a party's record hash."""
        return self.wait_for_receipt(self.send_update_record(party_id, record_hash))

    def encode_grant_party_role(self, party_id: Bytes32Like, role: int) -> bytes:
        """ABI-encode a ``grantPartyRole`` call for :meth:`multicall`."""
        return self._encode(_role_call("grantPartyRole", party_id, role))

    def send_grant_party_role(
        self, party_id: Bytes32Like, role: int, *, gas: int | None = None
    ) -> TxHash:
        """Send ``grantPartyRole``; return the transaction hash without waiting."""
        return self._send(_role_call("grantPartyRole", party_id, role), gas)

    def grant_party_role(self, party_id: Bytes32Like, role: int) -> TxResult:
        """Grant role index ``role`` to a party from this block on."""
        return self.wait_for_receipt(self.send_grant_party_role(party_id, role))

    def encode_revoke_party_role(self, party_id: Bytes32Like, role: int) -> bytes:
        """ABI-encode a ``revokePartyRole`` call for :meth:`multicall`."""
        return self._encode(_role_call("revokePartyRole", party_id, role))

    def send_revoke_party_role(
        self, party_id: Bytes32Like, role: int, *, gas: int | None = None
    ) -> TxHash:
        """Send ``revokePartyRole``; return the transaction hash without waiting."""
        return self._send(_role_call("revokePartyRole", party_id, role), gas)

    def revoke_party_role(self, party_id: Bytes32Like, role: int) -> TxResult:
        """End a party's span of role index ``role`` in this block."""
        return self.wait_for_receipt(self.send_revoke_party_role(party_id, role))

    # Keys ----------------------------------------------------------------------

    def encode_add_key(
        self, party_id: Bytes32Like, key_hash: Bytes32Like, alg: int, public_key: str
    ) -> bytes:
        """ABI-encode an ``addKey`` call for :meth:`multicall`."""
        return self._encode(_add_key(party_id, key_hash, alg, public_key))

    def send_add_key(
        self,
        party_id: Bytes32Like,
        key_hash: Bytes32Like,
        alg: int,
        public_key: str,
        *,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``addKey``; return the transaction hash without waiting."""
        return self._send(_add_key(party_id, key_hash, alg, public_key), gas)

    def add_key(
        self, party_id: Bytes32Like, key_hash: Bytes32Like, alg: int, public_key: str
    ) -> TxResult:
        """Register a party's signing key (algorithm code ``alg``, public key text)."""
        return self.wait_for_receipt(self.send_add_key(party_id, key_hash, alg, public_key))

    def encode_revoke_key(
        self, key_hash: Bytes32Like, compromised_since_block: int = 0, reason: str = ""
    ) -> bytes:
        """ABI-encode a ``revokeKey`` call for :meth:`multicall`."""
        return self._encode(_revoke_key(key_hash, compromised_since_block, reason))

    def send_revoke_key(
        self,
        key_hash: Bytes32Like,
        compromised_since_block: int = 0,
        reason: str = "",
        *,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``revokeKey``; return the transaction hash without waiting."""
        return self._send(_revoke_key(key_hash, compromised_since_block, reason), gas)

    def revoke_key(
        self, key_hash: Bytes32Like, compromised_since_block: int = 0, reason: str = ""
    ) -> TxResult:
        """Revoke a key from ``compromised_since_block`` on (0: from this block)."""
        return self.wait_for_receipt(
            self.send_revoke_key(key_hash, compromised_since_block, reason)
        )

    # Accounts ------------------------------------------------------------------

    def encode_add_account(self, party_id: Bytes32Like, account: str) -> bytes:
        """ABI-encode an ``addAccount`` call for :meth:`multicall`."""
        return self._encode(_add_account(party_id, account))

    def send_add_account(
        self, party_id: Bytes32Like, account: str, *, gas: int | None = None
    ) -> TxHash:
        """Send ``addAccount``; return the transaction hash without waiting."""
        return self._send(_add_account(party_id, account), gas)

    def add_account(self, party_id: Bytes32Like, account: str) -> TxResult:
        """Record that chain account ``account`` acts for a party."""
        return self.wait_for_receipt(self.send_add_account(party_id, account))

    def encode_remove_account(self, account: str) -> bytes:
        """ABI-encode a ``removeAccount`` call for :meth:`multicall`."""
        return self._encode(_remove_account(account))

    def send_remove_account(self, account: str, *, gas: int | None = None) -> TxHash:
        """Send ``removeAccount``; return the transaction hash without waiting."""
        return self._send(_remove_account(account), gas)

    def remove_account(self, account: str) -> TxResult:
        """Record that ``account`` no longer acts for its party."""
        return self.wait_for_receipt(self.send_remove_account(account))

    # Multicall -----------------------------------------------------------------

    def send_multicall(self, calls: Sequence[bytes], *, gas: int | None = None) -> TxHash:
        """Send ``multicall`` of ``encode_x`` results; return the hash without waiting.

        The calls run in order in one transaction: if any reverts, none takes effect
        and its custom error is raised.
        """
        if not calls:
            raise ConfigurationError("multicall needs at least one call")
        encoded = [_calldata(call, i) for i, call in enumerate(calls)]
        return self._tx.send(self._fn.multicall(encoded), gas=gas)

    def multicall(self, calls: Sequence[bytes]) -> TxResult:
        """Run several encoded writes in one transaction; events come in call order."""
        return self.wait_for_receipt(self.send_multicall(calls))

    # Views ---------------------------------------------------------------------

    def party_of(self, party_id: Bytes32Like) -> PartyView | None:
        """Return a registered party with its current role mask, or None."""
        key = bytes32(party_id, "party_id")
        record_hash, registered, record_block, roles = self._tx.call(self._fn.partyOf(key))
        if registered == 0:
            return None
        return PartyView(key, bytes32(record_hash), registered, record_block, roles)

    def role_span(self, party_id: Bytes32Like, role: int) -> tuple[int, int]:
        """Return ``(since_block, until_block)`` of a party's role; 0 means never / not revoked."""
        fn = self._fn.roleSpan(bytes32(party_id, "party_id"), _uint8(role, "role"))
        since, until = self._tx.call(fn)
        return int(since), int(until)

    def key_of(self, key_hash: Bytes32Like) -> KeyView | None:
        """Return a registered key, or None."""
        key = bytes32(key_hash, "key_hash")
        party, alg, public_hash, valid_from, revoked_from, revocation = self._tx.call(
            self._fn.keyOf(key)
        )
        if valid_from == 0:
            return None
        return KeyView(
            key, bytes32(party), alg, bytes32(public_hash), valid_from, revoked_from, revocation
        )

    def signer_at(self, key_hash: Bytes32Like, block_number: int) -> SignerView | None:
        """Return a key as a verifier sees it in ``block_number`` (roles then), or None."""
        key = bytes32(key_hash, "key_hash")
        block = _uint64(block_number, "block_number")
        party, alg, public_hash, valid_from, revoked_from, roles = self._tx.call(
            self._fn.signerAt(key, block)
        )
        if valid_from == 0:
            return None
        return SignerView(
            key, block, bytes32(party), alg, bytes32(public_hash), valid_from, revoked_from, roles
        )

    def account_of(self, account: str) -> AccountView | None:
        """Return the party ``account`` acts for, or None."""
        checked = _convert.address(account, "account")
        party, since = self._tx.call(self._fn.accountOf(checked))
        if since == 0:
            return None
        return AccountView(checked, bytes32(party), since)

    def _send(self, call: _Call, gas: int | None) -> TxHash:
        return self._tx.send(getattr(self._fn, call.name)(*call.args), gas=gas)

    def _encode(self, call: _Call) -> bytes:
        return bytes(HexBytes(self._contract.encode_abi(call.name, args=list(call.args))))


def _register_party(
    party_id: Bytes32Like, code: str, record_hash: Bytes32Like, roles: int
) -> _Call:
    if isinstance(roles, bool) or not isinstance(roles, int) or not 0 <= roles < 2**256:
        raise ConfigurationError(f"roles must be a uint256 bit mask, got {roles!r}")
    args = (bytes32(party_id, "party_id"), code, bytes32(record_hash, "record_hash"), roles)
    return _Call("registerParty", args)


def _update_record(party_id: Bytes32Like, record_hash: Bytes32Like) -> _Call:
    args = (bytes32(party_id, "party_id"), bytes32(record_hash, "record_hash"))
    return _Call("updateRecord", args)


def _role_call(name: str, party_id: Bytes32Like, role: int) -> _Call:
    return _Call(name, (bytes32(party_id, "party_id"), _uint8(role, "role")))


def _add_key(party_id: Bytes32Like, key_hash: Bytes32Like, alg: int, public_key: str) -> _Call:
    args = (bytes32(party_id, "party_id"), bytes32(key_hash, "key_hash"), _uint8(alg, "alg"))
    return _Call("addKey", (*args, public_key))


def _revoke_key(key_hash: Bytes32Like, compromised_since_block: int, reason: str) -> _Call:
    since = _uint64(compromised_since_block, "compromised_since_block")
    return _Call("revokeKey", (bytes32(key_hash, "key_hash"), since, reason))


def _add_account(party_id: Bytes32Like, account: str) -> _Call:
    args = (bytes32(party_id, "party_id"), _convert.address(account, "account"))
    return _Call("addAccount", args)


def _remove_account(account: str) -> _Call:
    return _Call("removeAccount", (_convert.address(account, "account"),))


def _uint8(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
        raise ConfigurationError(f"{name} must be an integer in [0, 255], got {value!r}")
    return value


def _uint64(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _UINT64_MAX:
        raise ConfigurationError(f"{name} must be an integer in [0, 2**64), got {value!r}")
    return value


def _calldata(call: bytes, index: int) -> bytes:
    if not isinstance(call, bytes | bytearray) or len(call) < 4:
        raise ConfigurationError(f"calls[{index}] is not an encoded call (use encode_x)")
    return bytes(call)
