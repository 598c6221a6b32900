"""Playing customs (the demo and the tests): the receipts customs would send for a trade.

sandan never writes a customs receipt into its own records by itself: what this module
builds is handed to :func:`api.services.customs_receipts.ingest_receipt` (or posted to
``POST /customs/receipts``) as if customs had sent it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from api.db.models import TradeRecord
from api.errors import Conflict, UnprocessableContent
from api.services import outgoing_messages, receipt_links
from traceability.ceb import RECEIPT_FOR, CebMessage, CustomsStatus, build_receipt, write_message
from traceability.trade.fields import CHINA_TZ


def customs_receipt_xml(
    *,
    session: Session,
    trade: TradeRecord,
    message_type: str,
    status: CustomsStatus | str,
    info: str,
    now: datetime,
    new_guid: Callable[[], str] | None = None,
) -> bytes:
    """The receipt ``message_type`` customs would send for ``trade``'s declaration (CEB312
    for its order ... CEB604 for its export inventory), built from the stored document, with
    the numbers only the e-port assigns (preNo, invtNo) derived from the trade: for the demo
    to play customs, and for tests. :func:`~api.services.customs_receipts.ingest_receipt`
    accepts what it returns."""
    declaration_type = next((d for d, r in RECEIPT_FOR.items() if r == message_type), None)
    if declaration_type is None:
        raise UnprocessableContent(
            f"{message_type} answers no declaration", field="messageType", code="not_a_receipt"
        )
    column = outgoing_messages.OUTGOING.get(trade.direction, {}).get(declaration_type)
    document = receipt_links.stored_document(session, getattr(trade, column) if column else None)
    if document is None:
        raise Conflict(f"the trade has no {declaration_type} to answer", code="no_declaration")
    declaration = CebMessage(declaration_type, "", (document,))
    options = {"new_guid": new_guid} if new_guid is not None else {}
    receipt = build_receipt(
        declaration,
        status=status,
        info=info,
        now=now,
        assigned=eport_numbers(trade, document, now),
        **options,
    )
    return write_message(receipt)


def eport_numbers(trade: TradeRecord, document: Any, now: datetime) -> dict[str, str]:
    """preNo and invtNo as the e-port would assign them, derived from the trade (the
    inventory number keeps customs' form: office, year, I/E, nine digits)."""
    office = str(getattr(document, "customsCode", None) or "0000")
    serial = int(trade.trade_id[:12], 16) % 1_000_000_000
    flag = "I" if trade.direction == "import" else "E"
    year = now.astimezone(CHINA_TZ).year
    invt_no = trade.invt_no or f"{office}{year}{flag}{serial:09d}"
    return {"preNo": f"{flag}{year}{serial:013d}", "invtNo": invt_no}
