"""Tables of the overseas warehouses (9810): the stock ledger and the warehouse receipts (仓单).

The ledger holds one row per (EPCIS event, GTIN, lot) that moved a warehouse's stock,
written in the transaction that captured the event; it can be rebuilt from the stored
events at any time (:func:`api.services.warehouse.rebuild`) and must come out the same.
What the 9810 inventories declared is not copied here: it is read from the stored
documents when asked, so it cannot drift from them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.db.models import UTCDateTime


class WarehouseStockEntryRecord(SQLModel, table=True):
    """What one event recorded by a warehouse at its own location did to one lot's stock."""

    __tablename__ = "warehouse_stock_entry"
    __table_args__ = (
        UniqueConstraint("event_hash", "gtin", "lot", name="uq_warehouse_stock_entry"),
        Index("ix_warehouse_stock_entry_lot", "warehouse_code", "gtin", "lot"),
    )

    id: int | None = Field(default=None, primary_key=True)
    warehouse_code: str = Field(foreign_key="party.code", max_length=64, index=True)
    event_hash: str = Field(max_length=64, index=True)
    trace_event_id: int = Field(foreign_key="trace_event.id")
    #: received | shipped | sold | returned | destroyed | stored (stored moves nothing)
    movement: str = Field(max_length=16)
    gtin: str = Field(max_length=14)
    lot: str = Field(default="", max_length=20)  # "" when the event names no lot
    quantity: str = Field(max_length=32)  # decimal text, in the event's unit
    event_time: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class WarehouseReceiptRecord(SQLModel, table=True):
    """A warehouse receipt (仓单) as the chain recorded it: issued, then maybe cancelled.

    ``record`` is the canonical receipt record whose content hash the chain holds; the
    pledged state is not mirrored: it is the chain's, read when the receipt is shown.
    """

    __tablename__ = "warehouse_receipt"
    __table_args__ = (
        UniqueConstraint("warehouse_code", "receipt_no", name="uq_warehouse_receipt_no"),
        Index("ix_warehouse_receipt_lot", "warehouse_code", "gtin", "lot"),
    )

    receipt_id: str = Field(primary_key=True, max_length=64)  # bytes32 hex
    warehouse_code: str = Field(foreign_key="party.code", max_length=64, index=True)
    receipt_no: str = Field(max_length=64)
    owner_code: str = Field(foreign_key="party.code", max_length=64, index=True)
    gtin: str = Field(max_length=14)
    lot: str = Field(default="", max_length=20)
    quantity: str = Field(max_length=32)
    value: str = Field(max_length=32)  # decimal text, in ``currency``
    currency: str = Field(max_length=3)
    chain_value: int = Field(sa_column=Column(BigInteger, nullable=False))  # minor units
    record: str = Field(sa_column=Column(Text, nullable=False))
    record_hash: str = Field(max_length=64)
    issue_tx: str = Field(max_length=66)
    issue_block: int = Field(sa_column=Column(BigInteger, nullable=False))
    issued_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    cancelled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    cancel_reason: str | None = Field(default=None, max_length=500)
    cancel_reason_hash: str | None = Field(default=None, max_length=64)
    cancel_tx: str | None = Field(default=None, max_length=66)
