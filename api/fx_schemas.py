"""API shapes of foreign-exchange settlement (收结汇), the individual quota view and the
export tax-refund records (issue 18 items 3 and 6).

Amounts are decimal strings, never floats. A settlement is in its own currency (ISO 4217
letters, ``USD``); its ``rate`` converts it into each trade's currency:

    trade amount = amount x rate, rounded half up to the cent (0.01)

so ``rate`` is the number of units of the trade's currency one unit of the settlement
currency buys (7.1234 CNY per USD for a dollar settlement of a yuan trade). A trade in the
settlement's own currency takes rate 1 exactly.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from pydantic import Field, field_validator

from api.schemas import HEX32, ApiModel

__all__ = [
    "AMOUNT",
    "FxQuotaEntry",
    "FxQuotaLookup",
    "FxQuotaPublic",
    "FxQuotaTotals",
    "FxQuotasPublic",
    "FxSettlementCreate",
    "FxSettlementPublic",
    "FxSettlementTrade",
    "FxSettlementTradePublic",
    "FxSettlementsPublic",
    "TaxExemptCondition",
    "TaxExemptFlag",
    "TaxRefundItem",
    "TaxRefundRecord",
    "TaxRefundRecords",
]

#: A positive amount of money to the cent at most: "100", "100.5", "100.50".
AMOUNT = r"^[0-9]{1,15}(\.[0-9]{1,2})?$"
#: A positive exchange rate with at most 10 decimal places.
RATE = r"^[0-9]{1,9}(\.[0-9]{1,10})?$"


def _positive(value: str, field: str) -> str:
    try:
        if Decimal(value) <= 0:
            raise ValueError(f"{field} must be more than 0")
    except InvalidOperation as exc:  # the pattern keeps this out; kept for clarity
        raise ValueError(f"{field} must be a decimal number") from exc
    return value


class FxSettlementTrade(ApiModel):
    """One trade a settlement covers and its share, in the settlement currency."""

    trade_id: str = Field(pattern=r"^[0-9a-fA-F]{64}$", description="The trade's 64-hex id.")
    amount: str = Field(
        pattern=AMOUNT,
        examples=["40.00"],
        description="The trade's share, in the settlement currency, to the cent at most.",
    )

    @field_validator("amount")
    @classmethod
    def _amount_positive(cls, value: str) -> str:
        return _positive(value, "amount")


class FxSettlementCreate(ApiModel):
    """A bank records the foreign exchange it settled on one or more released trades.

    One settlement may cover many trades at once (netting, 轧差结算): each trade is
    checked against its own value, and either every trade is settled or none is.
    """

    amount: str = Field(
        pattern=AMOUNT,
        examples=["40.00"],
        description="The settlement's total in its currency: the sum of the trades' shares.",
    )
    currency: str = Field(
        pattern=r"^[A-Z]{3}$",
        examples=["USD"],
        description="ISO 4217 letters of the settlement currency (USD, EUR, CNY ...).",
    )
    rate: str = Field(
        pattern=RATE,
        examples=["7.1234"],
        description="Units of each trade's currency per one unit of the settlement currency: "
        "trade amount = amount x rate, rounded half up to the cent. 1 when the currencies "
        "are the same.",
    )
    account: str = Field(
        min_length=4,
        max_length=64,
        pattern=r"^[0-9A-Za-z -]+$",
        examples=["6222021001123456789"],
        description="The account settled to or from. Only its keyed hash is kept and "
        "committed on chain; responses show its last four characters.",
    )
    value_date: date = Field(examples=["2026-12-04"], description="The value date (起息日).")
    reference: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        examples=["FX-2026-000123"],
        description="The bank's own reference; a second settlement with it is refused (409).",
    )
    trades: list[FxSettlementTrade] = Field(min_length=1, max_length=500)

    @field_validator("amount", "rate")
    @classmethod
    def _strictly_positive(cls, value: str) -> str:
        return _positive(value, "amount or rate")


class FxSettlementTradePublic(ApiModel):
    """A trade's share of a settlement, in both currencies."""

    trade_id: str
    amount: str = Field(description="In the settlement currency, to the cent.")
    trade_amount: str = Field(description="In the trade's currency: amount x rate, half up.")
    trade_currency: str = Field(description="The trade's CEB currency code (142, 502 ...).")
    fx_settled_value: str = Field(
        description="Everything settled on the trade so far, in its currency (this included)."
    )
    individual: str | None = Field(
        description="The keyed hash of the individual (the import buyer/payer) whose annual "
        "quota view shows this share; null when the trade names no individual."
    )


class FxSettlementPublic(ApiModel):
    """A settlement as the chain accepted it."""

    id: int
    bank: str
    reference: str | None
    amount: str
    currency: str
    rate: str
    value_date: date
    account_masked: str = Field(description="The account's last four characters only.")
    account_hash: str = Field(description="The keyed hash committed in the settlement hash.")
    settlement_hash: str = Field(
        pattern=HEX32, description="content_hash of `record`: what the chain holds."
    )
    record: dict[str, object] = Field(
        description="The canonical settlement record whose hash went on chain."
    )
    chain_settlement_id: int
    tx_hash: str
    block_number: int
    created_at: datetime
    trades: list[FxSettlementTradePublic]


class FxSettlementsPublic(ApiModel):
    """A page of settlements."""

    data: list[FxSettlementPublic]
    count: int
    limit: int
    offset: int


class FxQuotaEntry(ApiModel):
    """One share of a settlement in an individual's year, and whether it counts."""

    settlement_id: int
    trade_id: str
    bank: str | None = Field(description="Null when another bank made it (its business).")
    value_date: date
    amount: str
    currency: str
    usd: str | None = Field(
        description="The share in US dollars when the settlement or the trade is in dollars; "
        "null when neither is (it is then listed, not added)."
    )
    counts: bool
    counted_amount: str = Field(
        description="The part of `amount` that counts against the quota (all of it, none, or "
        "the part returns left unbacked)."
    )
    reason: str


class FxQuotaTotals(ApiModel):
    """US-dollar sums of one individual's year."""

    quota: str
    counted: str
    apart: str
    remaining: str
    unconverted: int = Field(
        description="Entries with no US-dollar amount (neither side in dollars): not summed."
    )


class FxQuotaPublic(ApiModel):
    """An individual's annual FX facilitation quota (个人年度便利化额度) as sandan sees it.

    E-commerce settlements on verified trades (三单合一: the trade's three documents
    matched, customs released it, not cancelled) do not use the quota and are shown apart
    (the pilot-zone plans: individuals may settle on such trades on their own, 自行收结汇);
    a share whose trade is no longer verified counts against it, and so does the part of a
    settlement that returns accepted afterwards left without goods behind it.
    """

    individual: str
    year: int
    totals: FxQuotaTotals
    entries: list[FxQuotaEntry]


class FxQuotaLookup(ApiModel):
    """Whose quota to show: an individual's ID number, sent in the body (never in a URL,
    which logs keep); only its keyed hash is looked up."""

    id_number: str = Field(
        min_length=6,
        max_length=60,
        pattern=r"^[0-9A-Za-z]+$",
        examples=["110101199003071234"],
        description="The individual's identity card number (buyerIdNumber / payerIdNumber).",
    )
    year: int | None = Field(default=None, ge=2000, le=2999, description="This year if unset.")


class FxQuotasPublic(ApiModel):
    """A bank's customers' quota views for a year."""

    year: int
    data: list[FxQuotaPublic]


class TaxExemptCondition(ApiModel):
    """One condition of the 无票免税 rule and what sandan's data says of it."""

    condition: str
    met: bool | None = Field(description="Null: sandan's data cannot decide it.")
    basis: str


class TaxExemptFlag(ApiModel):
    """无票免税: VAT and consumption-tax exemption of a retail export without a purchase
    invoice (财税〔2013〕96号 art. 2; extended by 财税〔2018〕103号 to pilot-zone 9610 exports
    without valid purchase vouchers)."""

    flag: bool = Field(
        description="True when the retail export qualifies as far as the data decides: every "
        "decidable condition met; the undecided ones are the tax office's to confirm."
    )
    undecided: list[str]
    conditions: list[TaxExemptCondition]


class TaxRefundItem(ApiModel):
    """One line of a released export inventory."""

    gnum: int
    gcode: str = Field(description="HS code (商品编码).")
    gname: str
    qty: str
    unit: str
    total_price: str
    currency: str


class TaxRefundRecord(ApiModel):
    """What the tax and FX authorities need of one released export inventory."""

    trade_id: str
    invt_no: str | None
    ebc_code: str
    ebc_name: str
    owner_code: str
    order_no: str
    trade_mode: str
    customs_code: str
    value: str
    returned: str = Field(description="Accepted returns so far, in the trade's currency.")
    currency: str
    fx_received: str = Field(description="FX settled on the trade, in its currency.")
    fx_settlements: list[int]
    declared_at: datetime = Field(description="The inventory's appTime (申报时间).")
    released_at: datetime
    fx_settled_on: date | None = Field(description="The latest settlement's value date.")
    items: list[TaxRefundItem]
    tax_exempt_without_invoice: TaxExemptFlag


class TaxRefundRecords(ApiModel):
    """The tax-refund records of a period (released in [periodStart, periodEnd))."""

    period_start: datetime
    period_end: datetime
    data: list[TaxRefundRecord]
