"""Keyword-only persistence functions. Routes and services never build SQL themselves."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, func, select

from api.db.models import (
    AnchorBatchRecord,
    ChainAccountRecord,
    DocumentRecord,
    OutboxRecord,
    PartyKeyRecord,
    PartyRecord,
    TradeRecord,
)

# --- parties and keys -------------------------------------------------------------


def get_party(*, session: Session, code: str) -> PartyRecord | None:
    """The party with ``code``."""
    return session.get(PartyRecord, code)


def get_key(*, session: Session, key_id: str) -> PartyKeyRecord | None:
    """The key with ``key_id``."""
    return session.get(PartyKeyRecord, key_id)


def list_keys(*, session: Session, party_code: str) -> Sequence[PartyKeyRecord]:
    """A party's keys, oldest first."""
    stmt = (
        select(PartyKeyRecord)
        .where(PartyKeyRecord.party_code == party_code)
        .order_by(col(PartyKeyRecord.valid_from))
    )
    return session.exec(stmt).all()


def get_chain_account(*, session: Session, party_code: str) -> ChainAccountRecord | None:
    """The custodial chain account of a party, if it has one."""
    return session.get(ChainAccountRecord, party_code)


def party_by_address(*, session: Session, address: str) -> PartyRecord | None:
    """The party whose chain account is ``address`` (case-insensitive)."""
    stmt = select(PartyRecord).where(func.lower(PartyRecord.chain_address) == address.lower())
    return session.exec(stmt).first()


# --- documents ---------------------------------------------------------------------


def get_document(*, session: Session, content_hash: str) -> DocumentRecord | None:
    """The document version with ``content_hash``."""
    stmt = select(DocumentRecord).where(DocumentRecord.content_hash == content_hash)
    return session.exec(stmt).first()


def current_documents(*, session: Session, trade_id: str) -> Sequence[DocumentRecord]:
    """The current (not superseded) document versions of a trade."""
    stmt = select(DocumentRecord).where(
        DocumentRecord.trade_id == trade_id, col(DocumentRecord.superseded_by).is_(None)
    )
    return session.exec(stmt).all()


# --- outbox and batches --------------------------------------------------------------


def get_outbox(
    *, session: Session, kind: str, subject: str, lane: str | None = None
) -> OutboxRecord | None:
    """The outbox row of ``(kind, subject)`` (in ``lane``, when one subject is in several)."""
    stmt = select(OutboxRecord).where(OutboxRecord.kind == kind, OutboxRecord.subject == subject)
    if lane is not None:
        stmt = stmt.where(OutboxRecord.lane == lane)
    return session.exec(stmt).first()


def outbox_depth(*, session: Session) -> int:
    """How many outbox rows wait for a batch."""
    stmt = (
        select(func.count()).select_from(OutboxRecord).where(col(OutboxRecord.batch_id).is_(None))
    )
    return int(session.exec(stmt).one())


def get_batch(*, session: Session, batch_id: str) -> AnchorBatchRecord | None:
    """The batch with ``batch_id``."""
    return session.get(AnchorBatchRecord, batch_id)


def anchoring_totals(*, session: Session) -> tuple[int, int]:
    """How many batches are confirmed and the gas their transactions used."""
    stmt = select(func.count(), func.coalesce(func.sum(AnchorBatchRecord.gas_used), 0)).where(
        AnchorBatchRecord.state == "confirmed"
    )
    count, gas = session.exec(stmt).one()
    return int(count), int(gas or 0)


def refused_batches(*, session: Session) -> int:
    """How many batches the contract refused and the worker set aside."""
    stmt = (
        select(func.count())
        .select_from(AnchorBatchRecord)
        .where(AnchorBatchRecord.state == "refused")
    )
    return int(session.exec(stmt).one())


def oldest_pending_created_at(*, session: Session) -> datetime | None:
    """When the oldest unbatched outbox row was written (worker lag)."""
    stmt = select(func.min(OutboxRecord.created_at)).where(col(OutboxRecord.batch_id).is_(None))
    value = session.exec(stmt).one()
    return value if isinstance(value, datetime) else None


# --- trades -----------------------------------------------------------------------


def get_trade(*, session: Session, trade_id: str) -> TradeRecord | None:
    """The trade with ``trade_id``."""
    return session.get(TradeRecord, trade_id)
