"""A trade's financing history as the chain tells it: every registration and discharge of
financing that covered its position, oldest first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, func, select

from api.db.models import ChainAccountRecord, PartyRecord, TradeRecord
from api.runtime import Runtime
from ledger_client.events import FinancingDischarged, FinancingRegistered

__all__ = ["FinancingEvent", "financing_history"]


@dataclass(frozen=True, slots=True)
class FinancingEvent:
    """One registration or discharge of financing covering the trade."""

    kind: str  # registered | discharged
    financing_id: int
    bank_address: str
    bank_code: str | None  # the party whose custodial or self-custody account it is
    terms_hash: str | None
    block_number: int | None
    tx_hash: str | None


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
    return [event for _, _, event in sorted(found, key=lambda item: (item[0], item[1]))]


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
