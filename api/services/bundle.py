"""The authenticity bundle: everything a bank needs to prove a trade against the chain alone.

Format ``sandan-bundle/4``: ``digestProfile`` names the hash function of the content
hashes (``sha256``, or ``sm3`` in a zone that chose it; format 3 was the same with SHA-256
implied). Every hash is lowercase hex without 0x; chain
values (addresses, transaction hashes) are 0x-prefixed as the node prints them.
The verdict section carries the trade's place on chain (verdict batch and position),
its leaf data and the proof to the batch's root; release, settlement and financing
name that position, so ``verifyVerdict`` answers for all of them in one call.
Everything in it is checked by ``sandan verify``; nothing it cannot check is
carried (a key's validity comes from the PartyRegistry, not from a date here).
``customsReceipts`` (optional: a reader may ignore it) lists customs' anchored receipts,
each recomputed and checked against the TradeRegistry's batch roots, beside the release.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from api.anchoring.lanes import VERDICT
from api.db import crud
from api.db.models import DocumentRecord, TradeRecord
from api.errors import Conflict
from api.runtime import Runtime
from api.services import receipt_bundle
from api.services.documents import anchor_of

BUNDLE_FORMAT = "sandan-bundle/4"


def build_bundle(*, session: Session, runtime: Runtime, trade: TradeRecord) -> dict[str, Any]:
    """The bundle of a trade whose documents and verdict are anchored."""
    if trade.verdict is None or trade.status == "pending":
        raise Conflict("the trade has no verdict yet: documents are missing", code="pending")
    ledger = runtime.ledger()
    documents = [
        _document_entry(session, record)
        for record in sorted(
            crud.current_documents(session=session, trade_id=trade.trade_id),
            key=lambda r: r.doc_type,
        )
    ]
    return {
        "format": BUNDLE_FORMAT,
        "digestProfile": runtime.digest.value,
        "tradeId": trade.trade_id,
        "ebpCode": trade.ebp_code,
        "orderNo": trade.order_no,
        "chain": {
            "chainId": ledger.chain_id,
            "tradeRegistry": ledger.trade_registry_address,
            "partyRegistry": ledger.party_registry_address,
        },
        "documents": documents,
        "verdict": _verdict_entry(session, trade),
        "release": _step(trade.release_tx, trade.release_block),
        "settlement": _step(
            trade.settlement_tx,
            trade.settlement_block,
            settlementRef=trade.settlement_ref,
            settlementId=trade.settlement_id,
            # One reference per settlement call here, so its tree is the leaf itself.
            proof=[],
        ),
        # A discharged financing is gone from the chain's record of the position: not carried.
        "financing": _step(
            trade.financing_tx,
            trade.financing_block,
            termsHash=trade.financing_terms_hash,
            financingId=trade.financing_id,
        )
        if trade.financing_terms_hash is not None and trade.financing_id is not None
        else None,
        # Optional (docs/receipts.md): customs' receipts beside the release the bundle proves.
        "customsReceipts": receipt_bundle.bundle_section(session=session, trade=trade),
    }


def _document_entry(session: Session, record: DocumentRecord) -> dict[str, Any]:
    anchor = anchor_of(session=session, kind="document", subject=record.content_hash)
    if anchor is None or anchor.state != "confirmed":
        raise Conflict(
            f"document {record.content_hash} is not anchored yet; retry shortly",
            code="not_anchored",
        )
    key = crud.get_key(session=session, key_id=record.key_id)
    assert key is not None  # a stored document's key is never deleted
    entry: dict[str, Any] = {
        "messageType": record.doc_type,
        "contentHash": record.content_hash,
        "envelope": json.loads(record.envelope),
        "publicKey": {
            "keyId": key.key_id,
            "party": key.party_code,
            "alg": key.alg,
            "publicKey": key.public_key,
        },
        "anchor": {
            "root": anchor.root,
            "proof": anchor.proof,
            "batchId": anchor.batch_id,
            "txHash": anchor.tx_hash,
            "blockNumber": anchor.block_number,
        },
    }
    if record.source_xml is not None:
        entry["sourceXml"] = record.source_xml
    return entry


def _verdict_entry(session: Session, trade: TradeRecord) -> dict[str, Any]:
    row = crud.get_outbox(
        session=session, kind="verdict", subject=f"{trade.trade_id}:{trade.verdict_hash}"
    )
    batch = crud.get_batch(session=session, batch_id=row.batch_id) if row and row.batch_id else None
    if (
        row is None
        or row.proof is None
        or batch is None
        or batch.state != "confirmed"
        or batch.chain_batch is None
        or trade.verdict_batch != batch.chain_batch
        or trade.verdict_position is None
    ):
        raise Conflict("the verdict is not anchored yet; retry shortly", code="not_anchored")
    return {
        "verdict": json.loads(trade.verdict or "{}"),
        "verdictHash": trade.verdict_hash,
        "context": json.loads(trade.match_context or "{}"),
        "batch": batch.chain_batch,
        "position": trade.verdict_position,
        "matched": VERDICT.parse(row.payload).matched,
        "root": batch.root,
        "proof": json.loads(row.proof),
        "txHash": batch.tx_hash,
        "blockNumber": batch.block_number,
    }


def _step(tx_hash: str | None, block: int | None, **values: object) -> dict[str, Any] | None:
    if tx_hash is None:
        return None
    return {"txHash": tx_hash, "blockNumber": block, **values}
