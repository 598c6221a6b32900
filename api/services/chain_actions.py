"""Contract calls made for customs and banks through their own chain accounts.

The contract is the judge: a trade cannot be released twice, settled before
release or financed twice, whoever asks and however the database looks. The
database mirrors what the chain said, after the chain said it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlmodel import Session, col, select

from api.db import crud
from api.db.models import AnchorBatchRecord, OutboxRecord, PartyRecord, TradeRecord, utcnow
from api.errors import Conflict
from api.runtime import Runtime
from api.schemas import ChainReceipt, FinancingPublic, TradesPublic
from api.services import live_financing, negative_list, notifications
from api.services.chain_accounts import party_account
from api.services.trades import count_trades, trades_public
from ledger_client import ContractReverted, TxResult
from ledger_client.events import FinancingRegistered, SettlementsConfirmed, events_named
from traceability import content_hash


def _verdict_anchored(session: Session, trade: TradeRecord) -> bool:
    row = crud.get_outbox(
        session=session, kind="verdict", subject=f"{trade.trade_id}:{trade.verdict_hash}"
    )
    if row is None or row.batch_id is None:
        return False
    batch = crud.get_batch(session=session, batch_id=row.batch_id)
    return batch is not None and batch.state == "confirmed"


def releasable(*, session: Session, party: PartyRecord, limit: int, offset: int) -> TradesPublic:
    """Matched, unreleased trades whose verdict is confirmed on chain."""
    anchored_verdicts = (
        select(OutboxRecord.subject)
        .join(AnchorBatchRecord, col(AnchorBatchRecord.id) == col(OutboxRecord.batch_id))
        .where(OutboxRecord.kind == "verdict", AnchorBatchRecord.state == "confirmed")
    )
    subject = col(TradeRecord.trade_id) + ":" + col(TradeRecord.verdict_hash)
    stmt = select(TradeRecord).where(
        TradeRecord.status == "match",
        col(TradeRecord.released_at).is_(None),
        subject.in_(anchored_verdicts),
    )
    total = count_trades(session, stmt)
    page = stmt.order_by(col(TradeRecord.updated_at), col(TradeRecord.trade_id))
    rows = session.exec(page.offset(offset).limit(limit)).all()
    data = trades_public(session=session, trades=rows)  # customs sees each one's conflicts
    return TradesPublic(data=data, count=total, limit=limit, offset=offset)


def _receipt(trade: TradeRecord, action: str, result: TxResult, party: PartyRecord) -> ChainReceipt:
    return ChainReceipt(
        trade_id=trade.trade_id,
        action=action,
        tx_hash=result.tx_hash,
        block_number=result.block_number,
        by=party.code,
    )


def tell_step(
    session: Session,
    trade: TradeRecord,
    kind: notifications.Kind,
    party: PartyRecord,
    result: TxResult,
) -> None:
    """Notify the trade's parties, and the customs office or bank that acted, of a step the
    chain confirmed; written in the session, committed with the step by the caller."""
    notifications.emit(
        session,
        kind=kind,
        parties=notifications.trade_parties(session, trade) | {party.code},
        trade_id=trade.trade_id,
        data={
            "ebpCode": trade.ebp_code,
            "orderNo": trade.order_no,
            "by": party.code,
            "txHash": result.tx_hash,
            "blockNumber": result.block_number,
        },
        now=utcnow(),
    )


def _save(session: Session, trade: TradeRecord, **changes: Any) -> None:
    """Record what a chain transaction changed on the trade, and commit."""
    for name, value in changes.items():
        setattr(trade, name, value)
    trade.updated_at = utcnow()
    session.add(trade)
    session.commit()


def position_of(trade: TradeRecord) -> tuple[int, int]:
    """Where the trade's current verdict sits on chain (verdict batch, position): what a
    release, settlement or financing names. The leaf there commits to the verdict hash, so
    the step names exactly the documents that verdict judged."""
    if trade.verdict_batch is None or trade.verdict_position is None:
        raise Conflict(
            "the verdict is not anchored on chain yet; retry shortly", code="verdict_not_anchored"
        )
    return trade.verdict_batch, trade.verdict_position


def check_verdict_named(trade: TradeRecord, claimed: str | None, *, field: str) -> None:
    """409 unless ``claimed`` (the verdict a party judged, when it names one) is the trade's
    current verdict: nobody releases, settles or finances documents they did not see."""
    if claimed is not None and claimed.lower() != (trade.verdict_hash or ""):
        raise Conflict(
            f"the trade's verdict is now {trade.verdict_hash}, not {claimed}: judge it again",
            code="verdict_changed",
            field=field,
            extra={"verdictHash": trade.verdict_hash},
        )


def require_anchored_verdict(session: Session, trade: TradeRecord) -> None:
    """409 until the trade's current verdict is confirmed on chain: the contract checks a
    release's or a financing's verdict against its own, so a step on a verdict the chain has
    not seen yet would name documents it cannot vouch for."""
    if not _verdict_anchored(session, trade):
        raise Conflict(
            "the verdict is not anchored on chain yet; retry shortly", code="verdict_not_anchored"
        )


def refuse_cancelled(trade: TradeRecord) -> None:
    """409 for a trade whose inventory customs cancelled on chain (撤单), as the database
    mirrors it: before anything is sent, naming the cancellation's transaction. TradeRegistry
    refuses the steps after it too (it consults the LifecycleRegistry), for a cancellation
    the database has not mirrored yet: :func:`guard_refusal`."""
    if trade.cancelled_at is not None:
        raise Conflict(
            f"the trade's inventory was cancelled in transaction {trade.cancel_tx}",
            code="trade_cancelled",
            extra={"cancelTx": trade.cancel_tx},
        )


def check_releasable(session: Session, trade: TradeRecord) -> None:
    """409 unless ``trade`` is matched, its verdict anchored, and not released yet."""
    refuse_cancelled(trade)
    if trade.released_at is not None:
        raise Conflict(
            f"trade already released in transaction {trade.release_tx}", code="already_released"
        )
    if trade.status != "match":
        raise Conflict(
            f"only a matched trade can be released; this one is {trade.status}",
            code="not_matched",
            field="status",
        )
    require_anchored_verdict(session, trade)


def release(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    trade: TradeRecord,
    verdict_hash: str | None = None,
) -> ChainReceipt:
    """Release a matched trade whose verdict is anchored, on that verdict (``verdict_hash``,
    when given, must still be it)."""
    check_releasable(session, trade)
    check_verdict_named(trade, verdict_hash, field="verdictHash")
    batch, position = position_of(trade)
    negative_list.check_unlisted(session=session, runtime=runtime, trade=trade)
    account = party_account(session=session, runtime=runtime, party=party)
    try:
        result = runtime.ledger().release(batch, position, account)
    except ContractReverted as exc:
        refusal = negative_list.listed_refusal(
            session=session, runtime=runtime, trades=[trade], exc=exc
        )
        raise (guard_refusal(exc) or refusal) from exc
    # The chain has the release (its receipt is in hand): told in the commit that records it.
    tell_step(session, trade, notifications.Kind.RELEASED, party, result)
    _save(
        session,
        trade,
        released_at=utcnow(),
        release_tx=result.tx_hash,
        release_block=result.block_number,
    )
    return _receipt(trade, "release", result, party)


def settle(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    trade: TradeRecord,
    reference: str,
    verdict_hash: str | None = None,
) -> ChainReceipt:
    """Confirm settlement of a released trade; only the reference's hash goes on chain, with
    the verdict the trade was released on."""
    refuse_cancelled(trade)
    if trade.released_at is None:
        raise Conflict("only a released trade can be settled", code="not_released")
    if trade.settled_at is not None:
        raise Conflict(
            f"settlement already confirmed in {trade.settlement_tx}", code="already_settled"
        )
    check_verdict_named(trade, verdict_hash, field="verdictHash")
    batch, position = position_of(trade)
    account = party_account(session=session, runtime=runtime, party=party)
    ref_hash = hashlib.sha256(reference.encode("utf-8")).digest()
    try:
        result = runtime.ledger().confirm_settlement(batch, position, ref_hash, account)
    except ContractReverted as exc:
        guarded = guard_refusal(exc)
        if guarded is None:
            raise
        raise guarded from exc
    (confirmed,) = events_named(result.events, SettlementsConfirmed)
    tell_step(session, trade, notifications.Kind.SETTLED, party, result)
    _save(
        session,
        trade,
        settlement_id=confirmed.settlement_id,
        settled_at=utcnow(),
        settled_by=party.code,
        settlement_ref=ref_hash.hex(),
        settlement_tx=result.tx_hash,
        settlement_block=result.block_number,
    )
    return _receipt(trade, "settlement", result, party)


def finance(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    trade: TradeRecord,
    terms: dict[str, Any],
    verdict_hash: str | None = None,
) -> FinancingPublic:
    """Register financing on the trade's current verdict; if another bank got there first,
    say who (never their terms)."""
    refuse_cancelled(trade)
    if trade.status != "match":
        raise Conflict(
            f"only a matched trade can be financed; this one is {trade.status}", code="not_matched"
        )
    check_verdict_named(trade, verdict_hash, field="verdictHash")
    require_anchored_verdict(session, trade)
    batch, position = position_of(trade)
    negative_list.check_unlisted(session=session, runtime=runtime, trade=trade)
    live_financing.refuse_typed_live(session, runtime, batch, position)
    account = party_account(session=session, runtime=runtime, party=party)
    committed = {"tradeId": trade.trade_id, "bank": party.code, "terms": terms}
    terms_hash = content_hash(committed, runtime.digest)
    try:
        result = runtime.ledger().register_financing(batch, position, terms_hash, account)
    except ContractReverted as exc:
        refusal = negative_list.listed_refusal(
            session=session, runtime=runtime, trades=[trade], exc=exc
        )
        if refusal is exc:
            refusal = _financing_conflict(session, runtime, exc)
        raise refusal from exc
    (registered,) = events_named(result.events, FinancingRegistered)
    _save(
        session,
        trade,
        financing_id=registered.financing_id,
        financed_by=party.code,
        financing_terms_hash=terms_hash.hex(),
        financing_tx=result.tx_hash,
        financing_block=result.block_number,
    )
    return FinancingPublic(
        trade_id=trade.trade_id,
        financed_by=party.code,
        terms_hash=terms_hash.hex(),
        tx_hash=result.tx_hash,
        block_number=result.block_number,
    )


#: TradeRegistry's refusals on LifecycleRegistry's word (the guard it consults), under the
#: codes LifecycleRegistry's own refusals of the same facts carry.
_GUARD_REFUSALS: dict[str, tuple[str, str]] = {
    "TradeRegistryTradeCancelled": (
        "trade_cancelled",
        "trade ({0}, {1}) was cancelled by customs: it can be neither released, settled nor "
        "financed",
    ),
    "TradeRegistryTradeTypedFinanced": (
        "trade_financed",
        "trade ({0}, {1}) is under a live typed financing; another financing waits until it "
        "is closed",
    ),
}


def guard_refusal(exc: ContractReverted) -> Conflict | None:
    """The 409 for TradeRegistry refusing a cancelled or typed-financed trade, else None."""
    known = _GUARD_REFUSALS.get(exc.error_name or "")
    if known is None or len(exc.args) < 2:
        return None
    code, message = known
    batch, position = int(exc.args[0]), int(exc.args[1])
    return Conflict(
        message.format(batch, position), code=code, extra={"batch": batch, "position": position}
    )


def _financing_conflict(session: Session, runtime: Runtime, exc: ContractReverted) -> Exception:
    guarded = guard_refusal(exc)
    if guarded is not None:
        return guarded
    if exc.error_name != "TradeRegistryTradeFinanced" or len(exc.args) < 3:
        return exc
    # TradeRegistryTradeFinanced(batch, position, financingId): the open financing's bank.
    open_financing = runtime.ledger().trade.financing_of(int(exc.args[2]))
    financier = open_financing.bank if open_financing is not None else ""
    first = crud.party_by_address(session=session, address=financier)
    who = first.code if first is not None else financier
    return Conflict(
        f"this trade is already financed by {who}; a second financing is refused until it is "
        "discharged",
        code="already_financed",
        extra={"financedBy": who, "financierAddress": financier},
    )


def discharge(
    *, session: Session, runtime: Runtime, party: PartyRecord, trade: TradeRecord
) -> ChainReceipt:
    """Discharge the caller's own financing of a trade."""
    if trade.financing_id is None:
        raise Conflict("this trade carries no financing to discharge", code="not_financed")
    _, position = position_of(trade)
    account = party_account(session=session, runtime=runtime, party=party)
    result = runtime.ledger().discharge_financing(trade.financing_id, position, account)
    _save(session, trade, financed_by=None, financing_terms_hash=None, financing_id=None)
    return _receipt(trade, "discharge", result, party)
