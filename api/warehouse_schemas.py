"""Request shapes of the overseas warehouses: issuing and cancelling a warehouse receipt (仓单).

Quantities and amounts are decimal strings, never JSON numbers (binary floats would round
them); a minus sign is refused by the pattern, naming the field.
"""

from __future__ import annotations

from pydantic import Field

from api.schemas import CODE, ApiModel

#: A positive-looking decimal: digits, optionally a point and up to five more (the CEB N19,5).
QUANTITY = r"^\d{1,14}(\.\d{1,5})?$"
#: An amount to the fen (cent).
AMOUNT = r"^\d{1,15}(\.\d{1,2})?$"


class ReceiptCreate(ApiModel):
    """A warehouse receipt the warehouse issues over stock it holds for its owner."""

    receipt_no: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_./\-]{0,63}$",
        description="The warehouse's own number of the receipt, once per warehouse.",
        examples=["WR-NL-2026-0001"],
    )
    gtin: str = Field(pattern=r"^\d{14}$", examples=["06901234123456"])
    lot: str | None = Field(
        default=None,
        pattern=r"^[!-~]{1,20}$",
        description="The lot (GS1 AI 10); omitted for stock recorded without a lot.",
        examples=["GN2411A"],
    )
    quantity: str = Field(pattern=QUANTITY, examples=["100"])
    value: str = Field(pattern=AMOUNT, description="The goods' value.", examples=["2400.00"])
    currency: str = Field(
        pattern=r"^\d{3}$",
        description="Customs currency code (142 CNY, 502 USD).",
        examples=["142"],
    )
    owner: str = Field(
        pattern=CODE, description="Party code of the goods' owner (the exporter).", examples=["E1"]
    )


class ReceiptCancel(ApiModel):
    """Why the warehouse cancels a receipt (its hash goes on chain)."""

    reason: str = Field(min_length=1, max_length=500, examples=["goods released to the owner"])
