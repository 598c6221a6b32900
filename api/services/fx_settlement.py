"""Foreign-exchange settlement (收结汇) on verified trades, netting (轧差结算) and the
individuals' annual facilitation quota view (issue 18 item 3).

A bank records what it settled: an amount in a currency, the rate into each trade's
currency, the account, the value date, perhaps its own reference, and the trades it covers
with a share each. Every share is checked before anything is written:

* the trade is matched (三单合一), released by customs and not cancelled;
* its currency is the one the rate converts into (one rate: one trade currency per
  settlement), and a trade in the settlement's own currency takes rate 1;
* cumulative per trade, what is settled never exceeds the trade: the lesser of its declared
  value (``customs_value``) and its payment (the import payment's ``amountPaid``, the
  export receipt's ``charge``; a B2B export has none, and its value caps it alone), less
  the accepted returns (``returned_value``).

Then the chain judges: ``LifecycleRegistry.recordFxSettlement`` through the bank's own
chain account, after each trade's value is declared, caps the settled total of each trade
at its declared value less returns, and refuses a reused settlement hash. Either every
trade of a netting settlement is settled or none is. The database mirrors the chain's
answer: the settlement, its shares, and each trade's ``fx_settled_value``.

What goes on chain is the content hash of the canonical settlement record (amounts,
currency, rate, value date, the trades and their shares, and the *keyed hash* of the
account, never the account number); the record is kept, so whoever may read the
settlement can recompute the hash and compare it with the chain's.

Conversion: ``trade amount = amount x rate``, rounded half up to the cent (0.01), per
trade; the chain's amounts are those trade amounts in minor units.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, or_, select

from api.db import notifications
from api.db.fx_models import FxSettlementRecord, FxSettlementTradeRecord
from api.db.models import DocumentRecord, PartyRecord, TradeRecord, utcnow
from api.errors import Conflict, NotFound, PermissionDenied, UnprocessableContent
from api.fx_schemas import (
    FxQuotaEntry,
    FxQuotaPublic,
    FxQuotasPublic,
    FxQuotaTotals,
    FxSettlementPublic,
    FxSettlementsPublic,
    FxSettlementTradePublic,
)
from api.money import FEN, to_fen
from api.runtime import Runtime
from api.services.chain_accounts import party_account
from api.services.chain_actions import position_of
from api.services.lifecycle_chain import (
    ensure_values_declared,
    from_minor_units,
    lifecycle_conflict,
    minor_units,
)
from api.services.parties import party_roles
from api.services.trade_queries import party_of_trade
from ledger_client import ContractReverted
from ledger_client.events import FxSettlementApplied, events_named
from traceability import content_hash
from traceability.trade import parse_document
from traceability.trade.code_lists import CODE_LISTS

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

__all__ = [
    "SettlementShare",
    "currency_iso",
    "get_settlement",
    "individual_of",
    "list_settlements",
    "payment_amount",
    "quota_of_bank_customers",
    "quota_of_id_number",
    "quota_of_individual",
    "settle",
]

#: ISO letters of each CEB currency code sandan knows (142 → CNY, 502 → USD ...).
_ISO_OF_CEB: dict[str, str] = dict(CODE_LISTS["currency"].codes)
_KNOWN_ISO = frozenset(_ISO_OF_CEB.values())
_USD = "USD"
_SHARE_OF_SETTLEMENT = col(FxSettlementRecord.id) == FxSettlementTradeRecord.settlement_id


@dataclass(frozen=True, slots=True)
class SettlementShare:
    """One trade of a settlement and its share, in the settlement currency."""

    trade_id: str
    amount: Decimal


def currency_iso(code: str | None) -> str | None:
    """The ISO letters of a trade's currency (a CEB code, 502; or letters already, USD)."""
    if code is None:
        return None
    value = code.strip().upper()
    if value in _KNOWN_ISO:
        return value
    return _ISO_OF_CEB.get(value)


def _keyed(runtime: Runtime, purpose: str, value: str) -> str:
    """The zone's keyed hash (HMAC-SHA256) of a personal identifier, as hex: stable within
    a zone, useless to whoever holds the database but not the keystore secret."""
    message = f"{purpose}:{value}".encode()
    return hmac.new(runtime.pseudonym_key, message, hashlib.sha256).hexdigest()


def individual_of(runtime: Runtime, trade: TradeRecord) -> str | None:
    """The keyed hash of the individual an import trade's buyer is (订购人, who is also the
    payer: GACC 2016 No. 26), from the order's ID number; None for an export, whose
    counterpart abroad holds no Chinese quota."""
    if trade.direction != "import" or not trade.buyer_id:
        return None
    return _keyed(runtime, "individual", trade.buyer_id.strip().upper())


def _account_hash(runtime: Runtime, account: str) -> str:
    normalised = account.replace(" ", "").replace("-", "").upper()
    return _keyed(runtime, "account", normalised)


def payment_amount(session: Session, trade: TradeRecord) -> tuple[Decimal, str] | None:
    """The amount and CEB currency of the trade's current payment record: the import
    payment's ``amountPaid`` (CEB411) or the export receipt's ``charge`` (CEB403); None
    when the trade has none (B2B exports carry no payment record)."""
    if trade.payment_hash is None:
        return None
    record = session.exec(
        select(DocumentRecord).where(DocumentRecord.content_hash == trade.payment_hash)
    ).first()
    if record is None:
        return None
    document = parse_document(record.doc_type, json.loads(record.envelope)["payload"]["document"])
    amount = getattr(document, "amountPaid", None)
    if amount is None:
        amount = getattr(document, "charge", None)
    if amount is None:
        return None
    return Decimal(amount), str(getattr(document, "currency", trade.currency or ""))


def _decimal(text: str | None) -> Decimal:
    try:
        return Decimal(text or "0")
    except InvalidOperation:
        return Decimal(0)


@dataclass(frozen=True, slots=True)
class _Checked:
    """A share that passed the off-chain checks."""

    trade: TradeRecord
    index: int
    amount: Decimal
    trade_amount: Decimal
    settled_after: Decimal


def _check_state(trade: TradeRecord, field: str) -> None:
    ref = f"trade {trade.trade_id} ({trade.ebp_code}/{trade.order_no})"
    extra = {"tradeId": trade.trade_id}
    if trade.status != "match":
        raise Conflict(
            f"{ref} is {trade.status}: foreign exchange is settled on verified (matched) trades "
            "only",
            code="not_matched",
            field=field,
            extra=extra,
        )
    if trade.released_at is None:
        raise Conflict(
            f"{ref} is not released by customs: settle it after release",
            code="not_released",
            field=field,
            extra=extra,
        )
    if trade.cancelled_at is not None:
        raise Conflict(
            f"{ref} was cancelled (撤单) at {trade.cancelled_at.isoformat()}: nothing to settle",
            code="trade_cancelled",
            field=field,
            extra=extra,
        )


def _over_detail(
    session: Session, trade: TradeRecord, field: str, converted: Decimal
) -> tuple[Decimal, dict[str, Any]]:
    """What is settled on ``trade`` after ``converted`` more, and the numbers a refusal
    names."""
    if not trade.customs_value:
        raise Conflict(
            f"trade {trade.trade_id} has no declared value to settle against",
            code="no_declared_value",
            field=field,
            extra={"tradeId": trade.trade_id},
        )
    declared = _decimal(trade.customs_value)
    paid = payment_amount(session, trade)
    cap = declared
    if paid is not None:
        paid_currency = currency_iso(paid[1])
        if paid_currency != currency_iso(trade.currency):
            raise Conflict(
                f"trade {trade.trade_id}'s payment is in {paid[1]}, its value in "
                f"{trade.currency}: the two cannot be compared",
                code="currency_mismatch",
                field=field,
                extra={"tradeId": trade.trade_id},
            )
        cap = min(declared, paid[0])
    returned = _decimal(trade.returned_value)
    settled = _decimal(trade.fx_settled_value)
    available = cap - returned
    detail = {
        "tradeId": trade.trade_id,
        "currency": trade.currency,
        "declaredValue": to_fen(declared),
        "paymentAmount": to_fen(paid[0]) if paid is not None else None,
        "returned": to_fen(returned),
        "settled": to_fen(settled),
        "available": to_fen(max(available - settled, Decimal(0))),
        "requested": to_fen(converted),
    }
    return settled + converted, detail | {"over": settled + converted > available}


def _check_shares(
    session: Session,
    shares: Sequence[SettlementShare],
    trades: dict[str, TradeRecord],
    currency: str,
    rate: Decimal,
) -> list[_Checked]:
    """Every share checked against its trade (all before any is refused: the refusal of a
    netting settlement names each trade that is over)."""
    checked: list[_Checked] = []
    over: list[dict[str, Any]] = []
    trade_currency: tuple[str, int] | None = None
    for index, share in enumerate(shares):
        field = f"trades[{index}].tradeId"
        trade = trades.get(share.trade_id)
        if trade is None:
            raise NotFound(f"no trade {share.trade_id}", field=field)
        _check_state(trade, field)
        iso = currency_iso(trade.currency)
        if iso is None:
            raise Conflict(
                f"trade {trade.trade_id}'s currency {trade.currency!r} is not one sandan can "
                "convert into",
                code="unknown_trade_currency",
                field=field,
                extra={"tradeId": trade.trade_id},
            )
        if trade_currency is not None and trade_currency[0] != iso:
            raise UnprocessableContent(
                f"trade {trade.trade_id} is in {iso}, trades[{trade_currency[1]}] in "
                f"{trade_currency[0]}: one rate converts into one currency; settle them apart",
                code="currency_mismatch",
                field=field,
                extra={"tradeId": trade.trade_id},
            )
        trade_currency = (iso, index)
        if iso == currency and rate != 1:
            raise UnprocessableContent(
                f"trade {trade.trade_id} is in {iso}, the settlement's own currency: the rate "
                f"must be 1, not {rate}",
                code="currency_mismatch",
                field="rate",
                extra={"tradeId": trade.trade_id},
            )
        converted = (share.amount * rate).quantize(FEN, rounding=ROUND_HALF_UP)
        if converted <= 0:
            raise UnprocessableContent(
                f"{share.amount} {currency} at {rate} is less than a cent of {iso}",
                field=f"trades[{index}].amount",
            )
        after, detail = _over_detail(session, trade, field, converted)
        if detail.pop("over"):
            over.append(detail)
        checked.append(_Checked(trade, index, share.amount, converted, after))
    if over:
        first = over[0]
        raise Conflict(
            f"trade {first['tradeId']}: {first['requested']} more would settle more than the "
            f"trade: declared {first['declaredValue']}, paid {first['paymentAmount']}, "
            f"returned {first['returned']}, settled {first['settled']}, available "
            f"{first['available']} ({first['currency']})"
            + (f"; {len(over) - 1} other trade(s) over too" if len(over) > 1 else ""),
            code="fx_over_trade",
            field="trades",
            extra={"trades": over},
        )
    return checked


def _parse_amount(text: str, field: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise UnprocessableContent(f"{field} must be a decimal number", field=field) from exc
    if not value.is_finite() or value <= 0:
        raise UnprocessableContent(f"{field} must be more than 0", field=field)
    return value


#: SQLite takes no row locks: a process serving one makes its settlements one at a time, so
#: that a reference, and a trade's payment cap, are checked and taken together.
_SQLITE_SETTLEMENTS = threading.Lock()


def settle(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    amount: str,
    currency: str,
    rate: str,
    account: str,
    value_date: date,
    trades: Sequence[tuple[str, str]],
    reference: str | None = None,
) -> FxSettlementPublic:
    """Record a settlement by ``party`` (a bank) on ``trades`` ((trade id, share in the
    settlement currency) each), checked, committed on chain, then mirrored."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    with _SQLITE_SETTLEMENTS if sqlite else nullcontext():
        return _settle(
            session=session,
            runtime=runtime,
            party=party,
            amount=amount,
            currency=currency,
            rate=rate,
            account=account,
            value_date=value_date,
            trades=trades,
            reference=reference,
        )


def _settle(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    amount: str,
    currency: str,
    rate: str,
    account: str,
    value_date: date,
    trades: Sequence[tuple[str, str]],
    reference: str | None,
) -> FxSettlementPublic:
    if "bank" not in party_roles(party):
        raise PermissionDenied("only a bank records foreign-exchange settlements")
    total = _parse_amount(amount, "amount")
    fx_rate = _parse_amount(rate, "rate")
    currency = currency.upper()
    if currency not in _KNOWN_ISO:
        raise UnprocessableContent(
            f"currency {currency!r} is not one sandan converts: " + ", ".join(sorted(_KNOWN_ISO)),
            field="currency",
        )
    if not trades:
        raise UnprocessableContent("a settlement covers at least one trade", field="trades")
    shares: list[SettlementShare] = []
    seen: dict[str, int] = {}
    for index, (trade_id, share) in enumerate(trades):
        key = trade_id.lower()
        if key in seen:
            raise UnprocessableContent(
                f"trade {key} is listed twice (trades[{seen[key]}]): one share per trade",
                field=f"trades[{index}].tradeId",
            )
        seen[key] = index
        shares.append(SettlementShare(key, _parse_amount(share, f"trades[{index}].amount")))
    if sum((s.amount for s in shares), Decimal(0)) != total:
        listed = to_fen(sum((s.amount for s in shares), Decimal(0)))
        raise UnprocessableContent(
            f"amount {to_fen(total)} is not the sum of the trades' shares ({listed})",
            field="amount",
        )
    if reference is not None:
        _refuse_reused_reference(session, party, reference)
    ids = list(seen)
    # Checked first without locks, so that a refusal is clear and comes before anything is
    # sent; then the values are declared on chain (one call per verdict batch, committed).
    _check_shares(session, shares, _trades(session, ids, lock=False), currency, fx_rate)
    chain_account = party_account(session=session, runtime=runtime, party=party)
    ensure_values_declared(
        session=session, runtime=runtime, trades=list(_trades(session, ids, lock=False).values())
    )
    # Checked again under row locks held to the commit (PostgreSQL): the bank's own row, so
    # that its references are taken one at a time, and the trades', so that two settlements
    # of one trade wait for each other instead of both passing the checks. SQLite takes no
    # row locks: there settlements are made one at a time (:data:`_SQLITE_SETTLEMENTS`).
    session.exec(select(PartyRecord).where(PartyRecord.code == party.code).with_for_update())
    if reference is not None:
        _refuse_reused_reference(session, party, reference)
    checked = _check_shares(session, shares, _trades(session, ids, lock=True), currency, fx_rate)

    account_hash = _account_hash(runtime, account)
    record = {
        "bank": party.code,
        "reference": reference,
        "currency": currency,
        "rate": str(fx_rate),
        "amount": to_fen(total),
        "valueDate": value_date.isoformat(),
        "account": account_hash,
        # A fresh salt: two settlements of equal terms are two settlements, never one hash.
        "salt": secrets.token_hex(16),
        "rounding": "trade amount = amount x rate, half up to 0.01",
        "trades": [
            {
                "tradeId": c.trade.trade_id,
                "amount": to_fen(c.amount),
                "tradeAmount": to_fen(c.trade_amount),
                "tradeCurrency": c.trade.currency,
            }
            for c in checked
        ],
    }
    settlement_hash = content_hash(record, runtime.digest)
    chain = _record_on_chain(runtime, chain_account, checked, settlement_hash)
    chain_id, tx_hash, block = chain.settlement_id, chain.tx_hash, chain.block_number

    now = utcnow()
    row = FxSettlementRecord(
        bank_code=party.code,
        reference=reference,
        currency=currency,
        rate=str(fx_rate),
        amount=to_fen(total),
        value_date=value_date,
        account_hash=account_hash,
        account_masked="****" + account.replace(" ", "").replace("-", "")[-4:],
        record=json.dumps(record, ensure_ascii=False, sort_keys=True),
        settlement_hash=settlement_hash.hex(),
        chain_settlement_id=chain_id,
        tx_hash=tx_hash,
        block_number=block,
        created_at=now,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    for c in checked:
        session.add(
            FxSettlementTradeRecord(
                settlement_id=row.id,
                trade_id=c.trade.trade_id,
                amount=to_fen(c.amount),
                trade_amount=to_fen(c.trade_amount),
                trade_currency=c.trade.currency or "",
                individual=individual_of(runtime, c.trade),
                value_date=value_date,
            )
        )
        # The chain's total, not ours: whatever else settled the trade meanwhile (another
        # process on the database) is counted, never overwritten.
        chain_total = chain.totals.get(position_of(c.trade))
        settled = (
            from_minor_units(chain_total, c.trade.currency or "")
            if chain_total is not None
            else c.settled_after
        )
        c.trade.fx_settled_value = to_fen(settled)
        c.trade.updated_at = now
        session.add(c.trade)
        # Told in the commit that records it: the chain has the settlement already.
        notifications.emit(
            session,
            kind=notifications.Kind.FX_SETTLED,
            parties=notifications.trade_parties(session, c.trade) | {party.code},
            trade_id=c.trade.trade_id,
            data={
                "ebpCode": c.trade.ebp_code,
                "orderNo": c.trade.order_no,
                "by": party.code,
                "settlementId": row.id,
                "amount": to_fen(c.trade_amount),
                "currency": c.trade.currency,
                "fxSettledValue": to_fen(settled),
                "txHash": tx_hash,
                "blockNumber": block,
            },
            now=now,
        )
    try:
        session.commit()
    except IntegrityError as exc:  # the same reference, recorded by a concurrent request
        session.rollback()
        raise Conflict(
            f"the chain recorded settlement {chain_id} (transaction {tx_hash}) but its "
            "reference was taken meanwhile; it is not mirrored: tell the operator",
            code="duplicate_reference",
            field="reference",
        ) from exc
    session.refresh(row)
    return _public(session, row)


def _refuse_reused_reference(session: Session, party: PartyRecord, reference: str) -> None:
    existing = session.exec(
        select(FxSettlementRecord).where(
            FxSettlementRecord.bank_code == party.code, FxSettlementRecord.reference == reference
        )
    ).first()
    if existing is not None:
        raise Conflict(
            f"settlement {existing.id} already has reference {reference!r} "
            f"(transaction {existing.tx_hash})",
            code="duplicate_reference",
            field="reference",
            extra={"settlementId": existing.id},
        )


@dataclass(frozen=True, slots=True)
class _OnChain:
    """What the chain said of a settlement: its number, transaction, block, and each
    trade's FX-settled total after it, in minor units, by (batch, position)."""

    settlement_id: int
    tx_hash: str
    block_number: int
    totals: dict[tuple[int, int], int]


def _trades(session: Session, ids: Sequence[str], *, lock: bool) -> dict[str, TradeRecord]:
    """The trades named, by id (locked for update in one order, by id, with ``lock``)."""
    stmt = select(TradeRecord).where(col(TradeRecord.trade_id).in_(ids))
    stmt = stmt.order_by(col(TradeRecord.trade_id))
    if lock:
        stmt = stmt.with_for_update()
    return {trade.trade_id: trade for trade in session.exec(stmt).all()}


def _record_on_chain(
    runtime: Runtime,
    account: LocalAccount,
    checked: Sequence[_Checked],
    settlement_hash: bytes,
) -> _OnChain:
    """``recordFxSettlement`` through the bank's own account. A refusal becomes a 409
    naming it."""
    entries = []
    for c in checked:
        batch, position = position_of(c.trade)
        try:
            units = minor_units(c.trade_amount, c.trade.currency or "")
        except ValueError as exc:
            raise Conflict(
                f"trade {c.trade.trade_id}: {exc}",
                code="unknown_trade_currency",
                field=f"trades[{c.index}].tradeId",
            ) from exc
        entries.append((batch, position, units))
    lifecycle = runtime.ledger().lifecycle_as(account)
    try:
        result = lifecycle.record_fx_settlement(settlement_hash, entries)
    except ContractReverted as exc:
        raise _chain_refusal(checked, exc) from exc
    totals = {
        (applied.batch, applied.position): applied.fx_settled_total
        for applied in events_named(result.events, FxSettlementApplied)
    }
    return _OnChain(lifecycle.settlement_id(result), result.tx_hash, result.block_number, totals)


def _chain_refusal(checked: Sequence[_Checked], exc: ContractReverted) -> Conflict:
    """The contract's refusal as a 409 (:func:`lifecycle_conflict`), naming the trade by its
    id when the error names its (batch, position)."""
    refusal = lifecycle_conflict(exc)
    if len(exc.args) >= 2:
        for c in checked:
            if (c.trade.verdict_batch, c.trade.verdict_position) == (exc.args[0], exc.args[1]):
                refusal.message = f"trade {c.trade.trade_id}: {refusal.message}"
                refusal.args = (refusal.message,)
                refusal.field = f"trades[{c.index}].tradeId"
                refusal.extra = {"tradeId": c.trade.trade_id}
    return refusal


# --- reading -----------------------------------------------------------------------------


def _public(session: Session, row: FxSettlementRecord) -> FxSettlementPublic:
    shares = session.exec(
        select(FxSettlementTradeRecord, TradeRecord.fx_settled_value)
        .join(TradeRecord, col(TradeRecord.trade_id) == FxSettlementTradeRecord.trade_id)
        .where(FxSettlementTradeRecord.settlement_id == row.id)
        .order_by(col(FxSettlementTradeRecord.trade_id))
    ).all()
    return FxSettlementPublic(
        id=row.id or 0,
        bank=row.bank_code,
        reference=row.reference,
        amount=row.amount,
        currency=row.currency,
        rate=row.rate,
        value_date=row.value_date,
        account_masked=row.account_masked,
        account_hash=row.account_hash,
        settlement_hash=row.settlement_hash,
        record=json.loads(row.record),
        chain_settlement_id=row.chain_settlement_id,
        tx_hash=row.tx_hash,
        block_number=row.block_number,
        created_at=row.created_at,
        trades=[
            FxSettlementTradePublic(
                trade_id=share.trade_id,
                amount=share.amount,
                trade_amount=share.trade_amount,
                trade_currency=share.trade_currency,
                fx_settled_value=to_fen(settled or "0"),
                individual=share.individual,
            )
            for share, settled in shares
        ],
    )


def _readable(party: PartyRecord) -> Any:
    """Settlements ``party`` may read: the regulator all; a bank those it made; a trade's
    own parties (platform, e-commerce company, document signers) those on their trades."""
    roles = party_roles(party)
    if "regulator" in roles:
        return None
    own_trades = select(TradeRecord.trade_id).where(or_(*party_of_trade(party)))
    on_own = select(FxSettlementTradeRecord.settlement_id).where(
        col(FxSettlementTradeRecord.trade_id).in_(own_trades)
    )
    return or_(FxSettlementRecord.bank_code == party.code, col(FxSettlementRecord.id).in_(on_own))


def get_settlement(
    *, session: Session, party: PartyRecord, settlement_id: int
) -> FxSettlementPublic:
    """One settlement, if ``party`` may read it (else 404, as if it did not exist)."""
    stmt = select(FxSettlementRecord).where(FxSettlementRecord.id == settlement_id)
    condition = _readable(party)
    if condition is not None:
        stmt = stmt.where(condition)
    row = session.exec(stmt).first()
    if row is None:
        raise NotFound(f"no settlement {settlement_id}", field="settlementId")
    return _public(session, row)


def list_settlements(
    *,
    session: Session,
    party: PartyRecord,
    trade_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> FxSettlementsPublic:
    """The settlements ``party`` may read, newest first (those of ``trade_id`` only)."""
    stmt = select(FxSettlementRecord)
    condition = _readable(party)
    if condition is not None:
        stmt = stmt.where(condition)
    if trade_id is not None:
        on_trade = select(FxSettlementTradeRecord.settlement_id).where(
            FxSettlementTradeRecord.trade_id == trade_id.lower()
        )
        stmt = stmt.where(col(FxSettlementRecord.id).in_(on_trade))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(
        stmt.order_by(col(FxSettlementRecord.id).desc()).offset(offset).limit(limit)
    ).all()
    return FxSettlementsPublic(
        data=[_public(session, row) for row in rows], count=total, limit=limit, offset=offset
    )


# --- the individual's annual quota ---------------------------------------------------------


def _usd(share: FxSettlementTradeRecord, settlement: FxSettlementRecord) -> Decimal | None:
    if settlement.currency == _USD:
        return Decimal(share.amount)
    if currency_iso(share.trade_currency) == _USD:
        return Decimal(share.trade_amount)
    return None


def _unverified(trade: TradeRecord) -> str | None:
    """Why a settlement on ``trade`` uses the individual's quota in full; None while the trade
    is a verified e-commerce trade (matched, released, not cancelled)."""
    if trade.cancelled_at is not None:
        return "the trade was cancelled (撤单) after settlement: no trade backs it"
    if trade.status != "match" or trade.released_at is None:
        return f"the trade is now {trade.status}: no longer a verified trade"
    return None


def _unbacked(session: Session, trade: TradeRecord) -> Decimal:
    """What was settled on ``trade`` beyond what its accepted returns left of it (in its
    currency): returned goods no longer back that much of the settlement."""
    returned = _decimal(trade.returned_value)
    if returned <= 0:
        return Decimal(0)
    cap = _decimal(trade.customs_value)
    paid = payment_amount(session, trade)
    if paid is not None:
        cap = min(cap, paid[0])
    return max(_decimal(trade.fx_settled_value) - (cap - returned), Decimal(0))


_APART = (
    "e-commerce settlement on a verified trade (三单合一 matched, released): shown apart, "
    "not counted against the quota"
)


def quota_of_individual(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    individual: str,
    year: int,
) -> FxQuotaPublic:
    """``individual``'s year: every share of a settlement on a trade of theirs, counted or
    shown apart (an individual with none has the whole quota left). A share counts in full
    when its trade is no longer verified; in part when returns accepted after it left
    less of the trade than was settled (the newest shares first). The regulator sees
    every entry; a bank sees its own entries in full and others' without the bank (the
    totals are national: the quota is the individual's, not a bank's)."""
    roles = party_roles(party)
    if not roles & {"regulator", "bank"}:
        raise PermissionDenied("the quota view is for banks and the regulator")
    individual = individual.lower()
    stmt = (
        select(FxSettlementTradeRecord, FxSettlementRecord, TradeRecord)
        .join(FxSettlementRecord, _SHARE_OF_SETTLEMENT)
        .join(TradeRecord, col(TradeRecord.trade_id) == FxSettlementTradeRecord.trade_id)
        .where(
            FxSettlementTradeRecord.individual == individual,
            col(FxSettlementTradeRecord.value_date) >= date(year, 1, 1),
            col(FxSettlementTradeRecord.value_date) <= date(year, 12, 31),
        )
        .order_by(col(FxSettlementTradeRecord.value_date), col(FxSettlementRecord.id))
    )
    rows = session.exec(stmt).all()
    # Returned goods unback the newest shares of their trade first.
    unbacked: dict[str, Decimal] = {}
    portion: dict[tuple[int, str], Decimal] = {}  # share → the fraction of it that counts
    for share, settlement, trade in reversed(rows):
        if _unverified(trade) is not None:
            portion[settlement.id or 0, share.trade_id] = Decimal(1)
            continue
        left = unbacked.setdefault(trade.trade_id, _unbacked(session, trade))
        taken = min(left, Decimal(share.trade_amount))
        unbacked[trade.trade_id] = left - taken
        portion[settlement.id or 0, share.trade_id] = taken / Decimal(share.trade_amount)
    quota = runtime.settings.fx_individual_quota_usd
    counted = apart = Decimal(0)
    unconverted = 0
    entries = []
    for share, settlement, trade in rows:
        fraction = portion[settlement.id or 0, share.trade_id]
        reason = _unverified(trade) or (
            _APART
            if fraction == 0
            else f"goods returned after settlement: {to_fen(fraction * 100)} % of this share "
            "is no longer backed by the trade and counts against the quota"
        )
        usd = _usd(share, settlement)
        if usd is None:
            unconverted += 1
        else:
            counted += usd * fraction
            apart += usd * (1 - fraction)
        own = "regulator" in roles or settlement.bank_code == party.code
        entries.append(
            FxQuotaEntry(
                settlement_id=settlement.id or 0,
                trade_id=share.trade_id,
                bank=settlement.bank_code if own else None,
                value_date=share.value_date,
                amount=share.amount,
                currency=settlement.currency,
                usd=to_fen(usd) if usd is not None else None,
                counts=fraction > 0,
                counted_amount=to_fen(Decimal(share.amount) * fraction),
                reason=reason,
            )
        )
    return FxQuotaPublic(
        individual=individual,
        year=year,
        totals=FxQuotaTotals(
            quota=to_fen(quota),
            counted=to_fen(counted),
            apart=to_fen(apart),
            remaining=to_fen(max(quota - counted, Decimal(0))),
            unconverted=unconverted,
        ),
        entries=entries,
    )


def quota_of_id_number(
    *, session: Session, runtime: Runtime, party: PartyRecord, id_number: str, year: int
) -> FxQuotaPublic:
    """:func:`quota_of_individual` of the individual whose ID number is ``id_number``."""
    individual = _keyed(runtime, "individual", id_number.strip().upper())
    return quota_of_individual(
        session=session, runtime=runtime, party=party, individual=individual, year=year
    )


def quota_of_bank_customers(
    *, session: Session, runtime: Runtime, party: PartyRecord, year: int
) -> FxQuotasPublic:
    """The quota view of every individual ``party`` (a bank) settled for in ``year``."""
    if "bank" not in party_roles(party):
        raise PermissionDenied("the per-bank quota view is a bank's")
    customers = session.exec(
        select(FxSettlementTradeRecord.individual)
        .join(
            FxSettlementRecord, col(FxSettlementRecord.id) == FxSettlementTradeRecord.settlement_id
        )
        .where(
            FxSettlementRecord.bank_code == party.code,
            col(FxSettlementTradeRecord.individual).is_not(None),
            col(FxSettlementTradeRecord.value_date) >= date(year, 1, 1),
            col(FxSettlementTradeRecord.value_date) <= date(year, 12, 31),
        )
        .distinct()
    ).all()
    return FxQuotasPublic(
        year=year,
        data=[
            quota_of_individual(
                session=session, runtime=runtime, party=party, individual=who, year=year
            )
            for who in sorted(c for c in customers if c is not None)
        ],
    )
