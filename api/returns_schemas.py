"""API shapes of return applications (退货申请单) and sandan's answer to them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from api.schemas import AnchorPublic, ApiModel

__all__ = [
    "ReturnChainPublic",
    "ReturnFailurePublic",
    "ReturnLinePublic",
    "ReturnPublic",
    "ReturnReceiptPublic",
]


class ReturnFailurePublic(ApiModel):
    """One failed rule, shaped like a verdict's failure: rule, field, expected, found."""

    rule: str = Field(examples=["return.quantity"])
    field: str = Field(examples=["InvtRefundList[gnum=2].qty"])
    expected: str = Field(examples=["> 0 and <= 2"])
    actual: str = Field(examples=["3"])
    message: str


class ReturnLinePublic(ApiModel):
    """One accepted line: the quantity back and its value at the inventory's price."""

    gnum: int
    qty: str = Field(examples=["1"])
    amount: str = Field(examples=["119.50"], description="To the fen, trade currency.")
    declared: str = Field(description="The quantity the inventory declared.")
    returned_before: str = Field(description="Taken back by earlier accepted returns.")


class ReturnReceiptPublic(ApiModel):
    """The CEB626 (export: CEB214) answer: customs status code and note."""

    guid: str
    return_status: str = Field(examples=["120"], description="120 accepted, 100 refused.")
    return_info: str


class ReturnChainPublic(ApiModel):
    """The LifecycleRegistry transaction that recorded the return."""

    tx_hash: str
    block_number: int


class ReturnPublic(ApiModel):
    """A return application, its verdict and what it changed."""

    id: int
    content_hash: str
    doc_type: Literal["return", "export-return"]
    message_type: Literal["CEB625", "CEB213"]
    direction: Literal["import", "export"]
    party_code: str
    status: Literal["accepted", "refused", "pending"]
    trade_id: str | None
    ebp_code: str
    order_no: str
    invt_no: str | None
    amount: str = Field(examples=["119.50"], description="To the fen; 0.00 when refused.")
    returned_total: str = Field(description="Every accepted return of the trade, to the fen.")
    whole: bool
    return_state: Literal["partial", "whole"] | None
    currency: str | None
    failures: list[ReturnFailurePublic]
    lines: list[ReturnLinePublic]
    receipt: ReturnReceiptPublic
    chain: ReturnChainPublic | None
    anchor: AnchorPublic | None = None
    anchor_status: Literal["pending", "anchored"]
    created: bool = True
    received_at: datetime
    decided_at: datetime | None
