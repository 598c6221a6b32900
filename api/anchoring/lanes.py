"""Anchoring lanes: one small type per kind of outbox work.

An outbox row names its lane in the ``lane`` column, and :func:`lane_of` parses
that text back into a lane:

=================  =============  ==========================  ====================
stored lane        outbox kind    batch                       contract call
=================  =============  ==========================  ====================
``trade``          ``document``   Merkle tree, batch_size     ``anchorBatch``
``lot:<lotId>``    ``event``      Merkle tree, batch_size     ``anchorLotBatch``
``verdict``        ``verdict``    up to 1,000 per transaction ``recordVerdictBatch``
``supersede``      ``supersede``  one per transaction         ``supersedeDocument``
``party``          ``party``      up to 50 per transaction    PartyRegistry ``multicall``
``release:<p>:<b>``  ``release``  up to 1,000 per transaction ``releaseTradesUnderPolicy``
=================  =============  ==========================  ====================

A document or an event signed by a key the PartyRegistry has not yet recorded is
held back (:meth:`Lane.claimable`): a verifier checks that the key was registered
before the batch was anchored, so anchoring it earlier would anchor a document that
can never verify. Registry writes therefore go first, and the lane records their
blocks on the party and key rows when they are confirmed (:meth:`Lane.on_confirmed`).

Each lane also owns its payload type (:mod:`api.anchoring.payloads`, re-exported
here): the services write an outbox row's JSON with ``payload.to_json()``
(through :meth:`Lane.outbox_row`) and the lane reads it back with ``from_json``
when sending, so one class writes and reads each format.
The stored strings and JSON texts are those existing databases hold: change
neither.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Final, Generic, Protocol, TypeVar

from sqlalchemy import exists, literal_column, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from api.anchoring.payloads import (
    DocumentPayload,
    LotEventPayload,
    RegistryPayload,
    ReleasePayload,
    SupersedePayload,
    VerdictPayload,
)
from api.db import notifications
from api.db.models import (
    VERDICT_KIND_SQL,
    AnchorBatchRecord,
    AutoReleaseRecord,
    DocumentRecord,
    OutboxRecord,
    PartyKeyRecord,
    PartyRecord,
    ReleasePolicyRecord,
    TradeRecord,
    utcnow,
    verdict_trade_of,
)
from api.db.returns_models import ReturnRecord
from api.db.trace_models import TraceEnvelopeRecord, TraceEventRecord
from ledger_client import (
    Bytes32,
    Decision,
    PartyLists,
    PartyRegistryClient,
    Supersession,
    TraceRegistryClient,
    TradeRegistryClient,
    TxHash,
)
from ledger_client.events import (
    AccountAdded,
    AccountRemoved,
    BatchAnchored,
    ContractEvent,
    DocumentSuperseded,
    KeyAdded,
    KeyRevoked,
    LotBatchAnchored,
    PartyRecordUpdated,
    PartyRegistered,
    PartyRoleGranted,
    PartyRoleRevoked,
    TradesReleasedUnderPolicy,
    VerdictBatchRecorded,
)
from ledger_client.release_policy import decision_leaves
from traceability.merkle import MerkleTree
from traceability.ordered_merkle import OrderedMerkleTree, verdict_leaf
from traceability.signing.registry_ids import algorithm_code, key_hash, party_id, public_key_hash

__all__ = [
    "NOT_READY",
    "PARTY",
    "REGISTRY_WRITES_PER_TRANSACTION",
    "SUPERSEDE",
    "TRADE",
    "VERDICT",
    "VERDICTS_PER_TRANSACTION",
    "Chain",
    "ChainAnchor",
    "DocumentPayload",
    "Lane",
    "LotEventPayload",
    "LotLane",
    "PartyLane",
    "RegistryPayload",
    "ReleaseLane",
    "ReleasePayload",
    "SupersedeLane",
    "SupersedePayload",
    "TradeLane",
    "UnknownLane",
    "VerdictLane",
    "VerdictPayload",
    "lane_of",
    "verdict_root",
]

#: Verdicts per verdict batch (about 2.7 million gas at 1,000; the contract takes 4,096).
VERDICTS_PER_TRANSACTION = 1000
#: PartyRegistry writes per multicall transaction (a key costs about 100,000 gas).
REGISTRY_WRITES_PER_TRANSACTION = 50
_HEX64 = re.compile(r"[0-9a-f]{64}")


class UnknownLane(ValueError):
    """Raised when a stored lane string names no known lane."""


@dataclass(frozen=True)
class ChainAnchor:
    """Where a batch's transaction landed."""

    tx_hash: str
    block_number: int
    block_hash: str
    gas_used: int | None
    contract_address: str
    #: The registry's events in that transaction, where the lane needs them (a verdict
    #: batch's number is only known from its ``VerdictBatchRecorded`` event).
    events: tuple[ContractEvent, ...] = ()


class Chain(Protocol):
    """What a lane needs of the chain: the typed registry clients and block facts."""

    @property
    def trade(self) -> TradeRegistryClient:
        """The TradeRegistry client, signing as the anchorer."""

    @property
    def trace(self) -> TraceRegistryClient:
        """The TraceRegistry client, signing as the anchorer."""

    @property
    def party(self) -> PartyRegistryClient:
        """The PartyRegistry client, signing as the registrar."""

    @property
    def first_block(self) -> int:
        """The deployment block: searches for past anchors start there."""

    def block_hash(self, number: int) -> str | None:
        """The hash of block ``number`` on the current chain, or None beyond the head."""

    def block_number(self) -> int:
        """The head's number."""


AnyRegistry = TradeRegistryClient | TraceRegistryClient | PartyRegistryClient
#: What a lane's :meth:`~Lane.prepare` hands to its :meth:`~Lane.send` (None for most lanes).
Prepared = Any


class _NotReady:
    """:meth:`Lane.prepare`'s answer for a batch that must wait for another one."""

    def __repr__(self) -> str:
        return "NOT_READY"


NOT_READY: Final = _NotReady()


class _Payload(Protocol):
    def to_json(self) -> str: ...


P = TypeVar("P", bound=_Payload)


# --- lanes --------------------------------------------------------------------------------


class Lane(ABC, Generic[P]):
    """A kind of outbox work: how it is stored, batched, sent and found on chain."""

    #: The ``kind`` column of this lane's outbox rows.
    kind: ClassVar[str]

    @property
    @abstractmethod
    def name(self) -> str:
        """The lane as stored in the outbox and batch ``lane`` columns."""

    @abstractmethod
    def parse(self, text: str) -> P:
        """Read a stored payload of this lane."""

    def outbox_row(self, subject: str, payload: P, *, created_at: datetime) -> dict[str, Any]:
        """The column values of an outbox row of this lane (for a bulk insert)."""
        return {
            "kind": self.kind,
            "subject": subject,
            "lane": self.name,
            "payload": payload.to_json(),
            "created_at": created_at,
        }

    def outbox_record(self, subject: str, payload: P, *, created_at: datetime) -> OutboxRecord:
        """An outbox row of this lane, to add to a session."""
        return OutboxRecord(**self.outbox_row(subject, payload, created_at=created_at))

    def limit(self, batch_size: int) -> int:
        """Rows per transaction, given the configured batch size."""
        return batch_size

    def build(self, rows: Sequence[OutboxRecord]) -> MerkleTree | None:
        """The Merkle tree of a batch of ``rows``, or None for a lane without one."""
        return None

    def claimable(self, stmt: SelectOfScalar[OutboxRecord]) -> SelectOfScalar[OutboxRecord]:
        """``stmt`` (this lane's unbatched rows) narrowed to the rows ready to anchor."""
        return stmt

    def on_confirmed(
        self, session: Session, rows: Sequence[OutboxRecord], anchor: ChainAnchor
    ) -> None:
        """Record, in ``session``, what the confirmed batch of ``rows`` changed."""

    def on_reset(self, session: Session, rows: Sequence[OutboxRecord]) -> None:
        """Undo :meth:`on_confirmed` for a batch the chain forgot (it will be sent again)."""

    def on_refused(self, session: Session, rows: Sequence[OutboxRecord], reason: str) -> None:
        """Record, in ``session``, that the contract refused ``rows`` for good."""

    def prepare(self, session: Session, rows: Sequence[OutboxRecord]) -> Prepared:
        """What :meth:`send` needs from the database besides the rows, read just before each
        send (:data:`NOT_READY` when the batch must wait)."""
        return None

    @abstractmethod
    def registry(self, chain: Chain) -> AnyRegistry:
        """The registry this lane writes to."""

    @abstractmethod
    def send(
        self,
        chain: Chain,
        root: str | None,
        batch_id: str,
        rows: Sequence[OutboxRecord],
        prepared: Prepared = None,
    ) -> TxHash:
        """Broadcast the batch's transaction; return its hash without waiting."""

    @abstractmethod
    def find(
        self, chain: Chain, root: str | None, rows: Sequence[OutboxRecord]
    ) -> ChainAnchor | None:
        """The transaction that already put this batch on chain, if any."""


class _MerkleLane(Lane[P]):
    """Subjects go to chain as the root of their Merkle tree: any size costs the same."""

    #: The event the registry emits when it anchors one of this lane's roots.
    anchored: ClassVar[type[ContractEvent]]

    def build(self, rows: Sequence[OutboxRecord]) -> MerkleTree:
        """The Merkle tree of the rows' subjects (hex hashes), in row order."""
        return MerkleTree.build([bytes.fromhex(r.subject) for r in rows])

    @abstractmethod
    def batch_block(self, chain: Chain, root: bytes) -> int | None:
        """The block the registry's storage records for ``root``, or None if not anchored."""

    def find(
        self, chain: Chain, root: str | None, rows: Sequence[OutboxRecord]
    ) -> ChainAnchor | None:
        """The root's block from storage, then the ``anchored`` event in that block."""
        block = self.batch_block(chain, _root(root))
        if block is None:
            return None
        registry = self.registry(chain)
        events = registry.find_events(self.anchored, block, block, root=_root(root))
        return _anchor(chain, registry, events, fallback_block=block)


@dataclass(frozen=True)
class TradeLane(_MerkleLane[DocumentPayload]):
    """Signed document hashes, anchored as batch roots in TradeRegistry."""

    kind: ClassVar[str] = "document"
    anchored: ClassVar[type[ContractEvent]] = BatchAnchored

    @property
    def name(self) -> str:
        """``trade``."""
        return "trade"

    def parse(self, text: str) -> DocumentPayload:
        """Read a stored payload of this lane."""
        return DocumentPayload.from_json(text)

    def claimable(self, stmt: SelectOfScalar[OutboxRecord]) -> SelectOfScalar[OutboxRecord]:
        """Documents (and return applications) whose signing key the PartyRegistry has
        recorded."""
        unrecorded = exists().where(
            col(DocumentRecord.content_hash) == col(OutboxRecord.subject),
            col(PartyKeyRecord.key_id) == col(DocumentRecord.key_id),
            col(PartyKeyRecord.chain_block).is_(None),
        )
        unrecorded_return = exists().where(
            col(ReturnRecord.content_hash) == col(OutboxRecord.subject),
            col(PartyKeyRecord.key_id) == col(ReturnRecord.key_id),
            col(PartyKeyRecord.chain_block).is_(None),
        )
        return stmt.where(~unrecorded, ~unrecorded_return)

    def registry(self, chain: Chain) -> TradeRegistryClient:
        """TradeRegistry."""
        return chain.trade

    def send(
        self,
        chain: Chain,
        root: str | None,
        batch_id: str,
        rows: Sequence[OutboxRecord],
        prepared: Prepared = None,
    ) -> TxHash:
        """``anchorBatch(root, leafCount, batchId)``."""
        return chain.trade.send_anchor_batch(_root(root), len(rows), bytes.fromhex(batch_id))

    def batch_block(self, chain: Chain, root: bytes) -> int | None:
        """``batchOf(root)``; its ``BatchAnchored`` event is in that block."""
        batch = chain.trade.batch_of(root)
        return None if batch is None else batch.block_number


@dataclass(frozen=True)
class LotLane(_MerkleLane[LotEventPayload]):
    """EPCIS event hashes of one lot, anchored as batch roots in TraceRegistry."""

    kind: ClassVar[str] = "event"
    #: A lot lane is stored as this prefix followed by the lot id.
    prefix: ClassVar[str] = "lot:"
    anchored: ClassVar[type[ContractEvent]] = LotBatchAnchored
    #: Hex of the 32-byte on-chain lot id (lower case).
    lot_id: str

    def __post_init__(self) -> None:
        if not _HEX64.fullmatch(self.lot_id):
            raise ValueError(f"a lot id is 64 lower-case hex digits, got {self.lot_id!r}")

    @property
    def name(self) -> str:
        """``lot:<lotId>``."""
        return self.prefix + self.lot_id

    def parse(self, text: str) -> LotEventPayload:
        """Read a stored payload of this lane."""
        return LotEventPayload.from_json(text)

    def claimable(self, stmt: SelectOfScalar[OutboxRecord]) -> SelectOfScalar[OutboxRecord]:
        """Events that are unsigned or whose signing key the PartyRegistry has recorded."""
        unrecorded = exists().where(
            col(TraceEventRecord.event_hash) == col(OutboxRecord.subject),
            col(TraceEnvelopeRecord.content_hash) == col(TraceEventRecord.envelope_hash),
            col(PartyKeyRecord.key_id) == col(TraceEnvelopeRecord.key_id),
            col(PartyKeyRecord.chain_block).is_(None),
        )
        return stmt.where(~unrecorded)

    def registry(self, chain: Chain) -> TraceRegistryClient:
        """TraceRegistry."""
        return chain.trace

    def send(
        self,
        chain: Chain,
        root: str | None,
        batch_id: str,
        rows: Sequence[OutboxRecord],
        prepared: Prepared = None,
    ) -> TxHash:
        """``anchorLotBatch(lotId, root, eventCount, batchId)``."""
        return chain.trace.send_anchor_lot_batch(
            bytes.fromhex(self.lot_id), _root(root), len(rows), bytes.fromhex(batch_id)
        )

    def batch_block(self, chain: Chain, root: bytes) -> int | None:
        """``lotBatchOf(root)``; its ``LotBatchAnchored`` event is in that block."""
        batch = chain.trace.lot_batch_of(root)
        return None if batch is None else batch.block_number


@dataclass(frozen=True)
class VerdictLane(Lane[VerdictPayload]):
    """Match verdicts, a verdict batch of up to a thousand per ``recordVerdictBatch``.

    The registry numbers each batch and gives verdict ``i`` position ``i``; it builds the
    batch's root itself, so the root is only known once the batch's number is. A trade's
    verdicts reach the chain one batch after another (:meth:`claimable`), and each later
    one supersedes the earlier on chain (:meth:`prepare`), so a trade never has two live
    positions. A confirmed batch records its number and root on its batch row, and each
    trade its latest position (:meth:`on_confirmed`).
    """

    kind: ClassVar[str] = "verdict"
    #: How far back (in blocks) :meth:`find` looks for a batch it does not know the root of:
    #: a resend after a crash comes within hours, far less than this on a 2 s chain.
    find_window: ClassVar[int] = 100_000

    @property
    def name(self) -> str:
        """``verdict``."""
        return "verdict"

    def parse(self, text: str) -> VerdictPayload:
        """Read a stored payload of this lane."""
        return VerdictPayload.from_json(text)

    def claimable(self, stmt: SelectOfScalar[OutboxRecord]) -> SelectOfScalar[OutboxRecord]:
        """Verdicts whose trade's documents are all signed by keys the registry recorded, so
        that a verdict (and so a release) never reaches the chain before its documents can;
        and whose trade has no older verdict still on its way, so that each verdict can name
        the position it supersedes."""
        trade_of = verdict_trade_of(col(OutboxRecord.subject))
        unrecorded = exists().where(
            # The subject is "<tradeId>:<verdictHash>": its first 64 characters name the trade.
            col(DocumentRecord.trade_id) == trade_of,
            col(PartyKeyRecord.key_id) == col(DocumentRecord.key_id),
            col(PartyKeyRecord.chain_block).is_(None),
        )
        older = aliased(OutboxRecord)
        unfinished = select(AnchorBatchRecord.id).where(
            col(AnchorBatchRecord.state).not_in(("confirmed", "refused"))
        )
        older_on_its_way = exists().where(
            col(older.kind) == literal_column(VERDICT_KIND_SQL),
            verdict_trade_of(col(older.subject)) == trade_of,
            col(older.id) < col(OutboxRecord.id),
            or_(col(older.batch_id).is_(None), col(older.batch_id).in_(unfinished)),
        )
        return stmt.where(~unrecorded, ~older_on_its_way)

    def limit(self, batch_size: int) -> int:
        """A verdict costs about 2,700 gas: a thousand fit a block with room."""
        return min(batch_size, VERDICTS_PER_TRANSACTION)

    def registry(self, chain: Chain) -> TradeRegistryClient:
        """TradeRegistry."""
        return chain.trade

    def prepare(self, session: Session, rows: Sequence[OutboxRecord]) -> Prepared:
        """The supersessions of the batch: for each trade with a verdict on chain, the leaf
        and proof of its latest position, which the new verdict replaces.

        :data:`NOT_READY` while an older verdict of one of the trades is still on its way
        (a batch the chain forgot in a reorg, being anchored again)."""
        payloads = [self.parse(row.payload) for row in rows]
        if _older_verdict_pending(session, rows, payloads):
            return NOT_READY
        # Where each trade's current verdict sits, one query for the batch: most trades
        # have none yet (their first verdict), and loading each trade would cost more than
        # the rest of the batch.
        stmt = select(
            TradeRecord.trade_id, TradeRecord.verdict_batch, TradeRecord.verdict_position
        ).where(col(TradeRecord.trade_id).in_({p.trade_id for p in payloads}))
        placed = {
            trade_id: (batch, position)
            for trade_id, batch, position in session.exec(stmt).all()
            if batch is not None and position is not None
        }
        supersessions = []
        for index, payload in enumerate(payloads):
            if payload.trade_id not in placed:
                continue
            chain_batch, position = placed[payload.trade_id]
            earlier = _verdict_row_at(session, chain_batch, position)
            if earlier is None or earlier.proof is None:
                return NOT_READY
            old = self.parse(earlier.payload)
            supersessions.append(
                Supersession(
                    index=index,
                    batch=chain_batch,
                    position=position,
                    verdict_hash=Bytes32(bytes.fromhex(old.verdict_hash)),
                    matched=old.matched,
                    proof=tuple(Bytes32(bytes.fromhex(p)) for p in json.loads(earlier.proof)),
                )
            )
        return tuple(supersessions)

    def send(
        self,
        chain: Chain,
        root: str | None,
        batch_id: str,
        rows: Sequence[OutboxRecord],
        prepared: Prepared = None,
    ) -> TxHash:
        """``recordVerdictBatch(expectedBatch, tradeIds, verdictHashes, matchedMask,
        supersessions, parties)``, numbered the next batch the chain gives: a resend of a batch
        still pending names the same number, so one of the two reverts and :meth:`find` sees
        the other. The party lists come from the rows' payloads alone, so a resend after a
        crash sends the very same calldata."""
        payloads = [self.parse(r.payload) for r in rows]
        return chain.trade.send_record_verdict_batch(
            [bytes.fromhex(p.trade_id) for p in payloads],
            [bytes.fromhex(p.verdict_hash) for p in payloads],
            [p.matched for p in payloads],
            prepared or (),
            parties=verdict_parties(payloads),
        )

    def find(
        self, chain: Chain, root: str | None, rows: Sequence[OutboxRecord]
    ) -> ChainAnchor | None:
        """The ``VerdictBatchRecorded`` event whose batch these rows rebuild: by its root when
        the batch was confirmed before (a re-check), else among this anchorer's recent ones."""
        if root is not None:
            events = chain.trade.find_events(
                VerdictBatchRecorded, chain.first_block, root=bytes.fromhex(root)
            )
        else:
            start = max(chain.first_block, chain.block_number() - self.find_window)
            anchorer = chain.trade.account
            events = chain.trade.find_events(
                VerdictBatchRecorded,
                start,
                None,
                anchorer=anchorer.address if anchorer is not None else None,
            )
        payloads = [self.parse(r.payload) for r in rows]
        for event in reversed(events):
            if event.count == len(rows) and verdict_root(event.batch, payloads) == event.root:
                return _anchor(chain, chain.trade, [event], fallback_block=None)
        return None

    def on_confirmed(
        self, session: Session, rows: Sequence[OutboxRecord], anchor: ChainAnchor
    ) -> None:
        """Record the batch's number and root, and each trade's position in it."""
        recorded = [e for e in anchor.events if isinstance(e, VerdictBatchRecorded)]
        if not recorded or not rows:
            raise ValueError("a confirmed verdict batch names its VerdictBatchRecorded event")
        event = recorded[-1]
        session.execute(
            update(AnchorBatchRecord)
            .where(col(AnchorBatchRecord.id) == rows[0].batch_id)
            .values(chain_batch=event.batch, root=event.root.hex())
        )
        # Each row keeps its proof to the batch's root, as the Merkle lanes' rows do: the
        # bundle and a later supersession read it instead of rebuilding the tree.
        payloads = [self.parse(row.payload) for row in rows]
        tree = OrderedMerkleTree(_verdict_leaves(event.batch, payloads))
        session.execute(
            update(OutboxRecord),
            [
                {"id": row.id, "proof": json.dumps([p.hex() for p in tree.proof(position)])}
                for position, row in enumerate(rows)
            ],
        )
        trade_ids = [p.trade_id for p in payloads]
        known = set(
            session.exec(
                select(TradeRecord.trade_id).where(col(TradeRecord.trade_id).in_(trade_ids))
            ).all()
        )
        places = [
            {"trade_id": p.trade_id, "verdict_batch": event.batch, "verdict_position": position}
            for position, p in enumerate(payloads)
            if p.trade_id in known
        ]
        if places:
            session.execute(update(TradeRecord), places)

    def on_reset(self, session: Session, rows: Sequence[OutboxRecord]) -> None:
        """The chain forgot the batch: its number and root are void, and each trade's latest
        position is again its latest verdict in a batch the chain still holds."""
        if not rows:
            return
        session.execute(
            update(AnchorBatchRecord)
            .where(col(AnchorBatchRecord.id) == rows[0].batch_id)
            .values(chain_batch=None, root=None)
        )
        session.execute(
            update(OutboxRecord)
            .where(col(OutboxRecord.batch_id) == rows[0].batch_id)
            .values(proof=None)
        )
        for row in rows:
            trade = session.get(TradeRecord, self.parse(row.payload).trade_id)
            if trade is None:
                continue
            trade.verdict_batch, trade.verdict_position = _latest_position(
                session, trade.trade_id, excluding=rows[0].batch_id
            )
            session.add(trade)


@dataclass(frozen=True)
class ReleaseLane(Lane[ReleasePayload]):
    """Matched trades of one verdict batch released under one of customs' standing policies.

    A transaction releases positions of one batch, so the lane is per policy and batch.
    The contract checks each trade's stated grade, mode and value against the policy and
    commits the rows' decisions root (each leaf adding the hash of the grade's inputs), by
    which :meth:`find` recognises a release that reached the chain before a crash.
    """

    kind: ClassVar[str] = "release"
    prefix: ClassVar[str] = "release:"
    #: Hex of the policy's id (its EIP-712 digest).
    policy_id: str
    verdict_batch: int

    def __post_init__(self) -> None:
        if not _HEX64.fullmatch(self.policy_id):
            raise ValueError(f"a policy id is 64 lower-case hex digits, got {self.policy_id!r}")
        if self.verdict_batch < 1:
            raise ValueError(f"a verdict batch is numbered from 1, got {self.verdict_batch}")

    @property
    def name(self) -> str:
        """``release:<policyId>:<verdictBatch>``."""
        return f"{self.prefix}{self.policy_id}:{self.verdict_batch}"

    def parse(self, text: str) -> ReleasePayload:
        """Read a stored payload of this lane."""
        return ReleasePayload.from_json(text)

    def limit(self, batch_size: int) -> int:
        """A release costs a few hundred gas a trade; a thousand fit easily."""
        return min(batch_size, VERDICTS_PER_TRANSACTION)

    def registry(self, chain: Chain) -> TradeRegistryClient:
        """TradeRegistry."""
        return chain.trade

    def decisions(self, rows: Sequence[OutboxRecord]) -> dict[int, Decision]:
        """The rows' decisions by position."""
        decided = {}
        for row in rows:
            p = self.parse(row.payload)
            decided[p.position] = Decision(p.grade, p.mode, p.value, bytes.fromhex(p.inputs_hash))
        return decided

    def decisions_root(self, rows: Sequence[OutboxRecord]) -> bytes:
        """The root the contract computes for the rows' decisions."""
        return OrderedMerkleTree(decision_leaves(self.verdict_batch, self.decisions(rows))).root

    def send(
        self,
        chain: Chain,
        root: str | None,
        batch_id: str,
        rows: Sequence[OutboxRecord],
        prepared: Prepared = None,
    ) -> TxHash:
        """``releaseTradesUnderPolicy(batch, mask, decisions, parties)``; the party lists are
        read from the transaction that recorded the verdict batch."""
        verdict_root = bytes.fromhex(self.parse(rows[0].payload).verdict_root)
        return chain.trade.send_release_trades_under_policy(
            self.verdict_batch,
            verdict_root,
            bytes.fromhex(self.policy_id),
            self.decisions(rows),
            self.decisions_root(rows),
        )

    def find(
        self, chain: Chain, root: str | None, rows: Sequence[OutboxRecord]
    ) -> ChainAnchor | None:
        """``policyReleaseOf(decisionsRoot)``, then its event in that block."""
        decisions_root = self.decisions_root(rows)
        found = chain.trade.policy_release_of(decisions_root)
        if found is None:
            return None
        block = found.block_number
        events = chain.trade.find_events(
            TradesReleasedUnderPolicy, block, block, decisions_root=decisions_root
        )
        return _anchor(chain, chain.trade, events, fallback_block=block)

    def on_confirmed(
        self, session: Session, rows: Sequence[OutboxRecord], anchor: ChainAnchor
    ) -> None:
        """Mark the trades released by that transaction, and their decisions released."""
        payloads = [self.parse(row.payload) for row in rows]
        now = utcnow()
        self._tell_released(session, [p.trade_id for p in payloads], anchor, now)
        session.execute(
            update(TradeRecord)
            .where(col(TradeRecord.trade_id).in_([p.trade_id for p in payloads]))
            .where(col(TradeRecord.released_at).is_(None))
            .values(
                released_at=now,
                release_tx=anchor.tx_hash or None,
                release_block=anchor.block_number,
                updated_at=now,
            )
        )
        self._decided(session, payloads, "released", None)

    def _tell_released(
        self, session: Session, trade_ids: list[str], anchor: ChainAnchor, now: datetime
    ) -> None:
        """Notify each newly released trade's parties and the policy's customs office, in the
        transaction that records the release (the chain confirmed it)."""
        policy = session.get(ReleasePolicyRecord, self.policy_id)
        released = session.exec(
            select(TradeRecord).where(
                col(TradeRecord.trade_id).in_(trade_ids), col(TradeRecord.released_at).is_(None)
            )
        ).all()
        events = [
            notifications.Event(
                notifications.Kind.RELEASED,
                frozenset(notifications.trade_parties(session, trade) | (
                    {policy.customs_code} if policy is not None else set()
                )),
                trade.trade_id,
                {"ebpCode": trade.ebp_code, "orderNo": trade.order_no, "policyId": self.policy_id,
                 "txHash": anchor.tx_hash or None, "blockNumber": anchor.block_number},
            )
            for trade in released
        ]  # fmt: skip
        notifications.emit_many(session, events, now=now)

    def on_reset(self, session: Session, rows: Sequence[OutboxRecord]) -> None:
        """The chain forgot the release: the trades are unreleased until it is sent again."""
        payloads = [self.parse(row.payload) for row in rows]
        session.execute(
            update(TradeRecord)
            .where(col(TradeRecord.trade_id).in_([p.trade_id for p in payloads]))
            .values(released_at=None, release_tx=None, release_block=None)
        )
        self._decided(session, payloads, "queued", None)

    def on_refused(self, session: Session, rows: Sequence[OutboxRecord], reason: str) -> None:
        """The contract refused the release (a listed party, a revoked policy): the trade
        waits for customs, and its decision says why."""
        self._decided(session, [self.parse(row.payload) for row in rows], "refused", reason)

    @staticmethod
    def _decided(
        session: Session, payloads: Sequence[ReleasePayload], outcome: str, reason: str | None
    ) -> None:
        session.execute(
            update(AutoReleaseRecord)
            .where(col(AutoReleaseRecord.id).in_([p.decision for p in payloads]))
            .values(outcome=outcome, reason=reason)
        )


def verdict_parties(payloads: Sequence[VerdictPayload]) -> PartyLists:
    """The party lists ``recordVerdictBatch`` commits to for ``payloads``: each verdict's
    signers, as on-chain party ids."""
    return PartyLists.of([[party_id(code) for code in p.party_codes] for p in payloads])


def verdict_root(batch: int, payloads: Sequence[VerdictPayload]) -> bytes:
    """The root ``recordVerdictBatch`` builds for ``payloads`` as verdict batch ``batch``."""
    return OrderedMerkleTree(_verdict_leaves(batch, payloads)).root


def _verdict_leaves(batch: int, payloads: Sequence[VerdictPayload]) -> list[bytes]:
    return [
        verdict_leaf(batch, i, bytes.fromhex(p.trade_id), bytes.fromhex(p.verdict_hash), p.matched)
        for i, p in enumerate(payloads)
    ]


def _verdict_row_at(session: Session, chain_batch: int, position: int) -> OutboxRecord | None:
    """The verdict row at ``position`` of confirmed verdict batch ``chain_batch``, or None."""
    batch_id = session.exec(
        select(AnchorBatchRecord.id).where(
            AnchorBatchRecord.lane == VERDICT.name,
            AnchorBatchRecord.chain_batch == chain_batch,
            AnchorBatchRecord.state == "confirmed",
        )
    ).first()
    if batch_id is None:
        return None
    return session.exec(
        select(OutboxRecord)
        .where(OutboxRecord.batch_id == batch_id)
        .order_by(col(OutboxRecord.id))
        .offset(position)
        .limit(1)
    ).first()


def _older_verdict_pending(
    session: Session, rows: Sequence[OutboxRecord], payloads: Sequence[VerdictPayload]
) -> bool:
    """Whether an older verdict of one of the rows' trades is not yet confirmed (nor
    refused) on chain: one query for the whole batch."""
    row_of = {p.trade_id: row.id or 0 for row, p in zip(rows, payloads, strict=True)}
    trade_of = verdict_trade_of(col(OutboxRecord.subject))
    stmt = (
        select(trade_of, OutboxRecord.id)
        .outerjoin(AnchorBatchRecord, col(AnchorBatchRecord.id) == col(OutboxRecord.batch_id))
        .where(
            col(OutboxRecord.kind) == literal_column(VERDICT_KIND_SQL),
            trade_of.in_(list(row_of)),
            col(OutboxRecord.id) < max(row_of.values()),
            or_(
                col(OutboxRecord.batch_id).is_(None),
                col(AnchorBatchRecord.state).not_in(("confirmed", "refused")),
            ),
        )
    )
    found = session.exec(stmt).all()
    return any((older or 0) < row_of[trade_id] for trade_id, older in found)


def _latest_position(
    session: Session, trade_id: str, *, excluding: str | None
) -> tuple[int | None, int | None]:
    """The trade's latest verdict position in a confirmed verdict batch other than ``excluding``."""
    stmt = (
        select(OutboxRecord.batch_id, AnchorBatchRecord.chain_batch)
        .join(AnchorBatchRecord, col(AnchorBatchRecord.id) == col(OutboxRecord.batch_id))
        .where(
            OutboxRecord.kind == VerdictLane.kind,
            col(OutboxRecord.subject).startswith(trade_id + ":"),
            AnchorBatchRecord.state == "confirmed",
            col(AnchorBatchRecord.chain_batch).is_not(None),
            col(OutboxRecord.batch_id) != excluding,
        )
        .order_by(col(OutboxRecord.id).desc())
    )
    found = session.exec(stmt).first()
    if found is None:
        return None, None
    batch_id, chain_batch = found
    subjects = session.exec(
        select(OutboxRecord.subject)
        .where(OutboxRecord.batch_id == batch_id)
        .order_by(col(OutboxRecord.id))
    ).all()
    position = next(i for i, s in enumerate(subjects) if s.startswith(trade_id + ":"))
    return chain_batch, position


@dataclass(frozen=True)
class SupersedeLane(Lane[SupersedePayload]):
    """Document corrections, one ``supersedeDocument`` call each."""

    kind: ClassVar[str] = "supersede"

    @property
    def name(self) -> str:
        """``supersede``."""
        return "supersede"

    def parse(self, text: str) -> SupersedePayload:
        """Read a stored payload of this lane."""
        return SupersedePayload.from_json(text)

    def limit(self, batch_size: int) -> int:
        """One supersession per transaction."""
        return 1

    def registry(self, chain: Chain) -> TradeRegistryClient:
        """TradeRegistry."""
        return chain.trade

    def send(
        self,
        chain: Chain,
        root: str | None,
        batch_id: str,
        rows: Sequence[OutboxRecord],
        prepared: Prepared = None,
    ) -> TxHash:
        """``supersedeDocument(old, new, reason)``."""
        payload = self.parse(rows[0].payload)
        return chain.trade.send_supersede_document(
            bytes.fromhex(payload.old), bytes.fromhex(payload.new), payload.reason
        )

    def find(
        self, chain: Chain, root: str | None, rows: Sequence[OutboxRecord]
    ) -> ChainAnchor | None:
        """``documentStatus(old)`` names ``new``, then its ``DocumentSuperseded`` event."""
        payload = self.parse(rows[0].payload)
        status = chain.trade.document_status(bytes.fromhex(payload.old))
        if status.successor is None or status.successor.hex() != payload.new:
            return None
        events = chain.trade.find_events(
            DocumentSuperseded,
            status.status_block,
            status.status_block,
            old_hash=bytes.fromhex(payload.old),
        )
        return _anchor(chain, chain.trade, events, fallback_block=None)


@dataclass(frozen=True)
class PartyLane(Lane[RegistryPayload]):
    """PartyRegistry writes (parties, roles, keys, accounts), many per ``multicall``.

    Rows go in outbox order, so a party is registered before its keys in the same
    transaction. A write already on chain (a resend after a crash) makes the whole
    multicall revert; :meth:`find` then sees every write applied and names the block.
    """

    kind: ClassVar[str] = "party"

    @property
    def name(self) -> str:
        """``party``."""
        return "party"

    def parse(self, text: str) -> RegistryPayload:
        """Read a stored payload of this lane."""
        return RegistryPayload.from_json(text)

    def limit(self, batch_size: int) -> int:
        """Up to :data:`REGISTRY_WRITES_PER_TRANSACTION` writes per transaction."""
        return min(batch_size, REGISTRY_WRITES_PER_TRANSACTION)

    def registry(self, chain: Chain) -> PartyRegistryClient:
        """PartyRegistry."""
        return chain.party

    def send(
        self,
        chain: Chain,
        root: str | None,
        batch_id: str,
        rows: Sequence[OutboxRecord],
        prepared: Prepared = None,
    ) -> TxHash:
        """``multicall([...writes])``."""
        calls = []
        for row in rows:
            name, *args = _registry_call(self.parse(row.payload))
            calls.append(getattr(chain.party, f"encode_{name}")(*args))
        return chain.party.send_multicall(calls, gas=_registry_gas(calls))

    def find(
        self, chain: Chain, root: str | None, rows: Sequence[OutboxRecord]
    ) -> ChainAnchor | None:
        """Every write applied on chain, in the block of the latest one."""
        payloads = [self.parse(r.payload) for r in rows]
        applied = [(_applied_block(chain.party, p), p) for p in payloads]
        blocks = [b for b, _ in applied if b is not None]
        if not applied or len(blocks) != len(applied):
            return None
        block = max(blocks)
        latest = next(p for b, p in applied if b == block)
        events = chain.party.find_events(_EVENT_OF[latest.op], block, block)
        return _anchor(chain, chain.party, events, fallback_block=block)

    def on_confirmed(
        self, session: Session, rows: Sequence[OutboxRecord], anchor: ChainAnchor
    ) -> None:
        """The party's and key's chain blocks: a confirmed key may sign from now on."""
        self._record(session, rows, anchor.block_number)

    def on_reset(self, session: Session, rows: Sequence[OutboxRecord]) -> None:
        """Forget the chain blocks: the key signs nothing anchored until it is recorded again."""
        self._record(session, rows, None)

    def _record(self, session: Session, rows: Sequence[OutboxRecord], block: int | None) -> None:
        for row in rows:
            payload = self.parse(row.payload)
            if payload.op == "registerParty":
                session.execute(
                    update(PartyRecord)
                    .where(col(PartyRecord.code) == payload.arg("code"))
                    .values(chain_block=block)
                )
            elif payload.op in ("addKey", "revokeKey"):
                column = "chain_block" if payload.op == "addKey" else "revoked_chain_block"
                session.execute(
                    update(PartyKeyRecord)
                    .where(col(PartyKeyRecord.key_id) == payload.arg("keyId"))
                    .values({column: block})
                )


#: Gas a registry write needs at most before its calldata (addKey measures ~99,000), and per
#: byte of calldata: 16 to send it, 8 for the event that repeats it, memory besides.
_WRITE_GAS = 160_000
_GAS_PER_BYTE = 64
_MULTICALL_GAS = 40_000
#: Above this the node is asked instead (a block holds 30M gas on the default chains).
_MAX_FIXED_GAS = 15_000_000


def _registry_gas(calls: Sequence[bytes]) -> int | None:
    """A gas limit that covers ``calls`` with room to spare; unused gas is not charged.

    Giving it saves the node an ``eth_estimateGas`` per batch, which on some nodes (the
    in-process chain among them) re-runs the transaction a dozen times. A write that
    reverts still fails as a whole: the gateway then asks the chain what was applied.
    """
    gas = _MULTICALL_GAS + sum(_WRITE_GAS + _GAS_PER_BYTE * len(call) for call in calls)
    return gas if gas <= _MAX_FIXED_GAS else None


#: The event each registry write emits (to find the transaction of a write on chain).
_EVENT_OF: dict[str, type[ContractEvent]] = {
    "registerParty": PartyRegistered,
    "updateRecord": PartyRecordUpdated,
    "grantPartyRole": PartyRoleGranted,
    "revokePartyRole": PartyRoleRevoked,
    "addKey": KeyAdded,
    "revokeKey": KeyRevoked,
    "addAccount": AccountAdded,
    "removeAccount": AccountRemoved,
}


def _registry_call(payload: RegistryPayload) -> tuple[Any, ...]:
    """The PartyRegistryClient write (``encode_<name>``) and arguments of a stored write."""
    a = payload.arg
    match payload.op:
        case "registerParty":
            code = a("code")
            record = bytes.fromhex(a("recordHash"))
            return ("register_party", party_id(code), code, record, a("roles"))
        case "updateRecord":
            return ("update_record", party_id(a("code")), bytes.fromhex(a("recordHash")))
        case "grantPartyRole":
            return ("grant_party_role", party_id(a("code")), a("role"))
        case "revokePartyRole":
            return ("revoke_party_role", party_id(a("code")), a("role"))
        case "addKey":
            key = (key_hash(a("keyId")), algorithm_code(a("alg")), a("publicKey"))
            return ("add_key", party_id(a("code")), *key)
        case "revokeKey":
            since = a("compromisedSinceBlock") or 0
            return ("revoke_key", key_hash(a("keyId")), since, a("reason"))
        case "addAccount":
            return ("add_account", party_id(a("code")), a("account"))
        case "removeAccount":
            return ("remove_account", a("account"))
    raise ValueError(f"unknown registry operation {payload.op!r}")


def _applied_block(party: PartyRegistryClient, payload: RegistryPayload) -> int | None:
    """The block in which ``payload``'s write took effect on chain, or None if it did not."""
    a = payload.arg
    match payload.op:
        case "registerParty":
            view = party.party_of(party_id(a("code")))
            same = view is not None and view.record_hash.hex() == a("recordHash")
            return view.registered_block if view is not None and same else None
        case "updateRecord":
            view = party.party_of(party_id(a("code")))
            matches = view is not None and view.record_hash.hex() == a("recordHash")
            return view.record_block if view is not None and matches else None
        case "grantPartyRole":
            since, until = party.role_span(party_id(a("code")), a("role"))
            return since if since and not until else None
        case "revokePartyRole":
            return party.role_span(party_id(a("code")), a("role"))[1] or None
        case "addKey":
            # The same key, not merely the same id: a key id registered on chain with
            # another public key (an older database on the same chain) is not this write.
            key = party.key_of(key_hash(a("keyId")))
            same = (
                key is not None
                and key.party_id == party_id(a("code"))
                and key.public_key_hash == public_key_hash(a("publicKey"))
            )
            return key.valid_from_block if key is not None and same else None
        case "revokeKey":
            key = party.key_of(key_hash(a("keyId")))
            return key.revocation_block or None if key is not None else None
        case "addAccount":
            account = party.account_of(a("account"))
            owned = account is not None and account.party_id == party_id(a("code"))
            return account.since_block if account is not None and owned else None
        case "removeAccount":
            return _removal_block(party, a("code"), a("account"))
    raise ValueError(f"unknown registry operation {payload.op!r}")


def _removal_block(party: PartyRegistryClient, code: str, account: str) -> int | None:
    """The block of the party's latest ``AccountRemoved`` for ``account``, if the account no
    longer acts for it (the registry keeps no removal block: its event does)."""
    current = party.account_of(account)
    if current is not None and current.party_id == party_id(code):
        return None
    view = party.party_of(party_id(code))
    if view is None:
        return None
    removed = party.find_events(
        AccountRemoved, view.registered_block, party_id=party_id(code), account=account
    )
    return removed[-1].log.block_number if removed and removed[-1].log is not None else None


TRADE = TradeLane()
VERDICT = VerdictLane()
SUPERSEDE = SupersedeLane()
PARTY = PartyLane()
_NAMED: dict[str, Lane[Any]] = {lane.name: lane for lane in (TRADE, VERDICT, SUPERSEDE, PARTY)}


def lane_of(text: str) -> Lane[Any]:
    """The lane a stored ``lane`` string names; raise UnknownLane for any other text."""
    named = _NAMED.get(text)
    if named is not None:
        return named
    if text.startswith(LotLane.prefix):
        try:
            return LotLane(text.removeprefix(LotLane.prefix))
        except ValueError as exc:
            raise UnknownLane(f"unknown lane {text!r}: {exc}") from exc
    if text.startswith(ReleaseLane.prefix):
        policy, _, batch = text.removeprefix(ReleaseLane.prefix).partition(":")
        try:
            return ReleaseLane(policy, int(batch))
        except ValueError as exc:
            raise UnknownLane(f"unknown lane {text!r}: {exc}") from exc
    raise UnknownLane(
        f"unknown lane {text!r}: expected trade, verdict, supersede, party, lot:<lotId> "
        "or release:<policyId>:<verdictBatch>"
    )


# --- helpers ------------------------------------------------------------------------------


def _root(root: str | None) -> bytes:
    if root is None:
        raise ValueError("a Merkle lane's batch has a root")
    return bytes.fromhex(root)


def _anchor(
    chain: Chain,
    registry: AnyRegistry,
    events: Sequence[ContractEvent],
    *,
    fallback_block: int | None,
) -> ChainAnchor | None:
    """The anchor the last of ``events`` names; without one, the block the contract's
    storage names (a node restored from a state dump keeps storage, not logs)."""
    log = events[-1].log if events else None
    if log is not None:
        result = registry.result_of(log.tx_hash)
        return ChainAnchor(
            tx_hash=log.tx_hash,
            block_number=log.block_number,
            block_hash=log.block_hash,
            gas_used=result.gas_used if result is not None else None,
            contract_address=log.address,
            events=(events[-1],),
        )
    if fallback_block is None:
        return None
    return ChainAnchor(
        tx_hash="",
        block_number=fallback_block,
        block_hash=chain.block_hash(fallback_block) or "",
        gas_used=None,
        contract_address=registry.address,
    )
