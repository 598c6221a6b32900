"""Tables of the single-window receipts loop (migration r0024).

``customs_receipt``: each customs receipt (CEB312 ... CEB900) ingested from the customs
party, linked to its trade and anchored like a document; ``inventory_cancel``: each
inventory cancellation application (撤单, CEB623/CEB605) a company submitted, with
customs' decision and the chain transaction that followed it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.db.models import UTCDateTime


class CustomsReceiptRecord(SQLModel, table=True):
    """One customs receipt (one business element of a CEB receipt message), as received."""

    __tablename__ = "customs_receipt"
    __table_args__ = (
        UniqueConstraint("message_type", "guid", name="uq_customs_receipt_guid"),
        Index("ix_customs_receipt_trade", "trade_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    #: The zone digest of ``payload``: what is anchored in the trade lane.
    content_hash: str = Field(max_length=64, unique=True)
    message_type: str = Field(max_length=8)
    #: The e-port's guid of the receipt element (unique per receipt type).
    guid: str = Field(max_length=36)
    trade_id: str = Field(max_length=64)
    party_code: str = Field(foreign_key="party.code", max_length=64)
    status: str = Field(max_length=10)  # returnStatus, a customs code (CustomsStatus)
    note: str = Field(sa_column=Column(Text, nullable=False))  # returnInfo
    return_time: str = Field(max_length=17)  # C17 as sent, China time
    returned_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    invt_no: str | None = Field(default=None, max_length=20)
    #: Canonical JSON of {"messageType", "receipt"}: what the content hash is the digest of.
    payload: str = Field(sa_column=Column(Text, nullable=False))
    source_xml: str | None = Field(default=None, sa_column=Column(Text))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class InventoryCancelRecord(SQLModel, table=True):
    """An inventory cancellation application (撤单) and what became of it."""

    __tablename__ = "inventory_cancel"
    __table_args__ = (Index("ix_inventory_cancel_trade", "trade_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    content_hash: str = Field(max_length=64, unique=True)
    message_type: str = Field(max_length=8)  # CEB623 | CEB605
    guid: str = Field(max_length=36, unique=True)
    trade_id: str = Field(max_length=64)
    party_code: str = Field(foreign_key="party.code", max_length=64)
    key_id: str = Field(max_length=128)
    invt_no: str = Field(max_length=20)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    #: The signed payload and the detached signature over the XML bytes (JSON).
    envelope: str = Field(sa_column=Column(Text, nullable=False))
    source_xml: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(default="applied", max_length=16)  # applied | refused | cancelled
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    #: The hash customs' decision is committed under on chain (its receipt's content hash).
    decision_hash: str | None = Field(default=None, max_length=64)
    decision_note: str | None = Field(default=None, sa_column=Column(Text))
    cancel_tx: str | None = Field(default=None, max_length=66)
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
