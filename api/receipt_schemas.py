"""API shapes of the single-window receipts loop: receipts, cancellations, the timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from api.schemas import AnchorPublic, ApiModel

__all__ = [
    "CancelCreate",
    "CancellationPublic",
    "CustomsReceiptPublic",
    "CustomsReceiptsPublic",
    "TimelineEntry",
    "TimelinePublic",
]


class CustomsReceiptPublic(ApiModel):
    """One customs receipt as sandan stored it, and where it is anchored."""

    content_hash: str
    message_type: str
    guid: str
    trade_id: str
    by: str = Field(description="The customs party that sent it.")
    status: str = Field(description="returnStatus: a customs status code (800 放行...).")
    status_text: str = Field(description="What the status code means (the XSD's wording).")
    note: str = Field(description="returnInfo, as customs wrote it.")
    return_time: str = Field(description="returnTime as sent (C17, China time).")
    returned_at: datetime
    invt_no: str | None = None
    received_at: datetime
    created: bool = Field(description="False when the same receipt had been stored before.")
    anchor: AnchorPublic | None = Field(
        default=None, description="Null until the anchoring worker has batched it."
    )


class CustomsReceiptsPublic(ApiModel):
    """The receipts of one message (or of one trade)."""

    data: list[CustomsReceiptPublic]
    count: int


class CancelCreate(ApiModel):
    """Customs' approval of a trade's pending inventory cancellation (撤单)."""

    note: str = Field(
        min_length=1,
        max_length=1000,
        description="customs' note, as a CEB624/CEB606 returnInfo would carry it",
        examples=["[Code:2600;Desc:撤销申请审结]"],
    )


class CancellationPublic(ApiModel):
    """An inventory cancellation application and what became of it."""

    content_hash: str
    message_type: str
    guid: str
    trade_id: str
    by: str = Field(description="The company that applied.")
    invt_no: str
    reason: str
    state: str = Field(description="applied, refused or cancelled (on chain).")
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_hash: str | None = None
    decision_note: str | None = None
    cancel_tx: str | None = None
    received_at: datetime
    created: bool = True


class TimelineEntry(ApiModel):
    """One step of a trade's life, with its transaction where it is on chain."""

    at: datetime
    kind: str = Field(
        description="document, verdict, release, customs_receipt, cancellation, settlement, "
        "financing, ... (contributors may add kinds)"
    )
    title: str
    by: str | None = None
    status: str | None = None
    note: str | None = None
    content_hash: str | None = None
    tx_hash: str | None = None
    block_number: int | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class TimelinePublic(ApiModel):
    """A trade's life in time order."""

    trade_id: str
    entries: list[TimelineEntry]
    count: int
