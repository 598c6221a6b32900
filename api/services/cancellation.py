"""Inventory cancellation (撤单): the company applies, customs decides, the chain follows.

1. The e-commerce company (or the platform, or the inventory's declarant) submits a signed
   CEB623 (import) or CEB605 (export) as XML (:func:`apply_xml`), signed like the other CEB
   XML (detached signature over the bytes, plus its ds:Signature). It names the inventory
   number customs assigned (``trade.invt_no``, from the CEB622/CEB604 receipt). Stored once
   (its guid), anchored in the trade lane; refused (409 with a code) for a trade that is
   settled, financed, returned, already cancelled or that has an application pending.
2. Customs decides with its receipt, CEB624/CEB606: status 399 (审结) approves, 100 (退单)
   refuses. It is ingested like every receipt (:mod:`api.services.customs_receipts`), or
   built by :func:`approve` for ``POST /customs/trades/{id}/cancel``.
3. An approval is sent to the chain by customs' own account:
   ``LifecycleRegistry.cancelTrades(batch, [position], [receiptHash])``, where the receipt
   hash is the approving receipt's anchored content hash. The contract refuses a settled,
   returned, FX-settled or financed trade; only once it confirmed are ``trade.cancelled_at``
   and ``trade.cancel_tx`` set.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from api.anchoring.lanes import TRADE, DocumentPayload
from api.db import crud, notifications
from api.db.models import PartyRecord, TradeRecord, utcnow
from api.db.receipt_models import CustomsReceiptRecord, InventoryCancelRecord
from api.errors import Conflict, NotFound, PermissionDenied, UnprocessableContent
from api.receipt_schemas import CancellationPublic
from api.runtime import Runtime
from api.services import chain_actions, submission
from api.services import keys as key_service
from api.services.chain_accounts import party_account
from api.services.receipt_links import stored_document
from api.services.xml_ingest import XmlSignature, check_xml_signature
from ledger_client import ContractReverted
from ledger_client.events import TradeCancelled, events_named
from traceability import DocType, PartyKey, SignedBytes, content_hash, verify_signer
from traceability.ceb import (
    CebMessage,
    CustomsStatus,
    SchemaViolation,
    build_receipt,
    read_message,
)
from traceability.limits import MAX_REPORTED_ISSUES
from traceability.signing import b64url_decode
from traceability.trade.fields import CebModel

#: The cancellation message of each direction, and the receipt that answers it.
CANCELLATION_TYPE = {"import": "CEB623", "export": "CEB605"}
RECEIPT_TYPE = {"CEB623": "CEB624", "CEB605": "CEB606"}
DECIDING_RECEIPTS = frozenset(RECEIPT_TYPE.values())
APPROVED = CustomsStatus.CONCLUDED.value  # 399 海关审结
REFUSED = CustomsStatus.REJECTED.value  # 100 海关退单

#: The contract's refusals, as the codes the API answers with.
_CHAIN_CODES = {
    "LifecycleRegistryTradeCancelled": "already_cancelled",
    "LifecycleRegistryTradeReturned": "trade_returned",
    "LifecycleRegistryTradeFxSettled": "trade_fx_settled",
    "LifecycleRegistryTradeFinanced": "trade_financed",
    "LifecycleRegistryLegacyFinancing": "trade_financed",
    "LifecycleRegistryUnauthorized": "not_customs_on_chain",
}
#: TradeRegistry.TradeState of a settled trade (None, Mismatched, Matched, Released, Settled).
_SETTLED_STATE = 4


# --- the company's application ----------------------------------------------------------


def _parse(body: bytes, max_bytes: int) -> CebMessage:
    try:
        return read_message(body, max_bytes=max_bytes, expect=set(RECEIPT_TYPE))
    except SchemaViolation as exc:
        raise UnprocessableContent(
            exc.message,
            field=exc.field,
            code="schema_violation",
            extra={
                "errors": [
                    {"field": issue.path, "message": issue.detail}
                    for issue in exc.issues[:MAX_REPORTED_ISSUES]
                ],
                "errorCount": len(exc.issues),
            },
        ) from exc


def _signer(
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    signature: XmlSignature,
    message: CebMessage,
    body: bytes,
) -> PartyKey:
    """The signer checks of every signed submission, over the XML bytes: a cancellation is
    claimed as an inventory document (whoever may sign the inventory may withdraw it)."""
    try:
        raw = b64url_decode(signature.signature)
    except ValueError as exc:
        raise UnprocessableContent(
            "signature is not base64url", field="Sandan-Signature", code="malformed_envelope"
        ) from exc
    context = submission.context_of(runtime)
    claims = tuple((DocType.INVENTORY, _app_time(d)) for d in message.documents)
    signed = SignedBytes(party.code, signature.key_id, None, body, raw, claims)
    directory = key_service.registry_for(session=session, party_code=party.code)
    _, key = verify_signer(signed, directory, now=context.now, max_clock_skew=context.max_skew)
    return key


def _app_time(document: CebModel) -> datetime:
    moment = getattr(document, "appTime")  # noqa: B009 - every declaration head has it
    assert isinstance(moment, datetime)
    return moment


def _field(message: CebMessage, index: int, name: str) -> str:
    return f"{message.message_type}Message/InvtCancel[{index + 1}]/{name}"


def _trade_of(session: Session, message: CebMessage, index: int) -> TradeRecord:
    """The trade the application withdraws the inventory of; 404/409/422 naming the field."""
    document = message.documents[index]
    invt_no = str(getattr(document, "invtNo"))  # noqa: B009 - both models have it
    if message.message_type == "CEB623":
        stmt = select(TradeRecord).where(
            TradeRecord.ebp_code == getattr(document, "ebpCode"),  # noqa: B009
            TradeRecord.order_no == getattr(document, "orderNo"),  # noqa: B009
            TradeRecord.direction == "import",
        )
        missing = "orderNo"
    else:
        stmt = select(TradeRecord).where(
            TradeRecord.invt_no == invt_no, TradeRecord.direction == "export"
        )
        missing = "invtNo"
    trade = session.exec(stmt).first()
    if trade is None:
        raise NotFound(
            f"{message.message_type} names no known trade",
            field=_field(message, index, missing),
            code="unknown_trade",
        )
    if trade.invt_no is None:
        raise Conflict(
            "customs has not assigned this trade an inventory number yet (no CEB622/CEB604 "
            "receipt): there is no declared inventory to cancel",
            field=_field(message, index, "invtNo"),
            code="no_inventory_number",
        )
    if trade.invt_no != invt_no:
        raise UnprocessableContent(
            f"invtNo {invt_no} is not the trade's inventory number ({trade.invt_no})",
            field=_field(message, index, "invtNo"),
            code="receipt_mismatch",
        )
    return trade


def _check_applicant(session: Session, party: PartyRecord, trade: TradeRecord) -> None:
    inventory_signer = None
    if trade.inventory_hash is not None:
        stored = crud.get_document(session=session, content_hash=trade.inventory_hash)
        inventory_signer = stored.party_code if stored is not None else None
    if party.code not in {trade.ebc_code, trade.ebp_code, inventory_signer}:
        raise PermissionDenied(
            f"only the trade's e-commerce company, platform or declarant may withdraw its "
            f"inventory, not {party.code}",
            code="not_trade_party",
        )


def check_cancellable(session: Session, trade: TradeRecord) -> None:
    """409 with a code for a trade whose inventory can no longer be cancelled (the chain
    checks again: this only answers early)."""
    refusals = (
        (trade.cancelled_at is not None, "already_cancelled", "the trade is already cancelled"),
        (trade.settled_at is not None, "trade_settled", "a settled trade cannot be cancelled"),
        (trade.financed_by is not None, "trade_financed", "a financed trade cannot be cancelled"),
        (trade.return_state is not None, "trade_returned", "a returned trade cannot be cancelled"),
    )
    for refused, code, message in refusals:
        if refused:
            raise Conflict(message, code=code, extra={"tradeId": trade.trade_id})


def _pending(session: Session, trade: TradeRecord) -> InventoryCancelRecord | None:
    return session.exec(
        select(InventoryCancelRecord).where(
            InventoryCancelRecord.trade_id == trade.trade_id,
            InventoryCancelRecord.state == "applied",
        )
    ).first()


def apply_xml(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    signature: XmlSignature,
    body: bytes,
) -> list[CancellationPublic]:
    """Verify and store each cancellation application of a signed CEB623/CEB605 message."""
    message = _parse(body, runtime.settings.max_body_bytes)
    key = _signer(session, runtime, party, signature, message, body)
    now = utcnow()
    check_xml_signature(party, message, body, settings=runtime.settings, now=now)
    results = []
    for index, document in enumerate(message.documents):
        payload = {
            "messageType": message.message_type,
            "party": party.code,
            "keyId": key.key_id,
            "messageGuid": message.guid,
            "index": index,
            "document": document.to_json_dict(),
        }
        digest = content_hash(payload, runtime.digest).hex()
        guid = str(getattr(document, "guid"))  # noqa: B009 - every declaration head has it
        stored = _stored(session, guid, digest)
        if stored is not None:
            results.append(cancellation_public(stored, created=False))
            continue
        trade = _trade_of(session, message, index)
        _check_applicant(session, party, trade)
        check_cancellable(session, trade)
        if _pending(session, trade) is not None:
            raise Conflict(
                "a cancellation of this trade's inventory is already waiting for customs",
                code="cancel_pending",
            )
        record = InventoryCancelRecord(
            content_hash=digest,
            message_type=message.message_type,
            guid=guid,
            trade_id=trade.trade_id,
            party_code=party.code,
            key_id=key.key_id,
            invt_no=str(trade.invt_no),
            reason=str(getattr(document, "reason")),  # noqa: B009
            envelope=json.dumps(
                {"payload": payload, "alg": key.alg.value, "signature": signature.signature},
                ensure_ascii=False,
            ),
            source_xml=body.decode("utf-8"),
            received_at=now,
        )
        session.add(record)
        session.add(TRADE.outbox_record(digest, DocumentPayload(), created_at=now))
        session.flush()
        results.append(cancellation_public(record, created=True))
    session.commit()
    return results


def _stored(session: Session, guid: str, digest: str) -> InventoryCancelRecord | None:
    stored = session.exec(
        select(InventoryCancelRecord).where(InventoryCancelRecord.guid == guid)
    ).first()
    if stored is None or stored.content_hash == digest:
        return stored
    raise Conflict(
        f"cancellation {guid} was received before with other content",
        field="guid",
        code="cancel_guid_reused",
    )


def cancellation_public(record: InventoryCancelRecord, *, created: bool) -> CancellationPublic:
    """The public view of an application."""
    return CancellationPublic.from_record(record, by=record.party_code, created=created)


def cancellations_of(*, session: Session, trade_id: str) -> Sequence[InventoryCancelRecord]:
    """The trade's applications, oldest first."""
    stmt = select(InventoryCancelRecord).where(InventoryCancelRecord.trade_id == trade_id)
    return session.exec(stmt.order_by(col(InventoryCancelRecord.id))).all()


# --- customs' decision --------------------------------------------------------------------


def approval_receipt(
    *, session: Session, trade: TradeRecord, status: str, note: str, now: datetime
) -> CebMessage:
    """The CEB624/CEB606 receipt customs sends to decide the trade's pending application
    (``status`` 399 approves, 100 refuses); 409 ``no_cancel_application`` without one."""
    pending = _pending(session, trade)
    if pending is None:
        raise Conflict(
            "the trade has no cancellation application waiting for customs",
            code="no_cancel_application",
        )
    source = read_message(pending.source_xml.encode("utf-8"))
    (document,) = (d for d in source.documents if getattr(d, "guid", None) == pending.guid)
    inventory = stored_document(session, trade.inventory_hash)
    cop_no = getattr(document, "copNo", None) or getattr(inventory, "copNo", None)
    serial = int(trade.trade_id[:12], 16) % 10**13
    assigned = {"preNo": f"C{now.year}{serial:013d}", "copNo": str(cop_no)[:20]}
    return build_receipt(
        CebMessage(pending.message_type, source.guid, (document,)),
        status=status,
        info=note,
        now=now,
        assigned=assigned,
    )


def decide(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    receipts: Sequence[CustomsReceiptRecord],
) -> None:
    """Apply customs' cancellation receipts: 399 cancels the trade on chain, 100 refuses
    the application; an application already decided is left as it is (a replayed receipt
    changes nothing)."""
    for receipt in receipts:
        if receipt.message_type not in DECIDING_RECEIPTS:
            continue
        trade = session.get(TradeRecord, receipt.trade_id)
        pending = _pending(session, trade) if trade is not None else None
        if trade is None or pending is None:
            continue
        if receipt.status == APPROVED:
            cancel_on_chain(
                session=session,
                runtime=runtime,
                party=party,
                trade=trade,
                application=pending,
                receipt=receipt,
            )
        elif receipt.status == REFUSED:
            _decided(pending, party, receipt, state="refused")
            session.add(pending)
            session.commit()


def _decided(
    application: InventoryCancelRecord,
    party: PartyRecord,
    receipt: CustomsReceiptRecord,
    *,
    state: str,
) -> None:
    application.state = state
    application.decided_by = party.code
    application.decided_at = utcnow()
    application.decision_hash = receipt.content_hash
    application.decision_note = receipt.note


def cancel_on_chain(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    trade: TradeRecord,
    application: InventoryCancelRecord,
    receipt: CustomsReceiptRecord,
) -> None:
    """``cancelTrades`` by customs' own account under the approving receipt's hash; the
    trade and the application record it once the chain confirmed."""
    check_cancellable(session, trade)
    batch, position = chain_actions.position_of(trade)
    account = party_account(session=session, runtime=runtime, party=party)
    try:
        result = (
            runtime.ledger()
            .lifecycle_as(account)
            .cancel_trades(batch, {position: bytes.fromhex(receipt.content_hash)})
        )
    except ContractReverted as exc:
        raise _chain_refusal(exc) from exc
    (cancelled,) = events_named(result.events, TradeCancelled)
    assert cancelled.position == position
    _decided(application, party, receipt, state="cancelled")
    application.cancel_tx = result.tx_hash
    trade.cancelled_at = utcnow()
    trade.cancel_tx = result.tx_hash
    trade.updated_at = trade.cancelled_at
    chain_actions.tell_step(session, trade, notifications.Kind.CANCELLED, party, result)
    session.add(application)
    session.add(trade)
    session.commit()


def _chain_refusal(exc: ContractReverted) -> Exception:
    code = _CHAIN_CODES.get(exc.error_name)
    if exc.error_name == "LifecycleRegistryTradeState":
        settled = len(exc.args) > 2 and int(exc.args[2]) == _SETTLED_STATE
        code = "trade_settled" if settled else "not_cancellable"
    if code is None:
        return exc
    return Conflict(
        f"the chain refused the cancellation: {exc.error_name}{tuple(exc.args)}",
        code=code,
        extra={"chainError": exc.error_name},
    )
