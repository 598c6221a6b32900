"""Re-checking every anchored batch against the chain, after a database restore.

A database restored from a backup (``pg_dump`` / ``pg_restore``) and the chain can
disagree in two ways, and :func:`recheck_anchors` settles both, the chain deciding:

* the database says a batch is confirmed, but the chain does not hold its root (the
  node, too, came back from an older state): the batch goes back to *built* and the
  worker anchors it again, with the same root and proofs;
* the chain holds a batch the database lost (anchored after the backup, from rows the
  backup has as pending): its ``BatchAnchored`` / ``LotBatchAnchored`` event names the
  batch id and leaf count, and the lane's oldest pending rows rebuild the same root
  (the worker claims in outbox order), so the batch is adopted as confirmed instead of
  anchoring those rows a second time. Rows that do not rebuild the root stay pending and
  the worker anchors them in a new batch; their stored proofs then name the new root.

A batch found on chain in another block or transaction than the database says (a
restore of a dump taken mid-reorg) takes the chain's block and transaction.

The document and lot registries' anchoring logs are read once, from the deployment
block, and answer for every Merkle batch; batches of the other lanes (verdicts,
supersessions, registry writes), and roots without a log, are looked up one by one as
the worker's resume does (:meth:`~api.anchoring.lanes.Lane.find`). Batches the
database has as *built* or *sent* need nothing here: the worker's resume asks the chain
before it sends (see :mod:`api.anchoring.worker`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.anchoring.gateway import LedgerGateway
from api.anchoring.lanes import ChainAnchor, Lane, LotLane, lane_of
from api.db.models import AnchorBatchRecord, OutboxRecord, utcnow
from ledger_client.events import BatchAnchored, LotBatchAnchored
from traceability.merkle import MerkleTree

__all__ = ["RecheckReport", "recheck_anchors", "record_anchor", "reset_batch"]

logger = logging.getLogger("sandan.worker")


@dataclass(frozen=True)
class RecheckReport:
    """What a re-check found, batch by batch."""

    #: Confirmed batches compared with the chain.
    checked: int = 0
    #: Of those, on chain at the root, block and transaction the database names.
    intact: int = 0
    #: On chain, but in another block or transaction: the database now says the chain's.
    corrected: int = 0
    #: Not on chain: back to *built*, to be anchored again with the same root.
    reanchored: int = 0
    #: Batches on chain the database had lost, rebuilt from its pending rows and adopted.
    learned: int = 0
    #: Batches on chain whose rows this database does not hold (written after the backup).
    unknown: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values (``unknown`` as a list of batch ids)."""
        return {
            "checked": self.checked,
            "intact": self.intact,
            "corrected": self.corrected,
            "reanchored": self.reanchored,
            "learned": self.learned,
            "unknown": list(self.unknown),
        }


def recheck_anchors(engine: Engine, ledger: LedgerGateway) -> RecheckReport:
    """Compare every confirmed batch with the chain, repair what differs, adopt lost ones."""
    # One scan of the registries' logs answers for every Merkle batch; only the others,
    # and roots without a log (a node restored from a state dump keeps storage, not logs),
    # are asked one by one.
    on_chain = _chain_batches(ledger)
    by_root = {(found.lane, found.root): found.anchor for found in on_chain}
    intact = corrected = reanchored = 0
    batch_ids = _confirmed_ids(engine)
    for batch_id in batch_ids:
        outcome = _recheck_one(engine, ledger, batch_id, by_root)
        intact += outcome == "intact"
        corrected += outcome == "corrected"
        reanchored += outcome == "reanchored"
    if reanchored:
        ledger.resync_nonces()
    learned, unknown = _learn_lost_batches(engine, ledger, on_chain)
    report = RecheckReport(len(batch_ids), intact, corrected, reanchored, learned, unknown)
    logger.info("recheck: %s", json.dumps(report.to_dict()))
    return report


def reset_batch(session: Session, batch: AnchorBatchRecord) -> None:
    """Send ``batch`` back to *built* (its root and proofs kept) and undo what confirming it
    recorded: the chain does not hold it."""
    session.execute(
        update(AnchorBatchRecord)
        .where(col(AnchorBatchRecord.id) == batch.id)
        .values(state="built", tx_hash=None, block_number=None, block_hash=None)
    )
    rows = session.exec(select(OutboxRecord).where(OutboxRecord.batch_id == batch.id))
    lane_of(batch.lane).on_reset(session, list(rows.all()))


# --- confirmed batches ---------------------------------------------------------------------


def _confirmed_ids(engine: Engine) -> list[str]:
    with Session(engine) as session:
        stmt = (
            select(AnchorBatchRecord.id)
            .where(AnchorBatchRecord.state == "confirmed")
            .order_by(col(AnchorBatchRecord.block_number), col(AnchorBatchRecord.id))
        )
        return list(session.exec(stmt).all())


def _recheck_one(
    engine: Engine,
    ledger: LedgerGateway,
    batch_id: str,
    by_root: dict[tuple[str, str], ChainAnchor],
) -> str:
    """``intact``, ``corrected`` or ``reanchored``: what the chain says of one batch."""
    with Session(engine) as session:
        batch = session.get(AnchorBatchRecord, batch_id)
        assert batch is not None  # listed a moment ago; only this process resets batches
        lane = lane_of(batch.lane)
        anchor = by_root.get((batch.lane, batch.root or ""))
        if anchor is None:
            anchor = ledger.find_anchor(lane, batch.root, _members(session, batch_id))
        if anchor is None:
            logger.warning("batch %s is not on chain: re-anchoring it", batch_id)
            reset_batch(session, batch)
            session.commit()
            return "reanchored"
        if _same_place(batch, anchor):
            return "intact"
        logger.warning(
            "batch %s is on chain in block %d, not %s: recorded",
            batch_id,
            anchor.block_number,
            batch.block_number,
        )
        record_anchor(session, batch_id, _with_gas(lane, ledger, anchor), ledger.chain_id)
        session.commit()
        return "corrected"


def _members(session: Session, batch_id: str) -> list[OutboxRecord]:
    stmt = (
        select(OutboxRecord).where(OutboxRecord.batch_id == batch_id).order_by(col(OutboxRecord.id))
    )
    return list(session.exec(stmt).all())


def _same_place(batch: AnchorBatchRecord, anchor: ChainAnchor) -> bool:
    # A node restored from a state dump keeps storage but not logs: then the anchor has
    # no transaction hash and only the block can be compared.
    same_tx = not anchor.tx_hash or anchor.tx_hash == batch.tx_hash
    return (
        same_tx
        and anchor.block_number == batch.block_number
        and anchor.block_hash == batch.block_hash
    )


def _with_gas(lane: Lane[Any], ledger: LedgerGateway, anchor: ChainAnchor) -> ChainAnchor:
    """``anchor`` with its transaction's gas (a log does not say it; the receipt does)."""
    if anchor.gas_used is not None or not anchor.tx_hash:
        return anchor
    result = lane.registry(ledger).result_of(anchor.tx_hash)
    return replace(anchor, gas_used=result.gas_used if result is not None else None)


def record_anchor(session: Session, batch_id: str, anchor: ChainAnchor, chain_id: int) -> None:
    """Mark batch ``batch_id`` confirmed at ``anchor`` on chain ``chain_id`` (not committed)."""
    session.execute(
        update(AnchorBatchRecord)
        .where(col(AnchorBatchRecord.id) == batch_id)
        .values(
            state="confirmed",
            tx_hash=anchor.tx_hash or None,
            block_number=anchor.block_number,
            block_hash=anchor.block_hash,
            gas_used=anchor.gas_used,
            chain_id=chain_id,
            contract_address=anchor.contract_address,
            confirmed_at=utcnow(),
        )
    )


# --- batches the database lost -------------------------------------------------------------


@dataclass(frozen=True)
class _ChainBatch:
    """A Merkle batch as its anchoring log tells it."""

    lane: str
    batch_id: str
    root: str
    leaf_count: int
    anchor: ChainAnchor


def _learn_lost_batches(
    engine: Engine, ledger: LedgerGateway, on_chain: Sequence[_ChainBatch]
) -> tuple[int, tuple[str, ...]]:
    """Adopt the Merkle batches on chain that the database lost; name those it cannot."""
    with Session(engine) as session:
        known = set(session.exec(select(AnchorBatchRecord.id)).all())
    learned = 0
    unknown: list[str] = []
    for lost in on_chain:
        if lost.batch_id in known:
            continue
        if _adopt(engine, ledger, lost):
            learned += 1
        else:
            unknown.append(lost.batch_id)
    if unknown:
        logger.warning(
            "%d batches on chain hold rows this database does not have (written after the"
            " backup?): %s",
            len(unknown),
            ", ".join(unknown),
        )
    return learned, tuple(unknown)


def _chain_batches(ledger: LedgerGateway) -> list[_ChainBatch]:
    """Every document and lot batch the registries' logs hold, oldest first."""
    found: list[tuple[int, int, _ChainBatch]] = []
    for event in ledger.trade.find_events(BatchAnchored, ledger.first_block):
        found.append(_on_chain("trade", event.batch_id, event.root, event.leaf_count, event))
    for lot in ledger.trace.find_events(LotBatchAnchored, ledger.first_block):
        lane = LotLane.prefix + lot.lot_id.hex()
        found.append(_on_chain(lane, lot.batch_id, lot.root, lot.event_count, lot))
    return [batch for _, _, batch in sorted(found, key=lambda item: (item[0], item[1]))]


def _on_chain(
    lane: str,
    batch_id: bytes,
    root: bytes,
    leaf_count: int,
    event: BatchAnchored | LotBatchAnchored,
) -> tuple[int, int, _ChainBatch]:
    log = event.log
    assert log is not None  # events read from the node always say where they were found
    anchor = ChainAnchor(
        tx_hash=log.tx_hash,
        block_number=log.block_number,
        block_hash=log.block_hash,
        gas_used=None,  # from the receipt, for the few batches that need it
        contract_address=log.address,
    )
    lost = _ChainBatch(lane, batch_id.hex(), root.hex(), leaf_count, anchor)
    return log.block_number, log.log_index, lost


def _adopt(engine: Engine, ledger: LedgerGateway, lost: _ChainBatch) -> bool:
    """Rebuild ``lost`` from its lane's oldest pending rows; store it confirmed if the root
    matches. The worker claims rows in outbox order, so those are the rows it sent."""
    lane: Lane[Any] = lane_of(lost.lane)
    with Session(engine) as session:
        stmt = (
            select(OutboxRecord)
            .where(OutboxRecord.lane == lost.lane, col(OutboxRecord.batch_id).is_(None))
            .order_by(col(OutboxRecord.id))
            .limit(lost.leaf_count)
        )
        rows = list(session.exec(stmt).all())
        if len(rows) != lost.leaf_count:
            return False
        tree = lane.build(rows)
        if tree is None or tree.root.hex() != lost.root:
            return False
        anchor = _with_gas(lane, ledger, lost.anchor)
        session.add(_adopted(lost, anchor, ledger.chain_id))
        session.flush()
        _store_proofs(session, lost.batch_id, rows, tree)
        lane.on_confirmed(session, rows, anchor)
        session.commit()
    logger.info("learned batch %s lane=%s from the chain", lost.batch_id, lost.lane)
    return True


def _adopted(lost: _ChainBatch, anchor: ChainAnchor, chain_id: int) -> AnchorBatchRecord:
    now = utcnow()
    return AnchorBatchRecord(
        id=lost.batch_id,
        lane=lost.lane,
        root=lost.root,
        leaf_count=lost.leaf_count,
        state="confirmed",
        tx_hash=anchor.tx_hash,
        block_number=anchor.block_number,
        block_hash=anchor.block_hash,
        gas_used=anchor.gas_used,
        chain_id=chain_id,
        contract_address=anchor.contract_address,
        created_at=now,
        confirmed_at=now,
    )


def _store_proofs(
    session: Session, batch_id: str, rows: Sequence[OutboxRecord], tree: MerkleTree
) -> None:
    for row in rows:
        row.batch_id = batch_id
        row.proof = json.dumps([p.hex() for p in tree.proof(bytes.fromhex(row.subject))])
        session.add(row)
