"""Typed records of the registries' events, decoded from receipts and log queries.

An event compares equal on its arguments only; where it was found (``log``) is kept
aside, so tests and callers can write ``BatchAnchored(root=..., ...)`` and compare.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, get_args

from eth_abi.abi import encode as abi_encode
from eth_typing import HexStr
from eth_utils.abi import event_abi_to_log_topic
from hexbytes import HexBytes

from ledger_client._convert import address, bytes32
from ledger_client._reverts import to_python
from ledger_client.errors import ConfigurationError
from ledger_client.types import Address, Bytes32, FinancingKind, LogPosition, TxHash

if TYPE_CHECKING:
    from web3.contract import Contract
    from web3.types import EventData, LogReceipt

__all__ = [
    "AccountAdded",
    "AccountRemoved",
    "BatchAnchored",
    "ContractEvent",
    "DocumentRevoked",
    "DocumentSuperseded",
    "EventDecoder",
    "FinancingClosed",
    "FinancingDischarged",
    "FinancingDrawn",
    "FinancingOpened",
    "FinancingRegistered",
    "FinancingRepaid",
    "FxSettled",
    "FxSettlementApplied",
    "KeyAdded",
    "KeyRevoked",
    "LifecycleRegistrySet",
    "LotBatchAnchored",
    "LotRecallCleared",
    "LotRecalled",
    "PartyListed",
    "PartyListingLifted",
    "PartyRecordUpdated",
    "PartyRegistered",
    "PartyRoleGranted",
    "PartyRoleRevoked",
    "ReleasePolicyAdopted",
    "ReleasePolicyRevoked",
    "RoleAdminChanged",
    "RoleGranted",
    "RoleRevoked",
    "SettlementsConfirmed",
    "TradeCancelled",
    "TradeReturned",
    "TradeValueDeclared",
    "TradesReleased",
    "TradesReleasedUnderPolicy",
    "VerdictBatchRecorded",
    "VerdictSuperseded",
    "WarehouseReceiptCancelled",
    "WarehouseReceiptIssued",
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


def _positions(mask: Sequence[int]) -> tuple[int, ...]:
    """The positions a word-array bitmask selects: bit ``i`` of word ``w`` is ``256 * w + i``."""
    return tuple(256 * w + i for w, word in enumerate(mask) for i in range(256) if (word >> i) & 1)


@dataclass(frozen=True)
class VerdictBatchRecorded:
    """A verdict batch was recorded under its root (TradeRegistry)."""

    batch: int
    root: Bytes32
    anchorer: Address
    count: int
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class VerdictSuperseded:
    """A trade's verdict at (batch, position) was replaced by a later one (TradeRegistry)."""

    batch: int
    position: int
    new_batch: int
    new_position: int
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class PartyListed:
    """Customs or the regulator put a party on the negative list (TradeRegistry)."""

    party_id: Bytes32
    by: Address
    since: int
    until: int
    reason: str
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class PartyListingLifted:
    """Customs or the regulator lifted a party's listing early (TradeRegistry)."""

    party_id: Bytes32
    by: Address
    reason: str
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class TradesReleased:
    """Customs released the positions of ``mask`` in a verdict batch (TradeRegistry)."""

    batch: int
    customs: Address
    mask: tuple[int, ...]
    log: LogPosition | None = _LOG

    @property
    def positions(self) -> tuple[int, ...]:
        """The released positions, in order."""
        return _positions(self.mask)


@dataclass(frozen=True)
class ReleasePolicyAdopted:
    """Customs' standing release policy was brought on chain (TradeRegistry)."""

    policy_id: Bytes32
    signer: Address
    by: Address
    grades: int
    modes: int
    max_value: int
    valid_from: int
    valid_until: int
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class ReleasePolicyRevoked:
    """A standing release policy was revoked (TradeRegistry)."""

    policy_id: Bytes32
    by: Address
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class TradesReleasedUnderPolicy:
    """The anchorer released positions under a standing policy, on the facts whose keccak-256
    is ``facts_hash``, committing its decisions under ``decisions_root`` (TradeRegistry)."""

    batch: int
    policy_id: Bytes32
    decisions_root: Bytes32
    facts_hash: Bytes32
    relayer: Address
    mask: tuple[int, ...]
    log: LogPosition | None = _LOG

    @property
    def positions(self) -> tuple[int, ...]:
        """The released positions, in order."""
        return _positions(self.mask)


@dataclass(frozen=True)
class SettlementsConfirmed:
    """A bank confirmed the settlement of the positions of ``mask`` (TradeRegistry)."""

    settlement_id: int
    batch: int
    bank: Address
    root: Bytes32
    mask: tuple[int, ...]
    log: LogPosition | None = _LOG

    @property
    def positions(self) -> tuple[int, ...]:
        """The settled positions, in order (the order of the references)."""
        return _positions(self.mask)


@dataclass(frozen=True)
class FinancingRegistered:
    """A bank registered financing of the positions of ``mask`` (TradeRegistry)."""

    financing_id: int
    batch: int
    bank: Address
    terms_hash: Bytes32
    mask: tuple[int, ...]
    log: LogPosition | None = _LOG

    @property
    def positions(self) -> tuple[int, ...]:
        """The financed positions, in order."""
        return _positions(self.mask)


@dataclass(frozen=True)
class FinancingDischarged:
    """The financing bank discharged its financing of the positions of ``mask`` (TradeRegistry)."""

    financing_id: int
    batch: int
    bank: Address
    mask: tuple[int, ...]
    log: LogPosition | None = _LOG

    @property
    def positions(self) -> tuple[int, ...]:
        """The discharged positions, in order."""
        return _positions(self.mask)


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
class PartyRegistered:
    """A party was registered with its record hash and role mask (PartyRegistry)."""

    party_id: Bytes32
    code: str
    record_hash: Bytes32
    roles: int
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class PartyRecordUpdated:
    """A party's record hash changed (PartyRegistry)."""

    party_id: Bytes32
    record_hash: Bytes32
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class PartyRoleGranted:
    """A party was granted a role, by its index (PartyRegistry)."""

    party_id: Bytes32
    role: int
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class PartyRoleRevoked:
    """A party lost a role, by its index (PartyRegistry)."""

    party_id: Bytes32
    role: int
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class KeyAdded:
    """A signing key was registered for a party, with its public key text (PartyRegistry)."""

    party_id: Bytes32
    key_hash: Bytes32
    alg: int
    public_key: str
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class KeyRevoked:
    """A key was revoked from ``revoked_from_block`` on (PartyRegistry)."""

    key_hash: Bytes32
    party_id: Bytes32
    revoked_from_block: int
    reason: str
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class AccountAdded:
    """A chain account started acting for a party (PartyRegistry)."""

    party_id: Bytes32
    account: Address
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class AccountRemoved:
    """A chain account stopped acting for a party (PartyRegistry)."""

    party_id: Bytes32
    account: Address
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
class TradeValueDeclared:
    """The anchorer declared a trade's value, in its currency's minor units (LifecycleRegistry)."""

    batch: int
    position: int
    value: int
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class TradeReturned:
    """An accepted return was recorded on a trade; ``whole`` once everything is returned
    (LifecycleRegistry)."""

    batch: int
    position: int
    return_hash: Bytes32
    amount: int
    returned_total: int
    whole: bool
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class TradeCancelled:
    """Customs cancelled a trade's inventory under its receipt's hash (LifecycleRegistry)."""

    batch: int
    position: int
    receipt_hash: Bytes32
    customs: Address
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class FxSettled:
    """A bank recorded an FX settlement netting ``count`` trades (LifecycleRegistry)."""

    settlement_id: int
    bank: Address
    settlement_hash: Bytes32
    count: int
    total: int
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class FxSettlementApplied:
    """One trade's part of an FX settlement, and its FX-settled total (LifecycleRegistry)."""

    settlement_id: int
    batch: int
    position: int
    amount: int
    fx_settled_total: int
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class FinancingOpened:
    """A bank opened a typed financing of a trade or warehouse receipt (LifecycleRegistry)."""

    financing_id: int
    bank: Address
    kind: FinancingKind
    subject: Bytes32
    limit: int
    terms_hash: Bytes32
    log: LogPosition | None = _LOG

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", FinancingKind(self.kind))


@dataclass(frozen=True)
class FinancingDrawn:
    """The bank drew on a typed financing (LifecycleRegistry)."""

    financing_id: int
    amount: int
    outstanding: int
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class FinancingRepaid:
    """A repayment of a typed financing was recorded (LifecycleRegistry)."""

    financing_id: int
    amount: int
    outstanding: int
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class FinancingClosed:
    """The bank closed a typed financing; its trade or receipt is free (LifecycleRegistry)."""

    financing_id: int
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class WarehouseReceiptIssued:
    """The anchorer relayed a warehouse's receipt record (LifecycleRegistry)."""

    receipt_id: Bytes32
    warehouse_id: Bytes32
    record_hash: Bytes32
    value: int
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class WarehouseReceiptCancelled:
    """The anchorer cancelled a warehouse receipt (LifecycleRegistry)."""

    receipt_id: Bytes32
    reason_hash: Bytes32
    log: LogPosition | None = _LOG


@dataclass(frozen=True)
class LifecycleRegistrySet:
    """The admin named the LifecycleRegistry the TradeRegistry consults (once)."""

    registry: Address
    admin: Address
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
    | VerdictBatchRecorded
    | VerdictSuperseded
    | TradesReleased
    | TradesReleasedUnderPolicy
    | ReleasePolicyAdopted
    | ReleasePolicyRevoked
    | SettlementsConfirmed
    | PartyListed
    | PartyListingLifted
    | FinancingRegistered
    | FinancingDischarged
    | LotBatchAnchored
    | LotRecalled
    | LotRecallCleared
    | PartyRegistered
    | PartyRecordUpdated
    | PartyRoleGranted
    | PartyRoleRevoked
    | KeyAdded
    | KeyRevoked
    | AccountAdded
    | AccountRemoved
    | RoleGranted
    | RoleRevoked
    | RoleAdminChanged
    | TradeValueDeclared
    | TradeReturned
    | TradeCancelled
    | FxSettled
    | FxSettlementApplied
    | FinancingOpened
    | FinancingDrawn
    | FinancingRepaid
    | FinancingClosed
    | WarehouseReceiptIssued
    | WarehouseReceiptCancelled
    | LifecycleRegistrySet
)

_CLASSES: dict[str, type[Any]] = {cls.__name__: cls for cls in get_args(ContractEvent)}
"""Each record class by its Solidity event name (the class name)."""
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


class EventDecoder:
    """Decode the logs of one contract into typed event records."""

    def __init__(self, contract: Contract):
        self._contract = contract
        self._by_name: dict[str, Mapping[str, Any]] = {
            str(item.get("name")): item for item in contract.abi if item.get("type") == "event"
        }
        self._by_topic: dict[bytes, Mapping[str, Any]] = {
            event_abi_to_log_topic(item): item  # type: ignore[arg-type]
            for item in contract.abi
            if item.get("type") == "event"
        }

    @property
    def topics(self) -> list[HexBytes]:
        """The topic0 of every event this contract can emit."""
        return [HexBytes(topic) for topic in self._by_topic]

    def topics_for(self, kind: type[Any], where: Mapping[str, object]) -> list[HexStr | None]:
        """The topic filter of event ``kind`` whose indexed arguments equal ``where``.

        ``where`` names arguments in snake_case, as the event records do; only indexed
        arguments of static types can be filtered on (the node compares topics).
        """
        item = self._by_name.get(kind.__name__)
        if item is None:
            raise ConfigurationError(f"the contract emits no {kind.__name__} event")
        indexed = [i for i in item["inputs"] if i.get("indexed")]
        unknown = set(where) - {_snake(i["name"]) for i in indexed}
        if unknown:
            names = ", ".join(_snake(i["name"]) for i in indexed)
            raise ConfigurationError(
                f"{kind.__name__} cannot be filtered on {sorted(unknown)}: indexed are {names}"
            )
        topic0 = bytes(event_abi_to_log_topic(item))  # type: ignore[arg-type]
        topics: list[HexStr | None] = [HexStr("0x" + topic0.hex())]
        for arg in indexed:
            value = where.get(_snake(arg["name"]))
            topics.append(None if value is None else _topic(arg["type"], value))
        while topics[-1] is None:
            topics.pop()
        return topics

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
            block_hash="0x" + bytes(data["blockHash"]).hex(),
        )
        event: ContractEvent = _CLASSES[item["name"]](**values, log=position)
        return event


def events_named(events: Sequence[ContractEvent], kind: type[Any]) -> list[Any]:
    """Return the events of one type, in order."""
    return [event for event in events if isinstance(event, kind)]


def _topic(kind: str, value: object) -> HexStr:
    """Encode one indexed argument as its 32-byte topic (static ABI types only)."""
    if kind == "bytes32":
        word: bytes = bytes32(value, kind)  # type: ignore[arg-type]
    elif kind == "address":
        word = bytes(12) + bytes.fromhex(address(str(value))[2:])
    elif kind == "bool" or kind.startswith(("uint", "int")):
        word = abi_encode([kind], [value])
    else:
        raise ConfigurationError(f"cannot filter on an indexed {kind} argument")
    return HexStr("0x" + word.hex())


def _snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()
