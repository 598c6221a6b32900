"""Self-custody authorizations: what a customs officer or bank signs so anyone can relay it.

The domain builds the trades' Merkle tree and the multiproof that fixes the relay order
(``traceability.merkle``); the ledger client turns the root into EIP-712 typed data and
signs it (``ledger_client.authorization``). This module joins the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger_client import AuthorizationAction, Signature, authorization_typed_data
from traceability.merkle import MerkleTree

__all__ = ["ACTION_NAMES", "PreparedAuthorization", "prepare_authorization"]

_ZERO = bytes(32)
#: The actions whose ``data`` word carries a value (the others sign zero).
_DATA_ACTIONS = frozenset(
    {AuthorizationAction.CONFIRM_SETTLEMENT, AuthorizationAction.REGISTER_FINANCING}
)
#: Each action by the stem of its function: the relayer calls ``<name>WithSig``.
ACTION_NAMES = {
    AuthorizationAction.RELEASE: "release",
    AuthorizationAction.CONFIRM_SETTLEMENT: "confirmSettlement",
    AuthorizationAction.REGISTER_FINANCING: "registerFinancing",
    AuthorizationAction.DISCHARGE_FINANCING: "dischargeFinancing",
}


@dataclass(frozen=True)
class PreparedAuthorization:
    """An authorization ready to sign: the trades in relay order, flags, root and typed data."""

    action: AuthorizationAction
    trade_ids: tuple[bytes, ...]
    proof_flags: tuple[bool, ...]
    trades_root: bytes
    data: bytes
    nonce: int
    deadline: int
    typed_data: dict[str, Any]

    def to_json(self, signature: Signature) -> dict[str, Any]:
        """The JSON a relayer needs, with ``signature`` over :attr:`typed_data`."""
        return {
            "action": ACTION_NAMES[self.action],
            "signer": signature.signer,
            "tradeIds": [trade_id.hex() for trade_id in self.trade_ids],
            "proofFlags": list(self.proof_flags),
            "tradesRoot": "0x" + self.trades_root.hex(),
            "data": "0x" + self.data.hex(),
            "nonce": self.nonce,
            "deadline": self.deadline,
            "signature": signature.hex,
            "typedData": self.typed_data,
        }


def prepare_authorization(
    action: AuthorizationAction,
    trade_ids: list[bytes],
    data: bytes | None,
    *,
    nonce: int,
    deadline: int,
    chain_id: int,
    registry: str,
) -> PreparedAuthorization:
    """Build the authorization of ``action`` over ``trade_ids`` (one, except for release).

    Raises ValueError when the trade count or ``data`` does not fit the action.
    """
    word = _data_word(action, data)
    if action is not AuthorizationAction.RELEASE and len(trade_ids) != 1:
        raise ValueError(f"{ACTION_NAMES[action]} authorizes exactly one trade")
    tree = MerkleTree.build(trade_ids)
    # Every trade is proved, so the multiproof has no proof hashes: only order and flags.
    multiproof = tree.multiproof(trade_ids)
    typed_data = authorization_typed_data(
        action, tree.root, word, nonce, deadline, chain_id, registry
    )
    return PreparedAuthorization(
        action,
        multiproof.leaves,
        multiproof.proof_flags,
        tree.root,
        word,
        nonce,
        deadline,
        typed_data,
    )


def _data_word(action: AuthorizationAction, data: bytes | None) -> bytes:
    if action not in _DATA_ACTIONS:
        if data not in (None, _ZERO):
            raise ValueError(f"{ACTION_NAMES[action]} signs no data")
        return _ZERO
    if data is None or len(data) != 32 or data == _ZERO:
        raise ValueError(f"{ACTION_NAMES[action]} needs a non-zero 32-byte value")
    return data
