"""Self-custody authorizations: what a customs officer or bank signs so anyone can relay it.

TradeRegistry v2 names trades by their place on chain: a verdict batch's number and the
positions in it. A release, settlement or financing authorization signs the
``selectionSubject`` of the batch's number, its root and the positions: the root commits
to every trade and verdict of the batch, so the signature names exactly the trades and
the verdicts (and through them the documents) it was judged on. A discharge signs the
``dischargeSubject`` of the financing and the positions. The ledger client turns the
subject into EIP-712 typed data and signs it (``ledger_client.authorization``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger_client import (
    AuthorizationAction,
    Signature,
    authorization_typed_data,
    discharge_subject,
    selection_subject,
    settlement_data,
)

__all__ = ["ACTION_NAMES", "PreparedAuthorization", "prepare_authorization"]

_ZERO = bytes(32)
#: The actions whose ``data`` word carries a value (the others sign zero).
_DATA_ACTIONS = frozenset(
    {AuthorizationAction.CONFIRM_SETTLEMENT, AuthorizationAction.REGISTER_FINANCING}
)
#: Each action by the stem of its function: the relayer calls ``<name>WithSig``.
ACTION_NAMES = {
    AuthorizationAction.RELEASE: "releaseTrades",
    AuthorizationAction.CONFIRM_SETTLEMENT: "confirmSettlements",
    AuthorizationAction.REGISTER_FINANCING: "registerFinancing",
    AuthorizationAction.DISCHARGE_FINANCING: "dischargeFinancing",
}


@dataclass(frozen=True)
class PreparedAuthorization:
    """An authorization ready to sign: the trades, where they sit on chain, and typed data."""

    action: AuthorizationAction
    trade_ids: tuple[bytes, ...]
    verdict_hashes: tuple[bytes, ...]
    batch: int
    positions: tuple[int, ...]
    financing_id: int | None
    subject: bytes
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
        extra = {} if self.financing_id is None else {"financingId": self.financing_id}
        return {
            "action": ACTION_NAMES[self.action],
            "signer": signature.signer,
            "tradeIds": [trade_id.hex() for trade_id in self.trade_ids],
            **named,
            "batch": self.batch,
            "positions": list(self.positions),
            **extra,
            "subject": "0x" + self.subject.hex(),
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
    batch: int,
    positions: list[int],
    root: bytes | None = None,
    financing_id: int | None = None,
    verdict_hashes: list[bytes] | None = None,
    nonce: int,
    deadline: int,
    chain_id: int,
    registry: str,
) -> PreparedAuthorization:
    """Build the authorization of ``action`` over the trades ``trade_ids`` at ``positions``
    of verdict batch ``batch`` (one trade, except for a release).

    Release, settlement and financing are judged on a verdict: ``verdict_hashes`` gives the
    one of each trade (what the officer judged; the positions' leaves must carry them), and
    ``root`` is the batch's root on chain. A discharge names ``financing_id`` instead.

    Raises ValueError when the trades, positions, verdicts or ``data`` do not fit the action.
    """
    word = _data_word(action, data)
    if action is not AuthorizationAction.RELEASE and len(trade_ids) != 1:
        raise ValueError(f"{ACTION_NAMES[action]} authorizes exactly one trade")
    if len(set(trade_ids)) != len(trade_ids):
        raise ValueError("an authorization cannot name a trade twice")
    if len(positions) != len(trade_ids) or len(set(positions)) != len(positions):
        raise ValueError("each trade needs its own position in the verdict batch")
    if action is AuthorizationAction.DISCHARGE_FINANCING:
        if financing_id is None or verdict_hashes:
            raise ValueError("a discharge names its financing, and no verdict")
        subject = discharge_subject(financing_id, positions)
        verdicts: list[bytes] = []
    else:
        if root is None or len(root) != 32:
            raise ValueError(f"{ACTION_NAMES[action]} needs the verdict batch's root")
        if verdict_hashes is None or len(verdict_hashes) != len(trade_ids):
            raise ValueError(f"{ACTION_NAMES[action]} needs the verdict of each trade")
        if any(len(v) != 32 for v in verdict_hashes):
            raise ValueError("a verdict hash is 32 bytes")
        subject = selection_subject(batch, root, positions)
        verdicts = list(verdict_hashes)
    typed_data = authorization_typed_data(
        action, subject, word, nonce, deadline, chain_id, registry
    )
    return PreparedAuthorization(
        action,
        tuple(trade_ids),
        tuple(verdicts),
        batch,
        tuple(positions),
        financing_id,
        subject,
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
    if action is AuthorizationAction.CONFIRM_SETTLEMENT:
        # The contract signs keccak256(abi.encodePacked(references)): one reference here.
        return settlement_data([data])
    return data
