"""Typed records of the registries' events, decoded from receipts and log queries.

An event compares equal on its arguments only; where it was found (``log``) is kept
aside, so tests and callers can write ``BatchAnchored(root=..., ...)`` and compare.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eth_utils.abi import event_abi_to_log_topic
from hexbytes import HexBytes

from ledger_client._reverts import to_python
from ledger_client.types import Address, Bytes32, LogPosition, TxHash

if TYPE_CHECKING:
    from web3.contract import Contract
    from web3.types import EventData, LogReceipt

__all__ = [
    "BatchAnchored",
    "ContractEvent",
    "DocumentRevoked",
    "DocumentSuperseded",
    "EventDecoder",
    "FinancingDischarged",
    "FinancingRegistered",
    "LotBatchAnchored",
    "LotRecallCleared",
    "LotRecalled",
    "RoleAdminChanged",
    "RoleGranted",
    "RoleRevoked",
    "SettlementConfirmed",
    "TradeReleased",
    "VerdictRecorded",
]

_LOG = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class BatchAnchored:
    """A document batch root was anchored (TradeRegistry)."""

    root: Bytes32
    batch_id: Bytes32
    anchorer: Address
    leaf_count: int
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class DocumentRevoked:
    """A document hash was revoked (TradeRegistry)."""

    document_hash: Bytes32
    revoker: Address
    reason: str
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class DocumentSuperseded:
    """A document hash was superseded by a newer one (TradeRegistry)."""

    old_hash: Bytes32
    new_hash: Bytes32
    anchorer: Address
    reason: str
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class VerdictRecorded:
    """A trade's match verdict was recorded (TradeRegistry)."""

    trade_id: Bytes32
    verdict_hash: Bytes32
    matched: bool
    verdict_count: int
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class TradeReleased:
    """Customs released a trade (TradeRegistry)."""

    trade_id: Bytes32
    customs: Address
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class SettlementConfirmed:
    """A bank confirmed a trade's settlement (TradeRegistry)."""

    trade_id: Bytes32
    settlement_ref: Bytes32
    bank: Address
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class FinancingRegistered:
    """A bank registered financing of a trade (TradeRegistry)."""

    trade_id: Bytes32
    financier: Address
    terms_hash: Bytes32
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class FinancingDischarged:
    """The financing bank discharged its financing (TradeRegistry)."""

    trade_id: Bytes32
    financier: Address
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class LotBatchAnchored:
    """An event batch root of a lot was anchored (TraceRegistry)."""

    lot_id: Bytes32
    root: Bytes32
    batch_id: Bytes32
    anchorer: Address
    event_count: int
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class LotRecalled:
    """An inspector recalled a lot (TraceRegistry)."""

    lot_id: Bytes32
    inspector: Address
    reason: str
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class LotRecallCleared:
    """An inspector cleared a lot's recall (TraceRegistry)."""

    lot_id: Bytes32
    inspector: Address
    reason: str
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class RoleGranted:
    """A role was granted (OpenZeppelin AccessControl)."""

    role: Bytes32
    account: Address
    sender: Address
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class RoleRevoked:
    """A role was revoked or renounced (OpenZeppelin AccessControl)."""

    role: Bytes32
    account: Address
    sender: Address
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class RoleAdminChanged:
    """A role's admin role changed (OpenZeppelin AccessControl)."""

    role: Bytes32
    previous_admin_role: Bytes32
    new_admin_role: Bytes32
    log: LogPosition | None = _LOG


ContractEvent = (
    BatchAnchored
    | DocumentRevoked
    | DocumentSuperseded
    | VerdictRecorded
    | TradeReleased
    | SettlementConfirmed
    | FinancingRegistered
    | FinancingDischarged
    | LotBatchAnchored
    | LotRecalled
    | LotRecallCleared
    | RoleGranted
    | RoleRevoked
    | RoleAdminChanged
)

_CLASSES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        BatchAnchored,
        DocumentRevoked,
        DocumentSuperseded,
        VerdictRecorded,
        TradeReleased,
        SettlementConfirmed,
        FinancingRegistered,
        FinancingDischarged,
        LotBatchAnchored,
        LotRecalled,
        LotRecallCleared,
        RoleGranted,
        RoleRevoked,
        RoleAdminChanged,
    )
}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


class EventDecoder:
    """Decode the logs of one contract into typed event records."""

    def __init__(self, contract: Contract):
        self._contract = contract
        self._by_topic: dict[bytes, Mapping[str, Any]] = {
            event_abi_to_log_topic(item): item  # type: ignore[arg-type]
            for item in contract.abi
            if item.get("type") == "event"
        }

    @property
    def topics(self) -> list[HexBytes]:
        """The topic0 of every event this contract can emit."""
        return [HexBytes(topic) for topic in self._by_topic]

    def decode_logs(self, logs: Iterable[LogReceipt]) -> tuple[ContractEvent, ...]:
        """Decode the logs emitted by this contract; logs of other contracts are skipped."""
        decoded = []
        for log in logs:
            if log["address"] != self._contract.address or not log["topics"]:
                continue
            item = self._by_topic.get(bytes(log["topics"][0]))
            if item is not None:
                decoded.append(self._decode(item, log))
        return tuple(decoded)

    def _decode(self, item: Mapping[str, Any], log: LogReceipt) -> ContractEvent:
        data: EventData = self._contract.events[item["name"]]().process_log(log)
        kinds = {i["name"]: i["type"] for i in item["inputs"]}
        values = {_snake(k): to_python(kinds[k], v) for k, v in data["args"].items()}
        position = LogPosition(
            address=Address(data["address"]),
            block_number=data["blockNumber"],
            tx_hash=TxHash("0x" + bytes(data["transactionHash"]).hex()),
            log_index=data["logIndex"],
        )
        event: ContractEvent = _CLASSES[item["name"]](**values, log=position)
        return event


def events_named(events: Sequence[ContractEvent], kind: type[Any]) -> list[Any]:
    """Return the events of one type, in order."""
    return [event for event in events if isinstance(event, kind)]


def _snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()
