"""Customs and banks acting with their own keys: sandan relays what they signed.

An officer signs an EIP-712 ``Authorization`` offline (``sandan authorize``, a
wallet, an HSM); sandan sends it in a ``…WithSig`` call and pays the gas. The
contract checks the signature, its nonce and deadline and the signer's role, so
sandan never holds the key and cannot release or settle anything on its own. The
database mirrors what the chain said, after the chain said it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from api.db import crud
from api.db.models import PartyRecord, TradeRecord, utcnow
from api.errors import ApiError, Conflict, NotFound, PermissionDenied, UnprocessableContent
from api.runtime import Runtime
from api.schemas import (
    ChainAccountSet,
    ChainReceipt,
    PartyPublic,
    SignedAuthorization,
    SignedFinancing,
    SignedRelease,
    SignedSettlement,
)
from api.services import chain_accounts, live_financing, negative_list, notifications
from api.services.chain_actions import (
    check_releasable,
    check_verdict_named,
    guard_refusal,
    position_of,
    tell_step,
)
from ledger_client import ContractReverted, Signed, TradeRegistryClient, TxResult
from ledger_client.events import FinancingRegistered, SettlementsConfirmed, events_named

#: What each refusal of the contract means for the caller.
_REFUSALS: dict[str, tuple[type[ApiError], str, str]] = {
    "InvalidAccountNonce": (Conflict, "nonce_used", "this authorization's nonce was used"),
    "TradeRegistryExpiredAuthorization": (Conflict, "expired", "the authorization expired"),
    "TradeRegistryTradeSuperseded": (
        Conflict,
        "verdict_changed",
        "the trade's verdict changed since this authorization was signed: judge it again",
    ),
    "TradeRegistryInvalidSigner": (
        UnprocessableContent,
        "invalid_signature",
        "the signature is not the signer's over this authorization",
    ),
    "AccessControlUnauthorizedAccount": (
        PermissionDenied,
        "signer_lacks_role",
        "the signer does not hold the role on chain",
    ),
}


def set_account(
    *, session: Session, runtime: Runtime, party: PartyRecord, body: ChainAccountSet
) -> PartyPublic:
    """Register the account a customs office, bank or inspector signs with, or rotate to it
    from the one it had (custodial or not): it gets the role, the old one loses it."""
    return chain_accounts.rotate_to_own(
        session=session, runtime=runtime, party=party, address=body.address
    )


def check_signer(party: PartyRecord, signer: str) -> None:
    """403 unless ``signer`` is the party's registered chain account: a party relays only
    what its own key signed."""
    if (party.chain_address or "").lower() != signer.lower():
        raise PermissionDenied(
            f"the signer {signer} is not {party.code}'s registered account",
            field="signer",
            code="not_your_account",
        )


def _relay(
    session: Session,
    runtime: Runtime,
    trades: list[TradeRecord],
    call: Callable[[TradeRegistryClient], TxResult],
) -> TxResult:
    try:
        return call(runtime.ledger().relayer())
    except ContractReverted as exc:
        listed = negative_list.listed_refusal(
            session=session, runtime=runtime, trades=trades, exc=exc
        )
        if listed is not exc:
            raise listed from exc
        guarded = guard_refusal(exc)
        if guarded is not None:
            raise guarded from exc
        refusal = _REFUSALS.get(exc.error_name or "")
        if refusal is None:
            raise Conflict(f"the contract refused: {exc}", code="refused") from exc
        kind, code, message = refusal
        raise kind(message, field="signature", code=code) from exc


def _receipt(trade_id: str, action: str, result: TxResult, party: PartyRecord) -> ChainReceipt:
    return ChainReceipt(
        trade_id=trade_id,
        action=action,
        tx_hash=result.tx_hash,
        block_number=result.block_number,
        by=party.code,
    )


def release(
    *, session: Session, runtime: Runtime, party: PartyRecord, body: SignedRelease
) -> list[ChainReceipt]:
    """Relay customs' signed release of every trade in ``body`` (all of one verdict batch)."""
    check_signer(party, body.signer)
    trades: list[TradeRecord] = []
    seen: set[str] = set()
    for index, trade_id in enumerate(body.trade_ids):
        if trade_id in seen:
            # A mask selects a position once: a repeat would be relayed, and answered, twice.
            raise UnprocessableContent(
                f"trade {trade_id} is named twice", field=f"tradeIds[{index}]", code="duplicate"
            )
        seen.add(trade_id)
        trade = crud.get_trade(session=session, trade_id=trade_id)
        if trade is None:
            raise NotFound(f"no trade {trade_id}", field=f"tradeIds[{index}]")
        check_releasable(session, trade)
        check_verdict_named(trade, body.verdict_hashes[index], field=f"verdictHashes[{index}]")
        negative_list.check_unlisted(session=session, runtime=runtime, trade=trade)
        trades.append(trade)
    batch, positions = one_verdict_batch(trades)
    by = _signed_by(body)
    result = _relay(
        session, runtime, trades, lambda c: c.release_trades_with_sig(batch, positions, by)
    )
    now = utcnow()
    for trade in trades:
        trade.released_at = now
        trade.release_tx = result.tx_hash
        trade.release_block = result.block_number
        trade.updated_at = now
        session.add(trade)
        tell_step(session, trade, notifications.Kind.RELEASED, party, result)
    session.commit()
    return [_receipt(t.trade_id, "release", result, party) for t in trades]


def one_verdict_batch(trades: list[TradeRecord]) -> tuple[int, list[int]]:
    """The verdict batch all ``trades`` sit in and their positions: a release names positions
    of one batch (422 naming the first trade of another batch)."""
    batches = {position_of(t)[0] for t in trades}
    if len(batches) != 1:
        first = trades[0].verdict_batch
        index = next(i for i, t in enumerate(trades) if t.verdict_batch != first)
        raise UnprocessableContent(
            f"one authorization releases trades of one verdict batch; trade "
            f"{trades[index].trade_id} is in batch {trades[index].verdict_batch}, not {first}",
            field=f"tradeIds[{index}]",
            code="other_verdict_batch",
        )
    return batches.pop(), [position_of(t)[1] for t in trades]


def _signed_by(body: SignedAuthorization) -> Signed:
    return Signed(body.signer, body.nonce, body.deadline, body.signature)


def _relay_step(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    trade: TradeRecord,
    body: SignedAuthorization,
    action: str,
    call: Callable[[TradeRegistryClient, int, int, Signed], TxResult],
    changes: Callable[[TxResult], dict[str, object]],
    told: notifications.Kind | None = None,
) -> ChainReceipt:
    """Relay one trade's signed step at its verdict position, then mirror on the trade what
    the chain recorded."""
    check_signer(party, body.signer)
    batch, position = position_of(trade)
    by = _signed_by(body)
    result = _relay(session, runtime, [trade], lambda client: call(client, batch, position, by))
    for name, value in changes(result).items():
        setattr(trade, name, value)
    trade.updated_at = utcnow()
    session.add(trade)
    if told is not None:
        tell_step(session, trade, told, party, result)
    session.commit()
    return _receipt(trade.trade_id, action, result, party)


def settle(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    trade: TradeRecord,
    body: SignedSettlement,
) -> ChainReceipt:
    """Relay a bank's signed settlement confirmation."""
    if trade.released_at is None:
        raise Conflict("only a released trade can be settled", code="not_released")
    check_verdict_named(trade, body.verdict_hash, field="verdictHash")
    ref = bytes.fromhex(body.settlement_ref)

    def changes(result: TxResult) -> dict[str, object]:
        (confirmed,) = events_named(result.events, SettlementsConfirmed)
        return {
            "settled_at": utcnow(),
            "settled_by": party.code,
            "settlement_ref": body.settlement_ref,
            "settlement_id": confirmed.settlement_id,
            "settlement_tx": result.tx_hash,
            "settlement_block": result.block_number,
        }

    return _relay_step(
        session=session,
        runtime=runtime,
        party=party,
        trade=trade,
        body=body,
        action="settlement",
        call=lambda c, batch, position, by: c.confirm_settlements_with_sig(
            batch, {position: ref}, by
        ),
        changes=changes,
        told=notifications.Kind.SETTLED,
    )


def finance(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    trade: TradeRecord,
    body: SignedFinancing,
) -> ChainReceipt:
    """Relay a bank's signed financing registration."""
    check_verdict_named(trade, body.verdict_hash, field="verdictHash")
    negative_list.check_unlisted(session=session, runtime=runtime, trade=trade)
    live_financing.refuse_typed_live(session, runtime, *position_of(trade))
    terms = bytes.fromhex(body.terms_hash)

    def changes(result: TxResult) -> dict[str, object]:
        (registered,) = events_named(result.events, FinancingRegistered)
        return {
            "financed_by": party.code,
            "financing_terms_hash": body.terms_hash,
            "financing_id": registered.financing_id,
            "financing_tx": result.tx_hash,
            "financing_block": result.block_number,
        }

    return _relay_step(
        session=session,
        runtime=runtime,
        party=party,
        trade=trade,
        body=body,
        action="financing",
        call=lambda c, batch, position, by: c.register_financing_with_sig(
            batch, [position], terms, by
        ),
        changes=changes,
    )


def discharge(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    trade: TradeRecord,
    body: SignedAuthorization,
) -> ChainReceipt:
    """Relay a bank's signed discharge of its own financing."""
    financing_id = trade.financing_id
    if financing_id is None:
        raise Conflict("this trade carries no financing to discharge", code="not_financed")
    return _relay_step(
        session=session,
        runtime=runtime,
        party=party,
        trade=trade,
        body=body,
        action="discharge",
        call=lambda c, _batch, position, by: c.discharge_financing_with_sig(
            financing_id, [position], by
        ),
        changes=lambda _result: {
            "financed_by": None,
            "financing_terms_hash": None,
            "financing_id": None,
        },
    )
