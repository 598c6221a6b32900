"""Who holds the live financing of a trade or a warehouse receipt, as the chain says.

A trade carries at most one live financing: a typed one on the LifecycleRegistry, or one
registered on the TradeRegistry (``POST /banks/trades/{id}/financing``). A bank refused a
second one learns which bank holds the first, never its terms.
"""

from __future__ import annotations

from sqlmodel import Session

from api.db import crud
from api.errors import Conflict
from api.runtime import Runtime
from ledger_client import trade_subject

__all__ = [
    "already_financed",
    "legacy_holder",
    "receipt_subject",
    "refuse_typed_live",
    "trade_subject",
    "typed_holder",
]


def receipt_subject(receipt_id: str) -> bytes:
    """The contract's subject of a warehouse receipt: its id."""
    return bytes.fromhex(receipt_id)


def _code_of(session: Session, address: str) -> str:
    """The party code behind ``address`` (the address itself if no party has it)."""
    party = crud.party_by_address(session=session, address=address)
    return party.code if party is not None else address


def typed_holder(session: Session, runtime: Runtime, subject: bytes) -> tuple[str, str] | None:
    """(party code, address) of the bank holding the live typed financing of ``subject``."""
    lifecycle = runtime.ledger().lifecycle()
    financing_id = lifecycle.live_financing_of(subject)
    financing = lifecycle.financing_of(financing_id) if financing_id else None
    if financing is None:
        return None
    return _code_of(session, financing.bank), str(financing.bank)


def legacy_holder(
    session: Session, runtime: Runtime, batch: int, position: int
) -> tuple[str, str] | None:
    """(party code, address) of the bank whose TradeRegistry financing covers the trade."""
    trade = runtime.ledger().trade
    financing_id = trade.trade_at(batch, position).financing_id
    if not financing_id:
        return None
    financing = trade.financing_of(financing_id)
    if financing is None:
        return None
    return _code_of(session, financing.bank), str(financing.bank)


def already_financed(holder: tuple[str, str], what: str = "trade") -> Conflict:
    """409 naming the bank that holds the live financing (never its terms)."""
    who, address = holder
    return Conflict(
        f"this {what} is already financed by {who}; a second financing is refused until it is "
        "closed or discharged",
        code="already_financed",
        extra={"financedBy": who, "financierAddress": address},
    )


def refuse_typed_live(session: Session, runtime: Runtime, batch: int, position: int) -> None:
    """409 naming the bank when a typed financing of the trade is live.

    TradeRegistry itself refuses the registration (``TradeRegistryTradeTypedFinanced``: it
    consults the LifecycleRegistry), and the LifecycleRegistry a typed financing while a
    TradeRegistry one is live; this read before sending only names the holder in the 409.
    """
    holder = typed_holder(session, runtime, trade_subject(batch, position))
    if holder is not None:
        raise already_financed(holder)
