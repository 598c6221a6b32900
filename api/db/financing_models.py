"""Typed financing as the chain confirmed it: one row per line a bank opened on a trade or a
warehouse receipt (``typed_financing``, keyed by the contract's financing id) and one per
step of its life (``typed_financing_movement``).

The LifecycleRegistry is the judge of every amount; these rows mirror what it said after it
said it, plus the terms the bank committed to by hash (which never reach the chain).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.db.models import UTCDateTime


class TypedFinancingRecord(SQLModel, table=True):
    """One typed financing line (its id is the contract's)."""

    __tablename__ = "typed_financing"

    financing_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(max_length=24)  # order | receivable | warehouseReceipt | taxRefundPledge
    #: The contract's bytes32 subject, hex: (batch << 32 | position) of a trade, or a receipt id.
    subject: str = Field(max_length=64)
    trade_id: str | None = Field(default=None, max_length=64, index=True)
    receipt_id: str | None = Field(default=None, max_length=64, index=True)
    bank_code: str = Field(foreign_key="party.code", max_length=64, index=True)
    currency: str = Field(max_length=8)  # CEB code, as the trade's
    limit_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    drawn_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    outstanding_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    terms: str = Field(sa_column=Column(Text, nullable=False))  # JSON, the bank's own
    terms_hash: str = Field(max_length=64)
    state: str = Field(max_length=8)  # open | closed
    opened_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class FinancingMovementRecord(SQLModel, table=True):
    """One confirmed step of a typed financing: opened, a drawdown, a repayment, closed."""

    __tablename__ = "typed_financing_movement"
    #: A bank's reference names one movement of a line: a retried request is refused.
    __table_args__ = (
        UniqueConstraint("financing_id", "reference", name="uq_typed_financing_movement_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    financing_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("typed_financing.financing_id"),
            nullable=False,
            index=True,
        ),
    )
    kind: str = Field(max_length=16)  # opened | drawdown | repayment | closed
    amount_minor: int | None = Field(default=None, sa_column=Column(BigInteger))
    reference: str | None = Field(default=None, max_length=64)
    outstanding_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    tx_hash: str = Field(max_length=66)
    block_number: int = Field(sa_column=Column(BigInteger, nullable=False))
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
