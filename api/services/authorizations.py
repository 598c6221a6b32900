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
from traceability.trade.verdict import trade_verdict_key

__all__ = ["ACTION_NAMES", "PreparedAuthorization", "prepare_authorization"]

_ZERO = bytes(32)
#: The actions whose ``data`` word carries a value (the others sign zero).
_DATA_ACTIONS = frozenset(
    {AuthorizationAction.CONFIRM_SETTLEMENT, AuthorizationAction.REGISTER_FINANCING}
)
#: The actions judged on a verdict: they sign trade-verdict keys, not bare trade ids.
_VERDICT_ACTIONS = frozenset(
    {
        AuthorizationAction.RELEASE,
        AuthorizationAction.CONFIRM_SETTLEMENT,
        AuthorizationAction.REGISTER_FINANCING,
    }
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
    """An authorization ready to sign: the trades (and the verdicts they are judged on) in
    relay order, flags, root and typed data."""

    action: AuthorizationAction
    trade_ids: tuple[bytes, ...]
    verdict_hashes: tuple[bytes, ...]
    proof_flags: tuple[bool, ...]
    trades_root: bytes
    data: bytes
    nonce: int
    deadline: int
    typed_data: dict[str, Any]

    def to_json(self, signature: Signature) -> dict[str, Any]:
        """The JSON a relayer needs, with ``signature`` over :attr:`typed_data`."""
        verdicts = [v.hex() for v in self.verdict_hashes]
        if self.action is AuthorizationAction.RELEASE:
            named: dict[str, Any] = {"verdictHashes": verdicts}
        else:
            named = {"verdictHash": verdicts[0]} if verdicts else {}
        return {
            "action": ACTION_NAMES[self.action],
            "signer": signature.signer,
            "tradeIds": [trade_id.hex() for trade_id in self.trade_ids],
            **named,
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
    verdict_hashes: list[bytes] | None = None,
    nonce: int,
    deadline: int,
    chain_id: int,
    registry: str,
) -> PreparedAuthorization:
    """Build the authorization of ``action`` over ``trade_ids`` (one, except for release).

    Release, settlement and financing are judged on a verdict: ``verdict_hashes`` gives the
    one of each trade, and the tree is built over their trade-verdict keys, so the signature
    names the verdict (and through it the documents). Discharge names the trade alone.

    Raises ValueError when the trade count, the verdicts or ``data`` do not fit the action.
    """
    word = _data_word(action, data)
    if action is not AuthorizationAction.RELEASE and len(trade_ids) != 1:
        raise ValueError(f"{ACTION_NAMES[action]} authorizes exactly one trade")
    if len(set(trade_ids)) != len(trade_ids):
        raise ValueError("an authorization cannot name a trade twice")
    verdicts = _verdicts(action, trade_ids, verdict_hashes)
    # What each leaf signs: the trade-verdict key, or the bare trade id for a discharge.
    signed: dict[bytes, tuple[bytes, bytes | None]] = {
        (trade_verdict_key(trade_id, verdict) if verdict is not None else trade_id): (
            trade_id,
            verdict,
        )
        for trade_id, verdict in zip(trade_ids, verdicts, strict=True)
    }
    tree = MerkleTree.build(list(signed))
    # Every trade is proved, so the multiproof has no proof hashes: only order and flags.
    multiproof = tree.multiproof(list(signed))
    typed_data = authorization_typed_data(
        action, tree.root, word, nonce, deadline, chain_id, registry
    )
    ordered = [signed[value] for value in multiproof.leaves]
    return PreparedAuthorization(
        action,
        tuple(trade_id for trade_id, _ in ordered),
        tuple(verdict for _, verdict in ordered if verdict is not None),
        multiproof.proof_flags,
        tree.root,
        word,
        nonce,
        deadline,
        typed_data,
    )


def _verdicts(
    action: AuthorizationAction, trade_ids: list[bytes], verdict_hashes: list[bytes] | None
) -> list[bytes | None]:
    if action not in _VERDICT_ACTIONS:
        if verdict_hashes:
            raise ValueError(f"{ACTION_NAMES[action]} names no verdict")
        return [None] * len(trade_ids)
    if verdict_hashes is None or len(verdict_hashes) != len(trade_ids):
        raise ValueError(f"{ACTION_NAMES[action]} needs the verdict of each trade")
    if any(len(v) != 32 for v in verdict_hashes):
        raise ValueError("a verdict hash is 32 bytes")
    return list(verdict_hashes)


def _data_word(action: AuthorizationAction, data: bytes | None) -> bytes:
    if action not in _DATA_ACTIONS:
        if data not in (None, _ZERO):
            raise ValueError(f"{ACTION_NAMES[action]} signs no data")
        return _ZERO
    if data is None or len(data) != 32 or data == _ZERO:
        raise ValueError(f"{ACTION_NAMES[action]} needs a non-zero 32-byte value")
    return data
