"""Customs' receipts in the bank's bundle, beside the chain release they do not replace.

The release a bundle proves is the chain's: TradeRegistry's release of the verdict
position by customs' own account. Customs' receipts (放行 800 and the others) are its
messages to the single window, received over its API key and anchored by sandan: the
bundle carries them in its optional ``customsReceipts`` section, and
:func:`release_agreement` names a contradiction between the two (docs/receipts.md).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from api.db.models import TradeRecord
from api.db.receipt_models import CustomsReceiptRecord
from api.services.customs_receipts import (
    INVENTORY_RECEIPTS,
    deciding_receipt,
    receipts_of,
    status_text,
)
from api.services.documents import anchor_of
from traceability.ceb import CustomsStatus

#: Statuses meaning customs let the goods go (放行, 结关).
RELEASED_STATUSES = frozenset({CustomsStatus.RELEASED.value, CustomsStatus.CLOSED.value})
#: Statuses meaning customs refused, inspects, detains or sends the goods back.
STOPPED_STATUSES = frozenset(
    {
        CustomsStatus.REJECTED.value,
        CustomsStatus.INSPECTION.value,
        CustomsStatus.DETAINED_CLEARANCE.value,
        CustomsStatus.DETAINED_ANTI_SMUGGLING.value,
        CustomsStatus.DETAINED_LEGAL.value,
        CustomsStatus.DETAINED_OTHER.value,
        CustomsStatus.RETURNED.value,
    }
)

# --- what the receipts say beside the chain ---------------------------------------------


def release_agreement(
    trade: TradeRecord, receipts: Sequence[CustomsReceiptRecord]
) -> dict[str, Any]:
    """How customs' receipts relate to the on-chain release (which is what proves it).

    ``disagreement`` names a contradiction to look into: a 放行 receipt without the chain
    release (customs said released but did not release with its key), or a chain release
    while customs' latest inventory receipt says 退单/查验/扣留/退运."""
    deciding = deciding_receipt(receipts)
    status = deciding.status if deciding is not None else None
    inventory_answered = deciding is not None and deciding.message_type in INVENTORY_RECEIPTS
    released_on_chain = trade.release_tx is not None
    disagreement = None
    if status in RELEASED_STATUSES and not released_on_chain:
        disagreement = "receipt_released_not_on_chain"
    elif released_on_chain and inventory_answered and status in STOPPED_STATUSES:
        disagreement = "chain_released_receipt_stopped"
    return {
        "authority": "chain",
        "releasedOnChain": released_on_chain,
        "receiptStatus": status,
        "receiptStatusText": status_text(status) if status is not None else None,
        "receiptHash": deciding.content_hash if deciding is not None else None,
        "disagreement": disagreement,
    }


# --- in the bank's bundle -------------------------------------------------------------------


def bundle_section(*, session: Session, trade: TradeRecord) -> dict[str, Any]:
    """The ``customsReceipts`` section of the bundle: each anchored receipt (its canonical
    payload, content hash and Merkle proof) and how they relate to the chain release.

    The chain release (TradeRegistry, customs' own account) is what the bundle proves;
    the receipts are customs' messages shown beside it, anchored by sandan but not signed
    by customs' key. A receipt not anchored yet is left out (the bundle carries only what
    ``sandan verify`` can check) and counted in ``pending``."""
    records = receipts_of(session=session, trade_id=trade.trade_id)
    entries, pending = [], 0
    for record in records:
        anchor = anchor_of(session=session, kind="document", subject=record.content_hash)
        if anchor is None or anchor.state != "confirmed":
            pending += 1
            continue
        entries.append(
            {
                "messageType": record.message_type,
                "guid": record.guid,
                "contentHash": record.content_hash,
                "status": record.status,
                "statusText": status_text(record.status),
                "note": record.note,
                "returnTime": record.return_time,
                "by": record.party_code,
                "payload": json.loads(record.payload),
                "anchor": {
                    "root": anchor.root,
                    "proof": anchor.proof,
                    "batchId": anchor.batch_id,
                    "txHash": anchor.tx_hash,
                    "blockNumber": anchor.block_number,
                },
            }
        )
    return {
        "relation": RELATION,
        "receipts": entries,
        "pending": pending,
        "release": release_agreement(trade, records),
    }


RELATION = (
    "The release this bundle proves is the chain's: TradeRegistry's release of the verdict "
    "position, signed by customs' own account. Customs' receipts (放行 800 and the others) "
    "are customs' messages to the single window, received over customs' API key and "
    "anchored by sandan; they are shown beside the release, and release.disagreement "
    "names a contradiction between the two."
)
"""How the receipts relate to the on-chain release (docs/receipts.md)."""
