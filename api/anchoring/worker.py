"""The anchoring worker: outbox rows → Merkle batches → confirmed on chain → proofs stored.

Crash safety comes from three facts, so that a ``kill -9`` at any instant
neither loses a row nor anchors one twice:

1. A document and its outbox row are written in one database transaction
   (see :mod:`api.services.submission`), so nothing accepted is ever without
   its outbox row.
2. A batch is *built* (root, members, proofs) in one transaction before any
   transaction is sent, and its Merkle root is deterministic from its members.
   On restart, a built or sent batch is *resumed*: the worker first asks the
   chain whether the root is already anchored (``batchOf``) and only sends if
   it is not. The contract refuses a root anchored twice, so even a resend
   after a crash between broadcast and bookkeeping cannot anchor twice.
3. Confirmed batches in recent blocks are re-checked: if the chain forgot
   them (reorg, a local node restarted from an older state dump), they go
   back to *built* and are anchored again, with the same root and proofs.
   After a database restore, :meth:`AnchorWorker.recheck` does the same for every
   confirmed batch, whatever its block, and adopts batches the chain holds but the
   restored database lost (:mod:`api.anchoring.recheck`).

A batch the contract *refuses* (a custom error: the work is wrong, not the node) is
split in two and each half sent again, down to single rows; a single row the contract
still refuses is set aside as ``refused`` with the contract's reason, so one bad write
holds up nothing else, in its lane or any other (no party can freeze the worker).

Lanes keep batches homogeneous: ``trade`` (document hashes, TradeRegistry),
``lot:<lotId>`` (EPCIS event hashes per lot, TraceRegistry), ``verdict``
(recordVerdicts), ``supersede`` (supersedeDocument, one per batch) and ``party``
(PartyRegistry writes, one multicall per batch). A lane may hold rows back
(:meth:`~api.anchoring.lanes.Lane.claimable`): documents and events wait until the
registry has recorded their signing key, and confirming a ``party`` batch records
that (:meth:`~api.anchoring.lanes.Lane.on_confirmed`) in the same transaction. The
worker asks a batch's lane (:mod:`api.anchoring.lanes`) for its size and its
Merkle tree; the gateway asks it for the contract call and the receipt.

The crash drills name each step of this sequence (:data:`api.anchoring.faults.STEPS`)
and kill the worker right after it.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.anchoring.faults import KillPoint
from api.anchoring.gateway import LedgerGateway
from api.anchoring.lanes import NOT_READY, VERDICTS_PER_TRANSACTION, ChainAnchor, Lane, lane_of
from api.anchoring.recheck import RecheckReport, recheck_anchors, record_anchor, reset_batch
from api.anchoring.wakeup import OutboxWakeup
from api.config import ApiSettings
from api.db.engine import is_postgres
from api.db.models import AnchorBatchRecord, OutboxRecord, table_of, utcnow
from ledger_client import ContractReverted, LedgerError
from traceability.merkle import MerkleTree

__all__ = [
    "DONE_STATES",
    "REORG_WINDOW",
    "VERDICTS_PER_TRANSACTION",
    "AnchorWorker",
    "WorkerStats",
]

#: Batch states the worker has finished with: on chain, set aside, or split into halves.
DONE_STATES = ("confirmed", "refused", "split")

logger = logging.getLogger("sandan.worker")

#: How many recent blocks are re-checked for batches the chain may have forgotten.
REORG_WINDOW = 64

#: The longest an idle worker that listens for outbox notifications waits before a pass
#: (which also re-checks recent anchors against the chain).
IDLE_WAIT = 0.5


class AnchoringHost(Protocol):
    """What the worker needs of its process: settings, the database and the chain.

    :class:`api.runtime.Runtime` is one; naming the need here keeps the worker below
    the runtime (which builds the gateway) instead of in a cycle with it.
    """

    @property
    def settings(self) -> ApiSettings: ...

    @property
    def engine(self) -> Engine: ...

    def ledger(self) -> LedgerGateway: ...


@dataclass(frozen=True)
class WorkerStats:
    """What one pass did."""

    batches_built: int = 0
    batches_confirmed: int = 0
    batches_reset: int = 0
    #: Trades the ``decide`` hook decided (automatic releases).
    decided: int = 0


#: The outbox kinds, one per lane type.
KINDS = frozenset({"document", "event", "verdict", "supersede", "party", "release"})


def worker_kinds(text: str | None) -> frozenset[str] | None:
    """The kinds of ``SANDAN_WORKER_KINDS`` (None: every kind); unknown ones are refused."""
    if text is None:
        return None
    kinds = frozenset(text.split(","))
    unknown = sorted(kinds - KINDS)
    if unknown:
        raise ValueError(
            f"SANDAN_WORKER_KINDS: unknown kinds {unknown}; choose from {sorted(KINDS)}"
        )
    return kinds


class AnchorWorker:
    """Drains the outbox into chain transactions; safe to kill and restart at any point."""

    def __init__(
        self,
        runtime: AnchoringHost,
        *,
        batch_size: int | None = None,
        batch_wait: float | None = None,
        confirmations: int | None = None,
        kinds: frozenset[str] | None = None,
        decide: Callable[[], int] | None = None,
    ) -> None:
        """``decide``: called each pass by a worker that anchors releases, before batches are
        built; it queues outbox rows (the service's automatic release decisions) and returns
        how many it decided."""
        settings = runtime.settings
        self.runtime = runtime
        self.batch_size = batch_size or settings.batch_size
        self.batch_wait = settings.batch_wait_seconds if batch_wait is None else batch_wait
        self.confirmations = (
            settings.ledger.confirmations if confirmations is None else confirmations
        )
        self.stop_event = threading.Event()
        self.kill_point = KillPoint.parse(settings.test_kill_after)
        self.kinds = kinds if kinds is not None else worker_kinds(settings.worker_kinds)
        self._decide = decide if self.kinds is None or "release" in self.kinds else None
        self._checked: _Checked | None = None
        #: Batches this process built and has not sent yet.
        self._built_here: set[str] = set()
        #: In the last pass: when the oldest row still waiting for company becomes due (a
        #: ``time.monotonic`` instant), and whether a batch waits on the chain.
        self._due: float | None = None
        self._polling = False

    # --- loop ---------------------------------------------------------------------------

    def run_forever(self, *, idle_sleep: float = 0.05) -> None:
        """Work until :attr:`stop_event` is set; node outages only delay the work.

        After a pass with nothing to do the worker waits: ``idle_sleep`` while a sent batch
        awaits its confirmations (the chain is polled), until the oldest waiting row is
        :attr:`batch_wait` old, or for new outbox rows (:class:`OutboxWakeup`, at most
        :data:`IDLE_WAIT` on PostgreSQL; SQLite, which cannot notify, polls every
        ``idle_sleep``)."""
        wakeup = OutboxWakeup(self.runtime.engine, self.stop_event)
        try:
            self._run(wakeup, idle_sleep)
        finally:
            wakeup.close()

    def _run(self, wakeup: OutboxWakeup, idle_sleep: float) -> None:
        backoff = 0.5
        while not self.stop_event.is_set():
            try:
                self._due = None
                self._polling = False
                stats = self.run_once()
                backoff = 0.5
                if stats == WorkerStats():
                    wakeup.wait(self._idle_timeout(idle_sleep, wakeup.listens))
            except LedgerError as exc:
                logger.warning("chain unavailable, retrying in %.1fs: %s", backoff, exc)
                self.stop_event.wait(backoff)
                backoff = min(backoff * 2, 10.0)
            except Exception:
                # A database hiccup or a node error web3 did not classify: the pass is
                # redone from the database, so log it and try again rather than die.
                logger.exception("worker pass failed, retrying in %.1fs", backoff)
                self.stop_event.wait(backoff)
                backoff = min(backoff * 2, 10.0)

    def _idle_timeout(self, idle_sleep: float, listens: bool) -> float:
        if self._polling or not listens:
            return idle_sleep
        if self._due is not None:
            return max(0.0, min(IDLE_WAIT, self._due - time.monotonic()))
        return IDLE_WAIT

    def run_once(self, *, force: bool = False) -> WorkerStats:
        """One pass: re-check recent anchors, resume unfinished batches, build new ones."""
        ledger = self.runtime.ledger()
        reset = self._recheck_recent(ledger)
        if reset:
            ledger.resync_nonces()
        confirmed = self._resume_all(ledger)
        decided = self._decide() if self._decide is not None else 0
        built = self._build_batches(force=force)
        confirmed_now = self._resume_all(ledger)
        confirmed += confirmed_now
        if confirmed_now and self._decide is not None:
            # A verdict batch confirmed just now makes its trades decidable: decide and send
            # them in this pass rather than the next.
            late = self._decide()
            if late:
                decided += late
                built += self._build_batches(force=force)
                confirmed += self._resume_all(ledger)
        return WorkerStats(
            batches_built=built,
            batches_confirmed=confirmed,
            batches_reset=reset,
            decided=decided,
        )

    def recheck(self) -> RecheckReport:
        """Re-check every confirmed batch against the chain (after a database restore): run
        it before the first pass, so that lost batches are adopted before their rows are
        claimed again. See :mod:`api.anchoring.recheck`."""
        return recheck_anchors(self.runtime.engine, self.runtime.ledger())

    def drain(self, *, timeout: float = 60.0) -> None:
        """Run passes until the outbox is empty and every batch is confirmed (tests, demo)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.run_once(force=True)
            if self._idle():
                return
            time.sleep(0.02)
        raise TimeoutError("outbox not drained in time")

    def _idle(self) -> bool:
        with Session(self.runtime.engine) as session:
            pending = session.exec(
                select(OutboxRecord.id).where(col(OutboxRecord.batch_id).is_(None)).limit(1)
            ).first()
            open_batch = session.exec(
                select(AnchorBatchRecord.id)
                .where(col(AnchorBatchRecord.state).not_in(DONE_STATES))
                .limit(1)
            ).first()
        return pending is None and open_batch is None

    # --- building -------------------------------------------------------------------------

    def _build_batches(self, *, force: bool) -> int:
        built = 0
        for lane in self._pending_lanes():
            while self._build_one(lane, force=force):
                built += 1
        return built

    def _pending_lanes(self) -> list[str]:
        with Session(self.runtime.engine) as session:
            stmt = select(OutboxRecord.lane).where(col(OutboxRecord.batch_id).is_(None))
            if self.kinds is not None:
                stmt = stmt.where(col(OutboxRecord.kind).in_(self.kinds))
            return sorted(session.exec(stmt.distinct()).all())

    def _build_one(self, lane_name: str, *, force: bool) -> bool:
        """Claim up to the lane's limit of rows and build their batch in one transaction."""
        lane = lane_of(lane_name)
        limit = lane.limit(self.batch_size)
        with Session(self.runtime.engine) as session:
            stmt = lane.claimable(
                select(OutboxRecord).where(
                    OutboxRecord.lane == lane_name, col(OutboxRecord.batch_id).is_(None)
                )
            )
            stmt = stmt.order_by(col(OutboxRecord.id)).limit(limit)
            if is_postgres(self.runtime.engine):
                stmt = stmt.with_for_update(skip_locked=True)
            rows = list(session.exec(stmt).all())
            if not rows or not (force or self._ready(rows, limit)):
                return False
            tree = lane.build(rows)
            batch = self._new_batch(lane_name, rows, tree)
            session.add(batch)
            session.flush()
            self._assign(session, batch, rows, tree)
            session.commit()
            self._built_here.add(batch.id)
            logger.info("built batch %s lane=%s rows=%d", batch.id, lane_name, len(rows))
        self.kill_point.reached("batch_built")
        return len(rows) == limit

    def _ready(self, rows: Sequence[OutboxRecord], limit: int) -> bool:
        if len(rows) >= limit:
            return True
        age = (utcnow() - rows[0].created_at).total_seconds()
        if age < self.batch_wait:
            due = time.monotonic() + self.batch_wait - age
            self._due = due if self._due is None else min(self._due, due)
            return False
        return True

    def _new_batch(
        self, lane: str, rows: Sequence[OutboxRecord], tree: MerkleTree | None
    ) -> AnchorBatchRecord:
        return AnchorBatchRecord(
            id=secrets.token_hex(32),
            lane=lane,
            root=tree.root.hex() if tree is not None else None,
            leaf_count=len(rows),
            state="built",
            created_at=utcnow(),
        )

    def _assign(
        self,
        session: Session,
        batch: AnchorBatchRecord,
        rows: Sequence[OutboxRecord],
        tree: MerkleTree | None,
    ) -> None:
        # One executemany of plain values: the ORM's per-row change tracking cost more CPU
        # than the Merkle tree.
        values = [
            {
                "row_id": row.id,
                "batch": batch.id,
                "proof": (
                    json.dumps([p.hex() for p in tree.proof(bytes.fromhex(row.subject))])
                    if tree is not None
                    else row.proof
                ),
            }
            for row in rows
        ]
        outbox = table_of(OutboxRecord)
        session.execute(
            update(outbox)
            .where(outbox.c.id == bindparam("row_id"))
            .values(batch_id=bindparam("batch"), proof=bindparam("proof")),
            values,
        )

    # --- sending and confirming --------------------------------------------------------------

    def _resume_all(self, ledger: LedgerGateway) -> int:
        with Session(self.runtime.engine) as session:
            stmt = (
                select(AnchorBatchRecord.id, AnchorBatchRecord.lane)
                .where(col(AnchorBatchRecord.state).not_in(DONE_STATES))
                .order_by(col(AnchorBatchRecord.created_at))
            )
            batch_ids = [
                batch_id
                for batch_id, lane in session.exec(stmt).all()
                if self.kinds is None or lane_of(lane).kind in self.kinds
            ]
        return sum(1 for batch_id in batch_ids if self._resume(ledger, batch_id))

    def _resume(self, ledger: LedgerGateway, batch_id: str) -> bool:
        """Bring one batch to confirmed: look on chain first, send only if absent."""
        with Session(self.runtime.engine) as session:
            batch = session.get(AnchorBatchRecord, batch_id)
            if batch is None or batch.state in DONE_STATES:
                return False
            # In outbox order: a registry multicall registers a party before its keys.
            stmt = (
                select(OutboxRecord)
                .where(OutboxRecord.batch_id == batch_id)
                .order_by(col(OutboxRecord.id))
            )
            rows = list(session.exec(stmt).all())
            lane = lane_of(batch.lane)
            prepared = lane.prepare(session, rows)
        if prepared is NOT_READY:
            self._polling = True
            return False
        # A batch this process built and has not marked sent was never broadcast: no lookup
        # on the chain (any other batch, resumed after a crash or a restore, is looked up).
        fresh = batch_id in self._built_here and batch.state == "built" and not batch.attempts
        anchor = None if fresh else ledger.find_anchor(lane, batch.root, rows)
        if anchor is not None:
            self.kill_point.reached("anchor_found")
        else:
            self._built_here.discard(batch_id)
            self._mark(batch_id, state="sent", attempts=batch.attempts + 1)
            self.kill_point.reached("batch_sending")
            try:
                anchor = ledger.submit(
                    lane,
                    batch.root,
                    batch.id,
                    rows,
                    prepared=prepared,
                    on_sent=lambda _: self.kill_point.reached("tx_sent"),
                )
            except ContractReverted as exc:
                # The chain has none of it (submit looked) and says why: not the node's fault.
                self._set_aside(batch_id, batch.lane, lane, rows, exc)
                return False
            self.kill_point.reached("receipt_received")
        if not ledger.is_confirmed(anchor, self.confirmations):
            self._polling = True
            return False
        self._confirm(batch_id, anchor, ledger, lane, rows)
        self.kill_point.reached("batch_confirmed")
        return True

    def _set_aside(
        self,
        batch_id: str,
        lane_name: str,
        lane: Lane[Any],
        rows: Sequence[OutboxRecord],
        exc: ContractReverted,
    ) -> None:
        """Split a refused batch into two new ones (in outbox order), or, for one row, mark it
        ``refused`` with the contract's reason: the rest of the work goes on."""
        with Session(self.runtime.engine) as session:
            if len(rows) == 1:
                session.execute(
                    update(AnchorBatchRecord)
                    .where(col(AnchorBatchRecord.id) == batch_id)
                    .values(state="refused", refusal=str(exc)[:1000])
                )
                lane.on_refused(session, rows, str(exc)[:1000])
                logger.warning(
                    "batch %s lane=%s refused by the contract, set aside: %s",
                    batch_id,
                    lane_name,
                    exc,
                )
            else:
                session.execute(
                    update(AnchorBatchRecord)
                    .where(col(AnchorBatchRecord.id) == batch_id)
                    .values(state="split", refusal=str(exc)[:1000])
                )
                middle = len(rows) // 2
                for half in (rows[:middle], rows[middle:]):
                    members = [session.merge(row) for row in half]
                    tree = lane.build(members)
                    new = self._new_batch(lane_name, members, tree)
                    session.add(new)
                    session.flush()
                    self._assign(session, new, members, tree)
                logger.warning(
                    "batch %s lane=%s refused by the contract (%s): split into two",
                    batch_id,
                    lane_name,
                    exc,
                )
            session.commit()

    def _mark(self, batch_id: str, **values: object) -> None:
        with Session(self.runtime.engine) as session:
            session.execute(
                update(AnchorBatchRecord)
                .where(col(AnchorBatchRecord.id) == batch_id)
                .values(**values)
            )
            session.commit()

    def _confirm(
        self,
        batch_id: str,
        anchor: ChainAnchor,
        ledger: LedgerGateway,
        lane: Lane[Any],
        rows: Sequence[OutboxRecord],
    ) -> None:
        with Session(self.runtime.engine) as session:
            record_anchor(session, batch_id, anchor, ledger.chain_id)
            lane.on_confirmed(session, rows, anchor)
            session.commit()
        logger.info("confirmed batch %s in block %d", batch_id, anchor.block_number)

    # --- forgotten anchors ---------------------------------------------------------------------

    def _recheck_recent(self, ledger: LedgerGateway) -> int:
        """Send confirmed batches back to *built* when the chain no longer has them.

        A block commits to its parent, so while the block that was the head at the last
        check is still on the chain, every batch verified then (in it or below it) is
        still there: only the batches confirmed since are looked up. Otherwise (a reorg,
        a node restored from an older dump) every recent batch is.
        """
        head = ledger.block_number()
        seen = self._checked
        if seen is not None and not (
            seen.head <= head and ledger.block_hash(seen.head) == seen.hash
        ):
            seen = None
        head_hash = seen.hash if seen is not None and seen.head == head else ledger.block_hash(head)
        with Session(self.runtime.engine) as session:
            # Three columns, not whole rows: every pass runs this, most often to find that
            # every batch was verified before.
            stmt = select(
                AnchorBatchRecord.id, AnchorBatchRecord.block_number, AnchorBatchRecord.block_hash
            ).where(
                AnchorBatchRecord.state == "confirmed",
                col(AnchorBatchRecord.block_number) >= max(0, head - REORG_WINDOW),
            )
            # Blocks past the head (a node restored from an older dump) are within
            # this bound too, so one query covers both.
            recent = list(session.exec(stmt).all())
        verified = set()
        reset = 0
        for batch_id, block_number, block_hash in recent:
            if seen is not None and batch_id in seen.verified:
                verified.add(batch_id)
                continue
            if ledger.block_hash(block_number or 0) == block_hash:
                if (block_number or 0) <= head:  # an ancestor of the head checked above
                    verified.add(batch_id)
                continue
            logger.warning("batch %s vanished from block %s: re-anchoring", batch_id, block_number)
            with Session(self.runtime.engine) as session:
                batch = session.get(AnchorBatchRecord, batch_id)
                if batch is None:
                    continue
                reset_batch(session, batch)
                session.commit()
            self.kill_point.reached("reorg_reset")
            reset += 1
        self._checked = _Checked(head, head_hash, frozenset(verified)) if head_hash else None
        return reset


@dataclass(frozen=True)
class _Checked:
    """The head at the last re-check, and the batches found on the chain below it."""

    head: int
    hash: str
    verified: frozenset[str]
