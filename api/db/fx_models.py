"""Foreign-exchange settlements (收结汇) that banks recorded on verified trades (issue 18).

One :class:`FxSettlementRecord` per settlement a bank made; one
:class:`FxSettlementTradeRecord` per trade it covers (a netting settlement, 轧差结算,
covers many). The rows are written after the LifecycleRegistry accepted the settlement:
they mirror what the chain said, with the parts the chain only holds as a hash (the
account, the rate, the bank's reference).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.db.models import UTCDateTime


class FxSettlementRecord(SQLModel, table=True):
    """One settlement a bank recorded: amount, currency, rate, account (committed), value date."""

    __tablename__ = "fx_settlement"
    __table_args__ = (
        # A bank's own reference names one settlement: the same reference twice is a replay.
        UniqueConstraint("bank_code", "reference", name="uq_fx_settlement_reference"),
        Index("ix_fx_settlement_bank", "bank_code", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    bank_code: str = Field(foreign_key="party.code", max_length=64)
    reference: str | None = Field(default=None, max_length=64)
    #: ISO 4217 letters of the settlement currency (USD).
    currency: str = Field(max_length=3)
    #: Units of each trade's currency per one unit of the settlement currency (decimal text).
    rate: str = Field(max_length=32)
    #: The settlement's total, in its own currency (decimal text, to the cent).
    amount: str = Field(max_length=32)
    value_date: date
    #: The keyed hash of the account number (the raw number is never stored nor anchored).
    account_hash: str = Field(max_length=64)
    #: The account's last four characters, for people who must tell accounts apart.
    account_masked: str = Field(max_length=16)
    #: The canonical settlement record whose content hash went on chain (JSON text).
    record: str = Field(sa_column=Column(Text, nullable=False))
    settlement_hash: str = Field(max_length=64, unique=True)
    chain_settlement_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    tx_hash: str = Field(max_length=66)
    block_number: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class FxSettlementTradeRecord(SQLModel, table=True):
    """One trade a settlement covers, with its share in both currencies."""

    __tablename__ = "fx_settlement_trade"
    __table_args__ = (
        Index("ix_fx_settlement_trade_trade", "trade_id"),
        Index("ix_fx_settlement_trade_individual", "individual", "value_date"),
    )

    settlement_id: int = Field(foreign_key="fx_settlement.id", primary_key=True)
    trade_id: str = Field(foreign_key="trade.trade_id", primary_key=True, max_length=64)
    #: The trade's share in the settlement currency (decimal text, to the cent).
    amount: str = Field(max_length=32)
    #: The share converted into the trade's currency (amount x rate, half up to the cent).
    trade_amount: str = Field(max_length=32)
    #: The trade's CEB currency code (142, 502 ...).
    trade_currency: str = Field(max_length=8)
    #: The keyed hash of the individual the trade's buyer/payer is (null when none is).
    individual: str | None = Field(default=None, max_length=64)
    #: The settlement's value date, repeated here so the annual quota view reads one table.
    value_date: date
