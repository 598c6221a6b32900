"""Which trade a customs receipt answers, by the keys its type carries.

| receipt | keys | trade |
| --- | --- | --- |
| CEB312 / CEB304 order | ebpCode, orderNo (ebcCode checked) | the trade of that order |
| CEB412 payment | payCode, payTransactionId | ``trade.payment_no`` |
| CEB404 payment receipt | ebcCode, orderNo | the export trade of that company's order |
| CEB512 / CEB506 waybill | logisticsCode, logisticsNo | ``trade.logistics_no`` |
| CEB622 / 626 / 624 | invtNo once assigned, else copNo (+ ebpCode, ebcCode) | its inventory |
| CEB604 export inventory | ebpCode, orderNo (copNo checked) | the trade of that order |
| CEB606 export cancellation | invtNo, else copNo | as CEB622 |
| CEB900 format error | oriCopMsgId: the guid of sandan's message | :func:`message_guid` |

A receipt naming no known trade is 404 naming the field; a customs party registered with a
customs code answers only for the customs office (关区) its first four characters name, and a
receipt for another office's trade is 403 ``other_customs_office``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from api.db.models import DocumentRecord, PartyRecord, TradeRecord
from api.errors import NotFound, PermissionDenied, UnprocessableContent
from traceability.ceb import CebMessage, message_spec
from traceability.trade import TradeDocument, parse_document
from traceability.trade.fields import CebModel

_INVENTORY_TYPE = {"import": "CEB621", "export": "CEB603"}


@dataclass(frozen=True)
class ReceiptRef:
    """Receipt ``index`` of ``message``, and the paths of its fields for error messages."""

    message: CebMessage
    index: int

    @property
    def document(self) -> CebModel:
        """The receipt element."""
        return self.message.documents[self.index]

    def path(self, name: str) -> str:
        """``CEB312Message/OrderReturn[1]/orderNo``."""
        spec = message_spec(self.message.message_type)
        return f"{spec.root}/{spec.business.name}[{self.index + 1}]/{name}"

    def text(self, name: str) -> str:
        """A required field's value."""
        return str(getattr(self.document, name))

    def value(self, name: str) -> str | None:
        """A field's value (None when absent)."""
        found = getattr(self.document, name, None)
        return None if found is None else str(found)


@dataclass(frozen=True)
class Located:
    """The trade a receipt answers, and its current inventory when it has one."""

    trade: TradeRecord
    inventory: TradeDocument | None


def stored_document(session: Session, content_hash: str | None) -> TradeDocument | None:
    """The parsed model of a stored document (None when there is none)."""
    if content_hash is None:
        return None
    record = session.exec(
        select(DocumentRecord).where(DocumentRecord.content_hash == content_hash)
    ).first()
    if record is None:
        return None
    return parse_document(record.doc_type, json.loads(record.envelope)["payload"]["document"])


def _missing(ref: ReceiptRef, name: str, what: str) -> NotFound:
    value = ref.value(name)
    return NotFound(
        f"{ref.message.message_type} names {what} {value!r} that matches no trade",
        field=ref.path(name),
        code="unknown_trade",
    )


def _one(session: Session, stmt: Any, ref: ReceiptRef, name: str, what: str) -> TradeRecord:
    rows: Sequence[TradeRecord] = session.exec(stmt.limit(2)).all()
    if not rows:
        raise _missing(ref, name, what)
    if len(rows) > 1:
        raise UnprocessableContent(
            f"{what} {ref.value(name)!r} names more than one trade; the receipt cannot be placed",
            field=ref.path(name),
            code="ambiguous_trade",
        )
    return rows[0]


def _direction(message_type: str) -> str:
    return message_spec(message_type).flow


def _by_order(session: Session, ref: ReceiptRef) -> TradeRecord:
    stmt = select(TradeRecord).where(
        TradeRecord.ebp_code == ref.value("ebpCode"),
        TradeRecord.order_no == ref.value("orderNo"),
        TradeRecord.direction == _direction(ref.message.message_type),
    )
    trade = _one(session, stmt, ref, "orderNo", "ebpCode/orderNo")
    _check_same(ref, "ebcCode", trade.ebc_code)
    return trade


def _by_company_order(session: Session, ref: ReceiptRef) -> TradeRecord:
    stmt = select(TradeRecord).where(
        TradeRecord.ebc_code == ref.value("ebcCode"),
        TradeRecord.order_no == ref.value("orderNo"),
        TradeRecord.direction == "export",
    )
    return _one(session, stmt, ref, "orderNo", "ebcCode/orderNo")


def _by_payment(session: Session, ref: ReceiptRef) -> TradeRecord:
    key = f"{ref.value('payCode')}/{ref.value('payTransactionId')}"
    stmt = select(TradeRecord).where(
        TradeRecord.payment_no == key, TradeRecord.direction == "import"
    )
    return _one(session, stmt, ref, "payTransactionId", "payCode/payTransactionId")


def _by_waybill(session: Session, ref: ReceiptRef) -> TradeRecord:
    key = f"{ref.value('logisticsCode')}/{ref.value('logisticsNo')}"
    stmt = select(TradeRecord).where(
        TradeRecord.logistics_no == key,
        TradeRecord.direction == _direction(ref.message.message_type),
    )
    return _one(session, stmt, ref, "logisticsNo", "logisticsCode/logisticsNo")


def _by_inventory(session: Session, ref: ReceiptRef) -> TradeRecord:
    direction = _direction(ref.message.message_type)
    invt_no = ref.value("invtNo")
    if invt_no is not None:
        stmt = select(TradeRecord).where(
            TradeRecord.invt_no == invt_no, TradeRecord.direction == direction
        )
        found = session.exec(stmt.limit(2)).all()
        if len(found) == 1:
            return found[0]
    return _by_cop_no(session, ref, direction)


def _by_cop_no(session: Session, ref: ReceiptRef, direction: str) -> TradeRecord:
    """The trade whose current inventory has the receipt's copNo (and its ebpCode/ebcCode
    when the receipt gives them)."""
    cop_no = ref.value("copNo") or ""
    # The envelope text narrows the candidates; each is then parsed and compared exactly.
    pattern = "%" + cop_no.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    stmt = select(DocumentRecord).where(
        DocumentRecord.doc_type == _INVENTORY_TYPE[direction],
        col(DocumentRecord.superseded_by).is_(None),
        col(DocumentRecord.trade_id).is_not(None),
        col(DocumentRecord.envelope).like(pattern, escape="\\"),
    )
    trade_ids = set()
    for record in session.exec(stmt.limit(50)).all():
        document = parse_document(
            record.doc_type, json.loads(record.envelope)["payload"]["document"]
        )
        if getattr(document, "copNo", None) == cop_no and _names_companies(ref, document):
            trade_ids.add(record.trade_id)
    rows = select(TradeRecord).where(col(TradeRecord.trade_id).in_(trade_ids))
    return _one(session, rows, ref, "copNo", "invtNo/copNo")


def _names_companies(ref: ReceiptRef, document: TradeDocument) -> bool:
    return all(
        ref.value(name) is None or ref.value(name) == getattr(document, name, None)
        for name in ("ebpCode", "ebcCode")
    )


def trade_of_message_guid(guid: str) -> str:
    """The trade-id prefix an outgoing message guid carries (see :func:`message_guid`)."""
    return guid.replace("-", "").lower()[:24]


def message_guid(trade_id: str, message_type: str, content_hash: str) -> str:
    """The guid of the message sandan sends for a trade's document: 24 hex digits of the
    trade id, then 8 of the document and type, so that customs' CEB900 answer (which quotes
    it as oriCopMsgId) finds its trade again."""
    tail = uuid.uuid5(uuid.NAMESPACE_URL, f"{message_type}:{content_hash}").hex[:8]
    digits = trade_id[:24] + tail
    return str(uuid.UUID(digits)).upper()


def _by_message_guid(session: Session, ref: ReceiptRef) -> TradeRecord:
    prefix = trade_of_message_guid(ref.value("oriCopMsgId") or "")
    if len(prefix) < 24 or any(c not in "0123456789abcdef" for c in prefix):
        raise _missing(ref, "oriCopMsgId", "a message guid")
    stmt = select(TradeRecord).where(col(TradeRecord.trade_id).startswith(prefix))
    return _one(session, stmt, ref, "oriCopMsgId", "message guid")


LINKS: dict[str, Callable[[Session, ReceiptRef], TradeRecord]] = {
    "CEB312": _by_order,
    "CEB304": _by_order,
    "CEB412": _by_payment,
    "CEB404": _by_company_order,
    "CEB512": _by_waybill,
    "CEB506": _by_waybill,
    "CEB622": _by_inventory,
    "CEB626": _by_inventory,
    "CEB624": _by_inventory,
    "CEB604": _by_order,
    "CEB606": _by_inventory,
    "CEB900": _by_message_guid,
}
"""How each ingested receipt type finds its trade."""


def _check_same(ref: ReceiptRef, name: str, expected: str | None) -> None:
    value = ref.value(name)
    if value is not None and expected is not None and value != expected:
        raise UnprocessableContent(
            f"{name} {value!r} is not the trade's ({expected!r})",
            field=ref.path(name),
            code="receipt_mismatch",
        )


def customs_office(party: PartyRecord) -> str | None:
    """The customs office (关区, 4 characters) a customs party answers for, or None (all)."""
    return party.customs_code[:4] if party.customs_code else None


def check_office(party: PartyRecord, declared_at: str | None, *, field: str) -> None:
    """403 when ``party`` answers for one customs office and the trade was declared at
    another (``declared_at``: the inventory's customsCode)."""
    office = customs_office(party)
    if office is not None and declared_at is not None and declared_at != office:
        raise PermissionDenied(
            f"the trade was declared at customs office {declared_at}; {party.code} answers "
            f"for {office}",
            field=field,
            code="other_customs_office",
        )


def locate(*, session: Session, ref: ReceiptRef, party: PartyRecord) -> Located:
    """The trade receipt ``ref`` answers, checked against what the receipt and the caller's
    office say; 404/403/422 naming the field otherwise."""
    trade = LINKS[ref.message.message_type](session, ref)
    inventory = stored_document(session, trade.inventory_hash)
    declared_at = getattr(inventory, "customsCode", None)
    check_office(party, declared_at, field=ref.path("customsCode"))
    _check_same(ref, "customsCode", declared_at)
    if ref.message.message_type in ("CEB604", "CEB622"):
        _check_same(ref, "copNo", getattr(inventory, "copNo", None))
    return Located(trade, inventory)
