"""Typed financing (订单融资、应收账款融资、仓单质押、出口退税账户托管贷款): a bank opens a line on
a trade or a warehouse receipt, draws and repays it in parts, and closes it.

The LifecycleRegistry is the judge: it caps the line at the trade's declared value less
returns (or the receipt's value), keeps at most one live financing per trade or receipt
(refusing one while a TradeRegistry financing is live), lets only the opening bank move it,
and pledges and releases the receipt. The checks here come first only so that a refusal
names the numbers and the rule; the rows mirror what the chain confirmed.

``open_financing``, ``draw``, ``repay`` and ``close`` are what the routes, the bank desk
and the demo call.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from api.db.financing_models import FinancingMovementRecord, TypedFinancingRecord
from api.db.models import PartyRecord, TradeRecord, utcnow
from api.db.warehouse_models import WarehouseReceiptRecord
from api.errors import ApiError, Conflict, NotFound, PermissionDenied, UnprocessableContent
from api.financing_schemas import FinancingKindName, TypedFinancingPublic
from api.runtime import Runtime
from api.services import chain_actions, negative_list, notifications
from api.services.chain_accounts import party_account
from api.services.financing_reads import CHAIN_KIND, amount_text, financing_public
from api.services.financing_rules import (
    available_value,
    check_cap,
    check_trade_kind,
    currency_code,
    minor_amount,
)
from api.services.lifecycle_chain import ensure_value_declared, lifecycle_conflict
from api.services.live_financing import (
    already_financed,
    legacy_holder,
    receipt_subject,
    typed_holder,
)
from api.services.trade_queries import get_trade_or_404
from ledger_client import ContractReverted, LifecycleRegistryClient, ReceiptState, TxResult
from ledger_client import trade_subject as chain_subject
from ledger_client.events import FinancingDrawn, FinancingOpened, FinancingRepaid, events_named
from traceability import content_hash

__all__ = ["close", "draw", "open_financing", "repay"]


@dataclass(frozen=True, slots=True)
class _Opening:
    """What a bank asks to open: ``subject`` is a trade id or a receipt's on-chain id."""

    party: PartyRecord
    kind: FinancingKindName
    subject: str
    limit: Decimal
    currency: str  # CEB code
    terms: dict[str, Any]

    def terms_hash(self, runtime: Runtime) -> bytes:
        """The hash the chain keeps of the terms, binding them to this line's bank, kind,
        subject and limit (as ``POST /banks/trades/{id}/financing`` does)."""
        committed = {
            "kind": self.kind,
            "subject": self.subject,
            "bank": self.party.code,
            "limit": f"{self.limit}",
            "currency": self.currency,
            "terms": self.terms,
        }
        return content_hash(committed, runtime.digest)


def open_financing(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    kind: FinancingKindName,
    subject: str,
    limit: str | Decimal,
    currency: str,
    terms: dict[str, Any],
    verdict_hash: str | None = None,
) -> TypedFinancingPublic:
    """Open a typed financing line of ``kind`` on ``subject`` (a trade id, or a warehouse
    receipt's on-chain id for ``warehouseReceipt``) through the bank's own chain account."""
    opening = _Opening(party, kind, subject, Decimal(limit), currency_code(currency), terms)
    if kind == "warehouseReceipt":
        record = _open_on_receipt(session, runtime, opening)
    else:
        record = _open_on_trade(session, runtime, opening, verdict_hash)
    return financing_public(
        session=session, runtime=runtime, party=party, financing_id=record.financing_id
    )


def _open_on_trade(
    session: Session, runtime: Runtime, opening: _Opening, verdict_hash: str | None
) -> TypedFinancingRecord:
    trade = _trade(session, opening.subject)
    check_trade_kind(opening.kind, trade)
    chain_actions.check_verdict_named(trade, verdict_hash, field="verdictHash")
    chain_actions.require_anchored_verdict(session, trade)
    if opening.currency != trade.currency:
        raise Conflict(
            f"the trade is in currency {trade.currency}, not {opening.currency}",
            code="currency_mismatch",
            field="currency",
        )
    check_cap(opening.limit, *available_value(trade), "trade")
    limit = minor_amount(opening.limit, opening.currency, "limit")
    batch, position = chain_actions.position_of(trade)
    negative_list.check_unlisted(session=session, runtime=runtime, trade=trade)
    ensure_value_declared(session=session, runtime=runtime, trade=trade)
    client = _client(session, runtime, opening.party)
    try:
        result = client.open_trade_financing(
            CHAIN_KIND[opening.kind], batch, position, limit, opening.terms_hash(runtime)
        )
    except ContractReverted as exc:
        raise _trade_refusal(session, runtime, batch, position, exc) from exc
    record = _record_opened(session, opening, result, trade_id=trade.trade_id)
    # financed_by names the trade's live financier, typed or not: the documents of a financed
    # trade are frozen (trade_linker.is_frozen), and the bank's statistics count it.
    trade.financed_by = opening.party.code
    trade.updated_at = utcnow()
    session.add(trade)
    _tell(session, trade, notifications.Kind.FINANCED, opening.party, result, opening.kind)
    session.commit()
    return record


def _client(session: Session, runtime: Runtime, party: PartyRecord) -> LifecycleRegistryClient:
    """The LifecycleRegistry as ``party``'s own chain account."""
    return runtime.ledger().lifecycle_as(
        party_account(session=session, runtime=runtime, party=party)
    )


def _trade(session: Session, trade_id: str) -> TradeRecord:
    try:
        return get_trade_or_404(session=session, trade_id=trade_id)
    except NotFound as exc:
        raise NotFound(exc.message, field="subject") from exc


def _trade_refusal(
    session: Session,
    runtime: Runtime,
    batch: int,
    position: int,
    exc: ContractReverted,
) -> Exception:
    """What a refused opening means: a live financing (say whose), else the contract's words."""
    holder = typed_holder(session, runtime, chain_subject(batch, position)) or legacy_holder(
        session, runtime, batch, position
    )
    return already_financed(holder) if holder is not None else lifecycle_conflict(exc)


def _open_on_receipt(session: Session, runtime: Runtime, opening: _Opening) -> TypedFinancingRecord:
    receipt_id = opening.subject.lower()
    if len(receipt_id) != 64 or any(c not in "0123456789abcdef" for c in receipt_id):
        raise UnprocessableContent(
            "subject: a warehouse receipt's on-chain id is 64 hex digits", field="subject"
        )
    subject = receipt_subject(receipt_id)
    receipt = runtime.ledger().lifecycle().warehouse_receipt_of(subject)
    if receipt is None:
        raise NotFound(f"no warehouse receipt {receipt_id} on chain", field="subject")
    # The chain holds a receipt's value in minor units only: its currency is the warehouse's
    # record (a receipt relayed by sandan's warehouse service has one).
    recorded = session.get(WarehouseReceiptRecord, receipt_id)
    if recorded is not None and currency_code(recorded.currency) != opening.currency:
        raise Conflict(
            f"the warehouse receipt is valued in {recorded.currency}, not {opening.currency}",
            code="currency_mismatch",
            field="currency",
        )
    holder = typed_holder(session, runtime, subject)
    if holder is not None:
        raise already_financed(holder, "warehouse receipt")
    if receipt.state is not ReceiptState.ISSUED:
        state = receipt.state.name.title()
        raise Conflict(
            f"only an Issued warehouse receipt can be pledged; this one is {state}",
            code="receipt_not_issued",
            field="subject",
            extra={"receiptState": state},
        )
    limit = minor_amount(opening.limit, opening.currency, "limit")
    if limit > receipt.value:
        value = Decimal(amount_text(receipt.value, opening.currency))
        check_cap(opening.limit, value, Decimal(0), "warehouse receipt")
    client = _client(session, runtime, opening.party)
    try:
        result = client.open_receipt_financing(subject, limit, opening.terms_hash(runtime))
    except ContractReverted as exc:
        holder = typed_holder(session, runtime, subject)
        refusal = already_financed(holder, "warehouse receipt") if holder else None
        raise (refusal or lifecycle_conflict(exc)) from exc
    record = _record_opened(session, opening, result, receipt_id=receipt_id)
    session.commit()
    return record


def _record_opened(
    session: Session,
    opening: _Opening,
    result: TxResult,
    *,
    trade_id: str | None = None,
    receipt_id: str | None = None,
) -> TypedFinancingRecord:
    (opened,) = events_named(result.events, FinancingOpened)
    record = TypedFinancingRecord(
        financing_id=opened.financing_id,
        kind=opening.kind,
        subject=bytes(opened.subject).hex(),
        trade_id=trade_id,
        receipt_id=receipt_id,
        bank_code=opening.party.code,
        currency=opening.currency,
        limit_minor=opened.limit,
        drawn_minor=0,
        outstanding_minor=0,
        terms=json.dumps(opening.terms, ensure_ascii=False, sort_keys=True),
        terms_hash=bytes(opened.terms_hash).hex(),
        state="open",
        opened_at=utcnow(),
    )
    session.add(record)
    session.flush()  # the movement refers to it
    _movement(session, record, "opened", None, result)
    return record


def _movement(
    session: Session,
    record: TypedFinancingRecord,
    kind: str,
    amount: int | None,
    result: TxResult,
    reference: str | None = None,
) -> None:
    session.add(
        FinancingMovementRecord(
            financing_id=record.financing_id,
            kind=kind,
            amount_minor=amount,
            reference=reference,
            outstanding_minor=record.outstanding_minor,
            tx_hash=result.tx_hash,
            block_number=result.block_number,
            at=utcnow(),
        )
    )


def _tell(
    session: Session,
    trade: TradeRecord,
    kind: notifications.Kind,
    party: PartyRecord,
    result: TxResult,
    financing_kind: str,
) -> None:
    """The trade's parties hear that their trade is financed (or freed), never the terms."""
    notifications.emit(
        session,
        kind=kind,
        parties=notifications.trade_parties(session, trade) | {party.code},
        trade_id=trade.trade_id,
        data={
            "ebpCode": trade.ebp_code,
            "orderNo": trade.order_no,
            "by": party.code,
            "financingKind": financing_kind,
            "txHash": result.tx_hash,
            "blockNumber": result.block_number,
        },
        now=utcnow(),
    )


# --- drawdowns, repayments, closing ------------------------------------------------------


def _locked(session: Session, financing_id: int) -> TypedFinancingRecord:
    """The financing's row, locked for this transaction (PostgreSQL), or 404: two movements
    of one line are mirrored one after the other."""
    record = session.exec(
        select(TypedFinancingRecord)
        .where(TypedFinancingRecord.financing_id == financing_id)
        .with_for_update()
    ).first()
    if record is None:
        raise NotFound(f"no typed financing {financing_id}", field="financingId")
    return record


def _step(
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    record: TypedFinancingRecord,
    call: Callable[[LifecycleRegistryClient], TxResult],
) -> TxResult:
    """Send ``call`` through the party's own account. The bank's own amounts were checked
    already; another bank is not stopped here but by the contract, and told whose line it is."""
    try:
        return call(_client(session, runtime, party))
    except ContractReverted as exc:
        if party.code != record.bank_code:
            raise PermissionDenied(
                f"financing {record.financing_id} was opened by {record.bank_code}; only that "
                "bank may draw, repay or close it",
                code="not_financier",
                extra={"financedBy": record.bank_code, "contractError": exc.error_name},
            ) from exc
        raise lifecycle_conflict(exc) from exc


def draw(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    financing_id: int,
    amount: str | Decimal,
    reference: str | None = None,
) -> TypedFinancingPublic:
    """Draw ``amount`` of an open line: the drawn total stays within the limit."""
    record = _locked(session, financing_id)
    minor = minor_amount(Decimal(amount), record.currency, "amount")
    if party.code == record.bank_code:
        _require_movable(session, record, reference)
        if record.drawn_minor + minor > record.limit_minor:
            raise _over(record, minor, "limit", record.limit_minor, drawn=record.drawn_minor)
    result = _step(session, runtime, party, record, lambda c: c.drawdown(financing_id, minor))
    (drawn,) = events_named(result.events, FinancingDrawn)
    record.drawn_minor += minor
    record.outstanding_minor = drawn.outstanding
    return _mirrored(session, runtime, party, record, "drawdown", minor, result, reference)


def repay(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    financing_id: int,
    amount: str | Decimal,
    reference: str | None = None,
) -> TypedFinancingPublic:
    """Repay ``amount`` of what is outstanding on a line."""
    record = _locked(session, financing_id)
    minor = minor_amount(Decimal(amount), record.currency, "amount")
    if party.code == record.bank_code:
        _require_movable(session, record, reference)
        if minor > record.outstanding_minor:
            raise _over(record, minor, "outstanding", record.outstanding_minor)
    result = _step(session, runtime, party, record, lambda c: c.repay(financing_id, minor))
    (repaid,) = events_named(result.events, FinancingRepaid)
    record.outstanding_minor = repaid.outstanding
    return _mirrored(session, runtime, party, record, "repayment", minor, result, reference)


def close(
    *, session: Session, runtime: Runtime, party: PartyRecord, financing_id: int
) -> TypedFinancingPublic:
    """Close a line with nothing outstanding: the trade or the receipt is free again."""
    record = _locked(session, financing_id)
    if party.code == record.bank_code:
        _require_open(record)
        if record.outstanding_minor:
            outstanding = amount_text(record.outstanding_minor, record.currency)
            raise Conflict(
                f"{outstanding} is still outstanding on financing {financing_id}: repay it "
                "before closing",
                code="outstanding",
                extra={"outstanding": outstanding},
            )
    result = _step(session, runtime, party, record, lambda c: c.close_financing(financing_id))
    record.state = "closed"
    record.closed_at = utcnow()
    if record.trade_id is not None:
        trade = get_trade_or_404(session=session, trade_id=record.trade_id)
        if trade.financing_id is None and trade.financed_by == record.bank_code:
            trade.financed_by = None
            trade.updated_at = utcnow()
            session.add(trade)
        _tell(session, trade, notifications.Kind.FINANCING_CLOSED, party, result, record.kind)
    return _mirrored(session, runtime, party, record, "closed", None, result)


def _mirrored(
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    record: TypedFinancingRecord,
    kind: str,
    amount: int | None,
    result: TxResult,
    reference: str | None = None,
) -> TypedFinancingPublic:
    """Commit the movement the chain confirmed, with the line's new totals; the line as now."""
    _movement(session, record, kind, amount, result, reference)
    session.add(record)
    session.commit()
    return financing_public(
        session=session, runtime=runtime, party=party, financing_id=record.financing_id
    )


def _require_movable(session: Session, record: TypedFinancingRecord, reference: str | None) -> None:
    """409 if the line is closed, or already took a movement under ``reference``."""
    _require_open(record)
    if reference is None:
        return
    earlier = session.exec(
        select(FinancingMovementRecord).where(
            FinancingMovementRecord.financing_id == record.financing_id,
            FinancingMovementRecord.reference == reference,
        )
    ).first()
    if earlier is not None:
        raise Conflict(
            f"financing {record.financing_id} already took {earlier.kind} {reference} in "
            f"transaction {earlier.tx_hash}",
            code="duplicate_movement",
            field="reference",
            extra={"txHash": earlier.tx_hash},
        )


def _require_open(record: TypedFinancingRecord) -> None:
    if record.state != "open":
        raise Conflict(f"financing {record.financing_id} is closed", code="financing_closed")


def _over(
    record: TypedFinancingRecord, amount: int, cap_name: str, cap: int, *, drawn: int = 0
) -> ApiError:
    """409 ``over_limit`` / ``over_outstanding`` naming the amount, the cap and what is drawn."""
    shown = {
        "amount": amount_text(amount, record.currency),
        cap_name: amount_text(cap, record.currency),
    }
    told = ""
    if drawn:
        shown["drawn"] = amount_text(drawn, record.currency)
        told = f" on top of {shown['drawn']} already drawn"
    return Conflict(
        f"{shown['amount']}{told} is more than the {cap_name} {shown[cap_name]} of financing "
        f"{record.financing_id}",
        code=f"over_{cap_name}",
        field="amount",
        extra=shown,
    )
