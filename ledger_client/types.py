"""Identifiers and value objects of the ledger client.

Hashes cross this package's boundary as 32-byte ``bytes``; addresses as checksummed
``0x`` strings; transaction hashes as ``0x`` hex strings (easy to store and print).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, NewType

__all__ = [
    "AccountView",
    "Address",
    "Batch",
    "Bytes32",
    "CompiledContract",
    "DocumentCheck",
    "DocumentRecord",
    "DocumentStatus",
    "EventCheck",
    "Financing",
    "FinancingKind",
    "FxSettlement",
    "KeyView",
    "LifeState",
    "Listing",
    "LogPosition",
    "LotBatch",
    "LotStatus",
    "PartyView",
    "ReceiptState",
    "Settlement",
    "Signed",
    "SignerView",
    "Supersession",
    "TradeLife",
    "TradePosition",
    "TradeState",
    "TxHash",
    "TxResult",
    "TypedFinancing",
    "VerdictBatch",
    "VerdictCheck",
    "VerdictLeaf",
    "WarehouseReceipt",
]

Address = NewType("Address", str)
"""A checksummed ``0x`` account or contract address."""
TxHash = NewType("TxHash", str)
"""A ``0x``-prefixed, lower-case transaction hash."""
Bytes32 = NewType("Bytes32", bytes)
"""Exactly 32 bytes: a document hash, Merkle root, trade id, lot id..."""


class DocumentStatus(IntEnum):
    """Mirror of ``ITradeRegistry.DocumentStatus``."""

    ACTIVE = 0
    REVOKED = 1
    SUPERSEDED = 2


class TradeState(IntEnum):
    """Mirror of ``ITradeRegistry.TradeState``."""

    NONE = 0
    MISMATCHED = 1
    MATCHED = 2
    RELEASED = 3
    SETTLED = 4
    SUPERSEDED = 5


class FinancingKind(IntEnum):
    """Mirror of ``ILifecycleRegistry.FinancingKind``: what a typed financing lends on."""

    NONE = 0
    ORDER = 1
    RECEIVABLE = 2
    WAREHOUSE_RECEIPT = 3
    TAX_REFUND_PLEDGE = 4


class ReceiptState(IntEnum):
    """Mirror of ``ILifecycleRegistry.ReceiptState``: where a warehouse receipt stands."""

    NONE = 0
    ISSUED = 1
    PLEDGED = 2
    CANCELLED = 3


class LifeState(IntEnum):
    """Mirror of ``ILifecycleRegistry.LifeState``: where a trade stands after its verdict."""

    NONE = 0
    ACTIVE = 1
    PARTLY_RETURNED = 2
    RETURNED = 3
    CANCELLED = 4


@dataclass(frozen=True)
class CompiledContract:
    """ABI and bytecode of one compiled contract, as stored in ``ledger_client/artifacts``."""

    name: str
    abi: tuple[Mapping[str, Any], ...]
    bytecode: str
    deployed_bytecode: str
    source_hash: str
    solc_version: str


@dataclass(frozen=True)
class LogPosition:
    """Where a log was found: not part of an event's equality."""

    address: Address
    block_number: int
    tx_hash: TxHash
    log_index: int
    block_hash: str
    """The ``0x`` hash of the block holding the log (to tell a reorg from a re-mining)."""


@dataclass(frozen=True)
class TxResult:
    """A mined and confirmed transaction with its decoded events."""

    tx_hash: TxHash
    block_number: int
    block_hash: str
    gas_used: int
    events: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Batch:
    """A document batch anchored in ``TradeRegistry``."""

    root: Bytes32
    anchorer: Address
    leaf_count: int
    block_number: int


@dataclass(frozen=True)
class DocumentRecord:
    """Revocation or supersession status of one document hash."""

    status: DocumentStatus
    successor: Bytes32 | None
    status_block: int


@dataclass(frozen=True)
class DocumentCheck:
    """What one ``verifyDocument`` call says about a document and its proof."""

    document_hash: Bytes32
    root: Bytes32
    anchored: bool
    block_number: int
    anchorer: Address | None
    leaf_count: int
    status: DocumentStatus
    successor: Bytes32 | None
    status_block: int

    @property
    def valid(self) -> bool:
        """True when the proof leads to an anchored root and the document is still active."""
        return self.anchored and self.status is DocumentStatus.ACTIVE


@dataclass(frozen=True)
class Signed:
    """Who relays a ``...WithSig`` call: the acting party, its authorization's nonce and
    deadline, and its 65-byte signature over that authorization."""

    signer: str
    nonce: int
    deadline: int
    signature: bytes | str


@dataclass(frozen=True)
class VerdictBatch:
    """A recorded verdict batch: its number, root, recorder, size and block, and the hash of
    the party lists it committed to (``PartyLists.hash``)."""

    batch: int
    root: Bytes32
    anchorer: Address
    count: int
    block_number: int
    parties_hash: Bytes32 = Bytes32(bytes(32))


@dataclass(frozen=True)
class Listing:
    """A party's negative-list entry (block timestamps): listed while ``since <= t < until``;
    ``until`` is 0 when it was never listed or the listing was lifted. ``active``: in force
    at the block the registry was read at."""

    party_id: Bytes32
    since: int
    until: int
    active: bool


@dataclass(frozen=True)
class VerdictLeaf:
    """One verdict of a batch, as its leaf commits to it: trade ``trade_id`` at ``position``
    of verdict batch ``batch`` was judged as ``verdict_hash`` (a match when ``matched``)."""

    batch: int
    position: int
    trade_id: Bytes32
    verdict_hash: Bytes32
    matched: bool


@dataclass(frozen=True)
class Supersession:
    """A verdict of the batch being recorded (``index``) replacing the same trade's earlier
    verdict at (``batch``, ``position``), proven by that verdict's leaf data and ``proof``."""

    index: int
    batch: int
    position: int
    verdict_hash: Bytes32
    matched: bool
    proof: tuple[Bytes32, ...]


@dataclass(frozen=True)
class Settlement:
    """One settlement call: the root of its reference leaves, the bank, where and when."""

    settlement_id: int
    root: Bytes32
    bank: Address
    count: int
    block_number: int
    verdict_batch: int


@dataclass(frozen=True)
class Financing:
    """One financing call: the bank, its terms, where and when."""

    financing_id: int
    bank: Address
    block_number: int
    verdict_batch: int
    count: int
    terms_hash: Bytes32


@dataclass(frozen=True)
class TradePosition:
    """The state of one verdict position, read without a proof of which trade it holds."""

    batch: int
    position: int
    state: TradeState
    financing_id: int


@dataclass(frozen=True)
class VerdictCheck:
    """``verifyVerdict``: whether ``leaf`` is in its batch's root and where the trade stands.

    ``anchored`` is False (and ``state`` NONE) for a wrong proof or an unknown batch.
    """

    leaf: VerdictLeaf
    root: Bytes32
    anchored: bool
    block_number: int
    anchorer: Address | None
    state: TradeState
    financing: Financing | None


@dataclass(frozen=True)
class LotBatch:
    """An event batch anchored in ``TraceRegistry`` for one lot."""

    root: Bytes32
    lot_id: Bytes32
    anchorer: Address
    event_count: int
    block_number: int


@dataclass(frozen=True)
class LotStatus:
    """Recall status and anchoring summary of one lot."""

    lot_id: Bytes32
    recalled: bool
    batch_count: int
    last_anchored_block: int
    status_block: int
    reason_hash: Bytes32 | None


@dataclass(frozen=True)
class EventCheck:
    """What one ``verifyEvent`` call says about an EPCIS event hash and its proof."""

    event_hash: Bytes32
    root: Bytes32
    anchored: bool
    lot_id: Bytes32 | None
    block_number: int
    anchorer: Address | None
    event_count: int
    recalled: bool = field(default=False)

    @property
    def valid(self) -> bool:
        """True when the proof leads to an anchored root of a lot that is not recalled."""
        return self.anchored and not self.recalled


@dataclass(frozen=True)
class PartyView:
    """A party registered in ``PartyRegistry``; ``roles`` is the current role bit mask."""

    party_id: Bytes32
    record_hash: Bytes32
    registered_block: int
    record_block: int
    roles: int


@dataclass(frozen=True)
class KeyView:
    """A signing key registered in ``PartyRegistry``; revocation blocks are 0 until revoked."""

    key_hash: Bytes32
    party_id: Bytes32
    alg: int
    public_key_hash: Bytes32
    valid_from_block: int
    revoked_from_block: int
    revocation_block: int


@dataclass(frozen=True)
class SignerView:
    """A key as ``signerAt`` reports it for one block, with the roles its party held then."""

    key_hash: Bytes32
    block_number: int
    party_id: Bytes32
    alg: int
    public_key_hash: Bytes32
    valid_from_block: int
    revoked_from_block: int
    roles_at_block: int

    @property
    def key_valid(self) -> bool:
        """True when the key was valid before ``block_number`` and not revoked from it on."""
        registered = 0 < self.valid_from_block < self.block_number
        revoked = self.revoked_from_block != 0 and self.block_number >= self.revoked_from_block
        return registered and not revoked


@dataclass(frozen=True)
class AccountView:
    """A chain account acting for a party in ``PartyRegistry``, since ``since_block``."""

    account: Address
    party_id: Bytes32
    since_block: int


@dataclass(frozen=True)
class TradeLife:
    """One trade's record in ``LifecycleRegistry``; amounts in minor units of its currency.

    ``value`` is 0 while no value is declared; ``live_financing`` is None without a live
    typed financing.
    """

    batch: int
    position: int
    value: int
    returned: int
    fx_settled: int
    live_financing: int | None
    cancelled: bool

    @property
    def unreturned(self) -> int:
        """The declared value less what was returned."""
        return self.value - self.returned


@dataclass(frozen=True)
class FxSettlement:
    """One FX settlement in ``LifecycleRegistry``: the bank, the trades it netted, their total."""

    settlement_id: int
    bank: Address
    count: int
    total: int
    settlement_hash: Bytes32


@dataclass(frozen=True)
class TypedFinancing:
    """One typed financing in ``LifecycleRegistry``: of a trade or a warehouse receipt
    (``subject``), with its limit, total drawn and outstanding amount."""

    financing_id: int
    bank: Address
    kind: FinancingKind
    subject: Bytes32
    limit: int
    drawn: int
    outstanding: int
    terms_hash: Bytes32
    open: bool


@dataclass(frozen=True)
class WarehouseReceipt:
    """A warehouse receipt (仓单) in ``LifecycleRegistry``; ``live_financing`` while pledged."""

    receipt_id: Bytes32
    warehouse_id: Bytes32
    record_hash: Bytes32
    value: int
    state: ReceiptState
    live_financing: int | None
