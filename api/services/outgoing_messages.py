"""The CEB messages sandan sends to the single window for a trade, from its stored documents.

Each of the trade's current documents becomes its declaration message (CEB311/411/511/621
for imports, CEB303/403/505/603 for exports), valid against the official 2022-05 XSDs:

* a document that arrived as CEB XML alone in its message is relayed as the party sent it,
  signature and all (its ds:Signature only verifies over those bytes);
* otherwise it is written alone in a message of its type (:func:`traceability.ceb.outgoing_message`)
  with the signer's BaseTransfer (from its XML when it came as XML, else its party code and
  name), under a guid that names the trade (:func:`api.services.receipt_links.message_guid`),
  so customs' CEB900 answer finds the trade again;
* a type whose XSD requires ds:Signature (CEB621; CEB605/607 once declared) is never signed
  by sandan: without the party's own signed XML it is 409 ``party_signature_required``.

Only the trade's own parties and customs read them (:func:`require_message_reader`).
"""

from __future__ import annotations

import json

from sqlmodel import Session, or_, select

from api.db import crud
from api.db.models import DocumentRecord, PartyRecord, TradeRecord
from api.errors import Conflict, NotFound
from api.services.parties import party_roles
from api.services.receipt_links import message_guid
from api.services.trade_queries import normalise_trade_id, party_of_trade
from traceability.ceb import (
    CebMessage,
    base_transfer,
    needs_party_signature,
    outgoing_message,
    read_message,
    write_message,
)
from traceability.ceb.models import BaseTransfer
from traceability.trade import parse_document

#: The declarations sandan sends per direction, and the trade column naming each document.
OUTGOING: dict[str, dict[str, str]] = {
    "import": {
        "CEB311": "order_hash",
        "CEB411": "payment_hash",
        "CEB511": "waybill_hash",
        "CEB621": "inventory_hash",
    },
    "export": {
        "CEB303": "order_hash",
        "CEB403": "payment_hash",
        "CEB505": "waybill_hash",
        "CEB603": "inventory_hash",
    },
}


def require_message_reader(*, session: Session, party: PartyRecord, trade_id: str) -> TradeRecord:
    """The trade if the caller is customs or one of its own parties; 404 otherwise."""
    trade_id = normalise_trade_id(trade_id)
    stmt = select(TradeRecord).where(TradeRecord.trade_id == trade_id)
    if "customs" not in party_roles(party):
        stmt = stmt.where(or_(*party_of_trade(party)))
    trade = session.exec(stmt).first()
    if trade is None:
        raise NotFound(f"no trade {trade_id}", field="tradeId")
    return trade


def message_xml(*, session: Session, trade: TradeRecord, message_type: str) -> bytes:
    """The ``message_type`` message sandan sends for ``trade`` (see the module docstring)."""
    column = OUTGOING.get(trade.direction, {}).get(message_type)
    if column is None:
        wanted = ", ".join(OUTGOING.get(trade.direction, {}))
        raise NotFound(
            f"an {trade.direction} trade sends {wanted}, not {message_type!r}",
            field="messageType",
        )
    content_hash = getattr(trade, column)
    record = crud.get_document(session=session, content_hash=content_hash) if content_hash else None
    if record is None:
        raise NotFound(
            f"the trade has no document to send as {message_type} yet", field="messageType"
        )
    document = parse_document(record.doc_type, json.loads(record.envelope)["payload"]["document"])
    relayed = _relayable(record)
    if relayed is not None:
        return relayed
    if needs_party_signature(message_type, document):
        raise Conflict(
            f"{message_type} needs the party's own ds:Signature, which sandan never makes: "
            f"submit it as signed CEB XML (POST /documents/xml) to have it relayed",
            field="messageType",
            code="party_signature_required",
        )
    guid = message_guid(trade.trade_id, message_type, record.content_hash)
    message = outgoing_message(
        message_type, document, guid=guid, transfer=_transfer(session, record)
    )
    return write_message(message)


def _source_message(record: DocumentRecord) -> CebMessage | None:
    if record.source_xml is None:
        return None
    return read_message(record.source_xml.encode("utf-8"))


def _relayable(record: DocumentRecord) -> bytes | None:
    """The party's own XML, when it holds this one document only (nobody else's data)."""
    source = _source_message(record)
    if source is None or len(source.documents) != 1:
        return None
    assert record.source_xml is not None
    return record.source_xml.encode("utf-8")


def _transfer(session: Session, record: DocumentRecord) -> BaseTransfer:
    source = _source_message(record)
    if source is not None and source.base_transfer is not None:
        return source.base_transfer
    signer = crud.get_party(session=session, code=record.party_code)
    name = signer.name if signer is not None else record.party_code
    # No DXP user number is registered for a party that submits JSON: its party code
    # stands in (docs/receipts.md).
    return base_transfer(record.party_code[:18], name[:100], record.party_code[:30])
