"""A trade's financing history as the chain tells it: every registration and discharge of
TradeRegistry financing that covered its position, and every typed financing of it on the
LifecycleRegistry (opened, drawn, repaid, closed), oldest first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, func, select

from api.db.models import ChainAccountRecord, PartyRecord, TradeRecord
from api.runtime import Runtime
from api.services.financing_reads import KIND_NAMES, amount_text
from ledger_client import trade_subject
from ledger_client.events import (
    FinancingClosed,
    FinancingDischarged,
    FinancingDrawn,
    FinancingOpened,
    FinancingRegistered,
    FinancingRepaid,
)
from ledger_client.types import LogPosition

__all__ = ["FinancingEvent", "financing_history"]


@dataclass(frozen=True, slots=True)
class FinancingEvent:
    """One registration or discharge of financing covering the trade, or one step of a typed
    financing of it (whose ids are the LifecycleRegistry's own, apart from TradeRegistry's)."""

    kind: str  # registered | discharged (TradeRegistry); opened | drawdown | repayment | closed
    financing_id: int
    bank_address: str
    bank_code: str | None  # the party whose custodial or self-custody account it is
    terms_hash: str | None
    block_number: int | None
    tx_hash: str | None
    #: A typed financing's kind (order, receivable, warehouseReceipt, taxRefundPledge).
    financing_kind: str | None = None
    amount: str | None = None  # a typed step's amount (limit when opened), trade currency
    outstanding: str | None = None  # after a drawdown or a repayment


def financing_history(
    *, session: Session, runtime: Runtime, trade: TradeRecord
) -> list[FinancingEvent]:
    """Every financing event of ``trade``'s verdict position (none before its verdict is
    anchored), read from the contract's logs: what the database says is not trusted here."""
    batch, position = trade.verdict_batch, trade.verdict_position
    if batch is None or position is None:
        return []
    contract = runtime.ledger().trade
    events: list[tuple[str, FinancingRegistered | FinancingDischarged]] = [
        *(("registered", e) for e in contract.find_events(FinancingRegistered, 0, batch=batch)),
        *(("discharged", e) for e in contract.find_events(FinancingDischarged, 0, batch=batch)),
    ]
    found: list[tuple[int, int, FinancingEvent]] = []
    for kind, event in events:
        if position not in event.positions:
            continue
        log = event.log
        found.append(
            (
                log.block_number if log else 0,
                log.log_index if log else 0,
                FinancingEvent(
                    kind=kind,
                    financing_id=event.financing_id,
                    bank_address=event.bank,
                    bank_code=_owner(session, event.bank),
                    terms_hash=_terms_hash(event),
                    block_number=log.block_number if log else None,
                    tx_hash=log.tx_hash if log else None,
                ),
            )
        )
    found += _typed(session, runtime, trade, batch, position)
    return [event for _, _, event in sorted(found, key=lambda item: (item[0], item[1]))]


def _typed(
    session: Session, runtime: Runtime, trade: TradeRecord, batch: int, position: int
) -> list[tuple[int, int, FinancingEvent]]:
    """The typed financings of the trade's position, from the LifecycleRegistry's logs."""
    ledger = runtime.ledger()
    contract = ledger.lifecycle()
    start = ledger.deployment.lifecycle_registry.block_number
    found: list[tuple[int, int, FinancingEvent]] = []
    subject = trade_subject(batch, position)
    for opened in contract.find_events(FinancingOpened, start, subject=subject):
        step = _TypedSteps(opened, _owner(session, opened.bank), trade.currency or "")
        found.append(step("opened", opened.log, opened.limit))
        # A financing's steps come after its opening.
        since, where = (
            opened.log.block_number if opened.log else start,
            {"financing_id": opened.financing_id},
        )
        found += [
            step("drawdown", e.log, e.amount, e.outstanding)
            for e in contract.find_events(FinancingDrawn, since, **where)
        ]
        found += [
            step("repayment", e.log, e.amount, e.outstanding)
            for e in contract.find_events(FinancingRepaid, since, **where)
        ]
        found += [
            step("closed", e.log) for e in contract.find_events(FinancingClosed, since, **where)
        ]
    return found


@dataclass(frozen=True, slots=True)
class _TypedSteps:
    """Makes the history's events of one typed financing, sortable by their place in the log."""

    opened: FinancingOpened
    bank_code: str | None
    currency: str

    def __call__(
        self,
        kind: str,
        log: LogPosition | None,
        amount: int | None = None,
        outstanding: int | None = None,
    ) -> tuple[int, int, FinancingEvent]:
        opened = self.opened
        event = FinancingEvent(
            kind=kind,
            financing_id=opened.financing_id,
            bank_address=opened.bank,
            bank_code=self.bank_code,
            terms_hash=bytes(opened.terms_hash).hex() if kind == "opened" else None,
            block_number=log.block_number if log else None,
            tx_hash=log.tx_hash if log else None,
            financing_kind=KIND_NAMES.get(opened.kind),
            amount=None if amount is None else amount_text(amount, self.currency),
            outstanding=None if outstanding is None else amount_text(outstanding, self.currency),
        )
        return (log.block_number if log else 0, log.log_index if log else 0, event)


def _terms_hash(event: FinancingRegistered | FinancingDischarged) -> str | None:
    terms = getattr(event, "terms_hash", None)
    return None if terms is None else bytes(terms).hex()


def _owner(session: Session, address: str) -> str | None:
    """The party acting through ``address``: custodial, or the one it set (self custody)."""
    custodial = session.exec(
        select(ChainAccountRecord.party_code).where(
            func.lower(ChainAccountRecord.address) == address.lower()
        )
    ).first()
    if custodial is not None:
        return custodial
    return session.exec(
        select(PartyRecord.code).where(func.lower(PartyRecord.chain_address) == address.lower())
    ).first()
