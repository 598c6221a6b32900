"""Return applications (退货申请单): import CEB625 and retail export CEB213.

A return is a signed document of its own: its content hash is anchored in the document
lane like the trade documents, under its replay key (keyId, salt). It names the trade
it returns goods of; sandan's verdict on it (accepted or refused, with the reasons) is
kept beside it, with what the chain recorded for an accepted one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.db.models import UTCDateTime


class ReturnRecord(SQLModel, table=True):
    """One return application and sandan's answer to it."""

    __tablename__ = "trade_return"
    __table_args__ = (
        UniqueConstraint("key_id", "salt", name="uq_trade_return_replay"),
        Index("ix_trade_return_trade", "trade_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    content_hash: str = Field(max_length=64, unique=True)
    #: ``CEB625`` (import) or ``CEB213`` (export).
    doc_type: str = Field(max_length=8)
    direction: str = Field(max_length=8)
    party_code: str = Field(max_length=64, index=True)
    key_id: str = Field(max_length=128)
    salt: str = Field(max_length=128)
    #: The application's own guid (its head's ``guid``): one accepted return per guid.
    app_guid: str = Field(max_length=36)
    ebp_code: str = Field(max_length=64)
    order_no: str = Field(max_length=64, index=True)
    invt_no: str | None = Field(default=None, max_length=32)
    trade_id: str | None = Field(default=None, max_length=64)
    buyer_id: str | None = Field(default=None, max_length=64)
    #: ``accepted``, ``refused``, or ``pending`` while the chain has not answered.
    status: str = Field(max_length=16)
    #: The matcher's verdict (:class:`traceability.ceb.returns.ReturnVerdict`) as JSON.
    verdict: str = Field(sa_column=Column(Text, nullable=False))
    amount: str = Field(max_length=32)  # decimal, trade currency
    returned_total: str = Field(max_length=32)
    whole: bool = False
    currency: str | None = Field(default=None, max_length=8)
    chain_tx: str | None = Field(default=None, max_length=66)
    chain_block: int | None = Field(default=None, sa_column=Column(BigInteger))
    #: The CEB626/CEB214 answer: its guid, status code and note, fixed when decided.
    receipt_guid: str = Field(max_length=36)
    receipt_status: str = Field(max_length=8)
    receipt_info: str = Field(sa_column=Column(Text, nullable=False))
    #: The parsed application (canonical JSON) and the bytes as signed.
    document: str = Field(sa_column=Column(Text, nullable=False))
    envelope: str = Field(sa_column=Column(Text, nullable=False))
    source_xml: str | None = Field(default=None, sa_column=Column(Text))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
