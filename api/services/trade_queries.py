"""Reading trades and their documents: visibility by role, filters, paging, conflicts.

Who sees a trade, in one place (:func:`visible_trades`): customs and banks (oversight),
the regulator the trades of a risk alert not dismissed, the platform its key names, the
e-commerce company its order names, and the parties whose documents the trade *took*
(:mod:`api.services.trade_linker`: each the party the trade names in that role). Risk
alerts are shown to whoever sees one of their trades, through the same function (issue
19 narrows who sees what here, in one place). Submitting a document naming a trade grants
nothing by itself: a document the trade does not take is a conflict, and its signer sees
only that document.
A document is readable by its signer, the admin and whoever sees its trade; anyone else
gets 404, as for trades, so that neither reveals what exists.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, or_, select

from api.db import crud
from api.db.models import (
    DocumentRecord,
    PartyRecord,
    RiskAlertRecord,
    RiskAlertTradeRecord,
    TradeRecord,
)
from api.errors import NotFound
from api.schemas import TradeFilters, TradePublic, TradesPublic
from api.services.parties import party_roles
from api.services.trades import count_trades, trades_public

#: Roles that see every trade (customs and banks check authenticity across parties).
OVERSIGHT_ROLES = frozenset({"customs", "bank"})
#: The role that sees the trades of risk alerts (and aggregates), not every trade.
REGULATOR_ROLE = "regulator"


def normalise_trade_id(trade_id: str) -> str:
    """A trade id is 64 lowercase hex characters."""
    value = trade_id.lower()
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise NotFound(f"no trade {trade_id!r}: a trade id is 64 hex characters", field="tradeId")
    return value


def party_of_trade(party: PartyRecord) -> list[Any]:
    """The conditions under which ``party`` is one of a trade's own parties (any one holds):
    the platform or e-commerce company it names, or the signer of a document it took."""
    # Only the documents a trade took carry its id (a conflict's trade_id is null).
    own_docs = select(DocumentRecord.trade_id).where(
        DocumentRecord.party_code == party.code,
        col(DocumentRecord.trade_id).is_not(None),
        col(DocumentRecord.superseded_by).is_(None),
    )
    return [
        TradeRecord.ebp_code == party.code,
        TradeRecord.ebc_code == party.code,
        col(TradeRecord.trade_id).in_(own_docs),
    ]


def visible_trades(stmt: Any, party: PartyRecord) -> Any:
    """``stmt`` (a select over ``trade``) narrowed to the trades ``party`` may see."""
    roles = party_roles(party)
    if roles & OVERSIGHT_ROLES:
        return stmt
    seen = party_of_trade(party)
    if REGULATOR_ROLE in roles:
        alerted = (
            select(RiskAlertTradeRecord.trade_id)
            .join(RiskAlertRecord, col(RiskAlertRecord.id) == RiskAlertTradeRecord.alert_id)
            .where(col(RiskAlertRecord.active).is_(True), RiskAlertRecord.status != "dismissed")
        )
        seen.append(col(TradeRecord.trade_id).in_(alerted))
    return stmt.where(or_(*seen))


def _may_read(session: Session, party: PartyRecord, record: DocumentRecord) -> bool:
    if party.code == record.party_code or party_roles(party) & OVERSIGHT_ROLES:
        return True
    if record.trade_id is None:
        return False
    stmt = visible_trades(
        select(TradeRecord.trade_id).where(TradeRecord.trade_id == record.trade_id), party
    )
    return session.exec(stmt).first() is not None


def require_readable_document(
    *, session: Session, party: PartyRecord | None, content_hash: str
) -> DocumentRecord:
    """The document if the caller (``None``: the admin) may read it; 404 otherwise."""
    record = crud.get_document(session=session, content_hash=content_hash.lower())
    if record is None or (party is not None and not _may_read(session, party, record)):
        raise NotFound(f"no document with hash {content_hash}", field="contentHash")
    return record


def read_trade(*, session: Session, party: PartyRecord, trade_id: str) -> TradePublic:
    """One trade the caller may see, with its conflicts; 404 otherwise."""
    trade = require_visible(session=session, party=party, trade_id=trade_id)
    (public,) = trades_public(session=session, trades=[trade])
    return public


def require_visible(*, session: Session, party: PartyRecord, trade_id: str) -> TradeRecord:
    """The trade if the caller may see it; 404 otherwise (existence is not leaked)."""
    trade_id = normalise_trade_id(trade_id)
    stmt = visible_trades(select(TradeRecord).where(TradeRecord.trade_id == trade_id), party)
    trade: TradeRecord | None = session.exec(stmt).first()
    if trade is None:
        raise NotFound(f"no trade {trade_id}", field="tradeId")
    return trade


def _filtered(stmt: Any, filters: TradeFilters) -> Any:
    equal = {
        TradeRecord.status: filters.status,
        TradeRecord.mode: filters.mode,
        TradeRecord.direction: filters.direction,
        TradeRecord.ebp_code: filters.ebp_code,
    }
    for column, value in equal.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.released is not None:
        released = col(TradeRecord.released_at).is_not(None)
        stmt = stmt.where(released if filters.released else ~released)
    if filters.updated_from is not None:
        stmt = stmt.where(col(TradeRecord.updated_at) >= filters.updated_from)
    if filters.updated_to is not None:
        stmt = stmt.where(col(TradeRecord.updated_at) < filters.updated_to)
    return stmt


def list_trades(
    *, session: Session, party: PartyRecord, filters: TradeFilters, limit: int, offset: int
) -> TradesPublic:
    """A page of the trades the caller may see."""
    stmt = _filtered(visible_trades(select(TradeRecord), party), filters)
    total = count_trades(session, stmt)
    page = stmt.order_by(col(TradeRecord.updated_at).desc(), col(TradeRecord.trade_id))
    rows = session.exec(page.offset(offset).limit(limit)).all()
    data = trades_public(session=session, trades=rows)
    return TradesPublic(data=data, count=total, limit=limit, offset=offset)


def get_trade_or_404(*, session: Session, trade_id: str) -> TradeRecord:
    """The trade regardless of visibility (callers check roles), or 404."""
    trade = crud.get_trade(session=session, trade_id=normalise_trade_id(trade_id))
    if trade is None:
        raise NotFound(f"no trade {trade_id}", field="tradeId")
    return trade
