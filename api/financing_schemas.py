"""Request and response shapes of typed financing (订单融资、应收账款融资、仓单质押、出口退税
账户托管贷款): a bank opens a line on a trade or a warehouse receipt, draws and repays it in
parts, and closes it.

Amounts are decimal strings in the financing's currency, to the fen (cent); the chain holds
them as whole minor units.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator

from api.schemas import HEX32, ApiModel

__all__ = [
    "AMOUNT",
    "FinancingChainState",
    "FinancingKindName",
    "FinancingMovementCreate",
    "FinancingMovementPublic",
    "TypedFinancingCreate",
    "TypedFinancingPublic",
]

#: A positive amount to the fen: up to 15 whole digits and 2 decimals (it fits uint64 minor
#: units on chain).
AMOUNT = r"^(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?$"

FinancingKindName = Literal["order", "receivable", "warehouseReceipt", "taxRefundPledge"]

KIND_RULES = (
    "`order` (订单融资): a matched trade not yet released (before the goods ship); "
    "`receivable` (应收账款融资): a released trade (the goods are shipped); "
    "`taxRefundPledge` (出口退税账户托管贷款): a released export trade; "
    "`warehouseReceipt` (仓单质押): a warehouse receipt in state Issued, which the pledge "
    "makes Pledged until the financing is closed. A cancelled trade is never financed, and a "
    "trade or receipt carries at most one live financing (typed, or registered through "
    "`POST /banks/trades/{tradeId}/financing`): the contract refuses a second."
)


def _positive(value: str, field: str) -> str:
    if Decimal(value) <= 0:
        raise ValueError(f"{field} must be more than 0")
    return value


class TypedFinancingCreate(ApiModel):
    """A bank opens a typed financing line; its terms stay off chain, committed by hash."""

    kind: FinancingKindName = Field(description=KIND_RULES, examples=["receivable"])
    subject: str = Field(
        min_length=1,
        max_length=64,
        description="The trade id (order, receivable, taxRefundPledge) or the warehouse "
        "receipt's on-chain id, 64 hex digits (warehouseReceipt).",
    )
    limit: str = Field(
        pattern=AMOUNT,
        description="The line's limit, at most the trade's declared value minus accepted "
        "returns (or the receipt's value); refused (409 over_value) above it.",
        examples=["500.00"],
    )
    currency: str = Field(
        min_length=3,
        max_length=3,
        description="The trade's currency, as its CEB code (142) or ISO 4217 letters (CNY).",
        examples=["142"],
    )
    terms: dict[str, Any] = Field(
        description="The bank's terms; only their hash reaches the chain.",
        examples=[{"rate": "0.0385", "days": 90}],
    )
    verdict_hash: str | None = Field(
        default=None,
        pattern=HEX32,
        description="For a trade: the verdict the bank lends on; refused (409) if the "
        "trade's verdict changed since.",
    )

    @field_validator("limit")
    @classmethod
    def _check_limit(cls, value: str) -> str:
        return _positive(value, "limit")


class FinancingMovementCreate(ApiModel):
    """A drawdown or a repayment, in the financing's currency."""

    amount: str = Field(pattern=AMOUNT, examples=["200.00"])
    reference: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/\-]*$",
        description="The bank's own reference of the movement: a second drawdown or repayment "
        "with a reference this line already took is refused (409 duplicate_movement), so a "
        "retried request never moves money twice.",
        examples=["DD-2026-0001"],
    )

    @field_validator("amount")
    @classmethod
    def _check_amount(cls, value: str) -> str:
        return _positive(value, "amount")


class FinancingMovementPublic(ApiModel):
    """One step of a financing's life as the chain confirmed it."""

    kind: Literal["opened", "drawdown", "repayment", "closed"]
    amount: str | None
    reference: str | None = None
    outstanding: str
    tx_hash: str
    block_number: int
    at: datetime


class FinancingChainState(ApiModel):
    """The financing as the contract holds it now (read live, not from the database)."""

    bank_address: str
    kind: FinancingKindName
    subject: str
    limit: str
    drawn: str
    outstanding: str
    terms_hash: str
    open: bool
    receipt_state: str | None = Field(
        default=None, description="For a receipt pledge: Issued, Pledged or Cancelled."
    )


class TypedFinancingPublic(ApiModel):
    """A typed financing line, its movements and the chain's state of it (shown to the bank
    that opened it only)."""

    financing_id: int
    kind: FinancingKindName
    subject: str
    trade_id: str | None
    receipt_id: str | None
    bank: str
    currency: str
    limit: str
    drawn: str
    outstanding: str
    terms: dict[str, Any]
    terms_hash: str
    state: Literal["open", "closed"]
    opened_at: datetime
    closed_at: datetime | None
    movements: list[FinancingMovementPublic]
    chain: FinancingChainState | None = None
