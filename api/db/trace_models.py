"""Tables of the traceability side: captured EPCIS events, their lots, capture jobs, recalls.

An event is stored exactly as captured (``event_json`` plus the document's
``@context`` it was read with), so its CBV 2.0 hash can be recomputed from the
stored row at any time and compared with what was anchored. The index tables
(``trace_event_epc``, ``trace_event_lot``, ``trace_container``) only serve
queries; the stored JSON is the single source of truth.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.db.models import UTCDateTime
from traceability.epcis.hashing import DEFAULT_PROFILE, LEGACY_PROFILE


class TraceEnvelopeRecord(SQLModel, table=True):
    """A signed envelope that carried captured events (a bare event or an EPCISDocument)."""

    __tablename__ = "trace_envelope"
    __table_args__ = (UniqueConstraint("key_id", "salt", name="uq_trace_envelope_replay"),)

    content_hash: str = Field(primary_key=True, max_length=64)
    party_code: str = Field(foreign_key="party.code", max_length=64, index=True)
    key_id: str = Field(max_length=128)
    salt: str = Field(max_length=64)
    envelope: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class TraceEventRecord(SQLModel, table=True):
    """One captured EPCIS event, never overwritten; ``event_hash`` is its CBV 2.0 hash (hex)."""

    __tablename__ = "trace_event"
    __table_args__ = (
        Index("ix_trace_event_time", "event_time"),
        Index("ix_trace_event_record_time", "record_time"),
        # Capture asks whether any legacy-profile row exists: a seek, not a scan of all events.
        Index("ix_trace_event_hash_profile", "hash_profile"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_hash: str = Field(max_length=64, unique=True, index=True)
    event_id: str = Field(max_length=500, index=True)
    event_type: str = Field(max_length=32, index=True)
    event_time: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    record_time: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    biz_step: str | None = Field(default=None, max_length=500, index=True)
    disposition: str | None = Field(default=None, max_length=500, index=True)
    read_point: str | None = Field(default=None, max_length=500, index=True)
    biz_location: str | None = Field(default=None, max_length=500, index=True)
    event_json: str = Field(sa_column=Column(Text, nullable=False))
    context_json: str = Field(sa_column=Column(Text, nullable=False))
    captured_by: str = Field(foreign_key="party.code", max_length=64, index=True)
    envelope_hash: str | None = Field(
        default=None, max_length=64, foreign_key="trace_envelope.content_hash"
    )
    capture_id: str | None = Field(default=None, max_length=64)
    #: The event hash profile ``event_hash`` was computed (and anchored) with; rows stored
    #: before profiles existed were hashed with the legacy rule, hence the server default.
    hash_profile: str = Field(
        default=DEFAULT_PROFILE,
        sa_column=Column(String(32), nullable=False, server_default=LEGACY_PROFILE),
    )


class TraceEventEpcRecord(SQLModel, table=True):
    """One identifier an event names, in canonical Digital Link form, and where it names it."""

    __tablename__ = "trace_event_epc"
    __table_args__ = (
        UniqueConstraint("event_id", "role", "epc", name="uq_trace_event_epc"),
        Index("ix_trace_event_epc_lookup", "epc", "role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="trace_event.id", index=True)
    #: epc | parent | child | input | output | class | child_class | input_class | output_class
    role: str = Field(max_length=16)
    epc: str = Field(max_length=500)


class TraceEventLotRecord(SQLModel, table=True):
    """An event touches a lot (directly, or through a container the lot was packed into)."""

    __tablename__ = "trace_event_lot"
    __table_args__ = (UniqueConstraint("event_id", "lot_id", name="uq_trace_event_lot"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="trace_event.id", index=True)
    lot_id: str = Field(max_length=64, index=True)  # hex of traceability.gs1.lot_id
    gtin: str = Field(max_length=14, index=True)
    lot: str = Field(max_length=20)
    via: str | None = Field(default=None, max_length=500)  # the container, when indirect


class TraceContainerRecord(SQLModel, table=True):
    """A lot packed into a container (an SSCC) by an AggregationEvent; ``removed_at`` on unpack."""

    __tablename__ = "trace_container"
    __table_args__ = (Index("ix_trace_container", "container", "lot_id"),)

    id: int | None = Field(default=None, primary_key=True)
    container: str = Field(max_length=500)
    lot_id: str = Field(max_length=64)
    gtin: str = Field(max_length=14)
    lot: str = Field(max_length=20)
    added_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    removed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    event_id: int = Field(foreign_key="trace_event.id")


class CaptureJobRecord(SQLModel, table=True):
    """An asynchronous capture: written before any work, so it survives a crash."""

    __tablename__ = "capture_job"

    id: str = Field(primary_key=True, max_length=64)
    party_code: str = Field(foreign_key="party.code", max_length=64, index=True)
    error_behaviour: str = Field(default="rollback", max_length=16)
    state: str = Field(default="pending", max_length=16, index=True)  # pending|running|done
    success: bool | None = None
    body: str = Field(sa_column=Column(Text, nullable=False))
    event_count: int = 0
    captured_count: int = 0
    duplicate_count: int = 0
    rejected_count: int = 0
    errors: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    event_hashes: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    attempts: int = 0
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


#: Longest place name (and region) and address a party may register for a GLN.
LOCATION_NAME_MAX = 120
LOCATION_ADDRESS_MAX = 300
#: Longest product name and brand a brand owner may register for a GTIN.
PRODUCT_NAME_MAX = 120


class PartyLocationRecord(SQLModel, table=True):
    """A location (GLN) where a party may record events, registered by the administrator."""

    __tablename__ = "party_location"
    __table_args__ = (UniqueConstraint("party_code", "gln", name="uq_party_location"),)

    id: int | None = Field(default=None, primary_key=True)
    party_code: str = Field(foreign_key="party.code", max_length=64, index=True)
    gln: str = Field(max_length=13, index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # What a shopper reads instead of the GLN (presentation only: never hashed or anchored).
    name: str | None = Field(default=None, max_length=LOCATION_NAME_MAX)
    name_zh: str | None = Field(default=None, max_length=LOCATION_NAME_MAX)
    address: str | None = Field(default=None, max_length=LOCATION_ADDRESS_MAX)
    address_zh: str | None = Field(default=None, max_length=LOCATION_ADDRESS_MAX)
    region: str | None = Field(default=None, max_length=LOCATION_NAME_MAX)


class LotRecallRecord(SQLModel, table=True):
    """A recall or its clearance, as sent to the chain by an inspector."""

    __tablename__ = "lot_recall"

    id: int | None = Field(default=None, primary_key=True)
    lot_id: str = Field(max_length=64, index=True)
    gtin: str = Field(max_length=14)
    lot: str = Field(max_length=20)
    action: str = Field(max_length=8)  # recall | clear
    reason: str = Field(max_length=500)
    party_code: str = Field(foreign_key="party.code", max_length=64)
    tx_hash: str = Field(max_length=66)
    block_number: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class PartyCompanyPrefixRecord(SQLModel, table=True):
    """A GS1 company prefix registered to a party: the party is the brand owner of its GTINs."""

    __tablename__ = "party_company_prefix"

    prefix: str = Field(primary_key=True, max_length=12)
    party_code: str = Field(foreign_key="party.code", max_length=64, index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ProductRecord(SQLModel, table=True):
    """Product master data of a GTIN, registered by its brand owner (the company prefix's holder).

    What the consumer page titles a lot with; presentation only, never hashed or anchored.
    """

    __tablename__ = "product"

    gtin: str = Field(primary_key=True, max_length=14)
    party_code: str = Field(foreign_key="party.code", max_length=64, index=True)
    name: str = Field(max_length=PRODUCT_NAME_MAX)
    name_zh: str | None = Field(default=None, max_length=PRODUCT_NAME_MAX)
    brand: str | None = Field(default=None, max_length=PRODUCT_NAME_MAX)
    brand_zh: str | None = Field(default=None, max_length=PRODUCT_NAME_MAX)
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
