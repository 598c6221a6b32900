"""The party lists a verdict batch commits to: who signed each trade's documents.

``TradeRegistry`` refuses release and financing of a trade in which a party on the
negative list signed a document. It learns a trade's parties from the anchorer, which
records them with the verdict batch, never from whoever asks for the release: the batch
stores the hash of its :class:`PartyLists`, and a release passes the lists back to be
checked against it.

The encoding (``ITradeRegistry.PartyLists``) keeps a trade's share small: the batch's
distinct party ids once each (32 bytes per party per batch), then per verdict four
big-endian ``uint16`` slots (8 bytes per trade), each a 1-based index into the party ids
or 0 for none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from ledger_client._convert import Bytes32Like, bytes32
from ledger_client.errors import ConfigurationError
from ledger_client.types import Bytes32

__all__ = ["MAX_PARTIES_PER_TRADE", "PartyLists", "party_id"]

#: Slots per verdict: one per document kind (order, payment, waybill, inventory).
MAX_PARTIES_PER_TRADE = 4
_SLOT_BYTES = 2
_TRADE_BYTES = MAX_PARTIES_PER_TRADE * _SLOT_BYTES
_TABLE_LIMIT = 2**16 - 1


def party_id(code: str) -> Bytes32:
    """A party's on-chain id, as the registries name it: ``keccak256(bytes(code))``."""
    return Bytes32(keccak(text=code))


@dataclass(frozen=True)
class PartyLists:
    """One verdict batch's party lists, as ``recordVerdictBatch`` takes them."""

    parties: tuple[Bytes32, ...]
    slots: bytes

    @classmethod
    def of(cls, per_trade: Sequence[Sequence[Bytes32Like]]) -> PartyLists:
        """The lists of a batch whose verdict ``i`` was signed by ``per_trade[i]`` (party ids;
        order and repeats do not matter). The table lists parties in order of first use and
        each trade's slots ascend, so equal inputs always give equal calldata."""
        index: dict[Bytes32, int] = {}
        slots = bytearray()
        for position, signers in enumerate(per_trade):
            # Deduplicated in the order given (a set's order changes between processes, and
            # a resend must rebuild the same calldata).
            ids = list(dict.fromkeys(bytes32(p, f"parties[{position}]") for p in signers))
            if len(ids) > MAX_PARTIES_PER_TRADE:
                raise ConfigurationError(
                    f"verdict {position} names {len(ids)} parties; at most "
                    f"{MAX_PARTIES_PER_TRADE} sign a trade's documents"
                )
            for pid in ids:
                index.setdefault(pid, len(index) + 1)
            numbers = sorted(index[p] for p in ids)
            numbers += [0] * (MAX_PARTIES_PER_TRADE - len(numbers))
            slots += b"".join(n.to_bytes(_SLOT_BYTES, "big") for n in numbers)
        if len(index) > _TABLE_LIMIT:
            raise ConfigurationError(f"a verdict batch names at most {_TABLE_LIMIT} parties")
        return cls(tuple(index), bytes(slots))

    @classmethod
    def empty(cls, count: int) -> PartyLists:
        """Lists naming no party for any of ``count`` verdicts."""
        return cls((), bytes(_TRADE_BYTES * count))

    @property
    def count(self) -> int:
        """How many verdicts the lists cover."""
        return len(self.slots) // _TRADE_BYTES

    def parties_at(self, position: int) -> frozenset[Bytes32]:
        """The party ids the lists name for verdict ``position``."""
        if not 0 <= position < self.count:
            raise ConfigurationError(f"position {position} is outside lists of {self.count}")
        group = self.slots[position * _TRADE_BYTES : (position + 1) * _TRADE_BYTES]
        numbers = [int.from_bytes(group[i : i + _SLOT_BYTES], "big") for i in range(0, 8, 2)]
        try:
            return frozenset(self.parties[n - 1] for n in numbers if n)
        except IndexError as exc:
            raise ConfigurationError(f"a slot of verdict {position} is past the table") from exc

    def hash(self) -> Bytes32:
        """``partiesHash``: ``keccak256(abi.encode(parties, slots))``, what the batch stores."""
        return Bytes32(keccak(abi_encode(["bytes32[]", "bytes"], [list(self.parties), self.slots])))

    def as_arg(self) -> tuple[Any, ...]:
        """The ``PartyLists`` tuple a contract call takes."""
        return (list(self.parties), self.slots)

    @classmethod
    def from_arg(cls, value: Any) -> PartyLists:
        """Read the ``PartyLists`` argument of a decoded transaction input."""
        if isinstance(value, dict):
            parties, slots = value["parties"], value["slots"]
        else:
            parties, slots = value
        return cls(tuple(bytes32(p) for p in parties), bytes(slots))
