"""Realistic mixed sets of import trades with planted risk groups, and their ground truth.

:func:`generate_trade_set` draws a seeded year (2025, China time) of 9610 import
trades: ordinary shoppers, with the near-misses an honest engine must leave alone —

* households: two to four ID numbers at one address (spelt several ways);
* couples sharing one telephone number, one often paying for the other;
* repeat customers buying every few days, under every limit;
* buyers with two orders in a day summing under (or exactly) 5,000;
* buyers ending the year just under (or exactly at) 26,000, or spreading it over two years;
* two orders just under 5,000, or three spread over more than 90 days;
* prices within ±40 % of an item's usual price;

and, planted, groups for every rule (:data:`PLANTED_KINDS`). A trade's ``planted``
names the rule that must flag it; every other trade is clean, including a planted
buyer's own ordinary orders and the orders before an annual limit is passed.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from traceability.ceb import CebMessage, write_message
from traceability.ceb.models import BaseTransfer
from traceability.risk._sample_orders import BasketLine, OrderSpec, build_trade
from traceability.risk._sample_world import (
    CATALOGUE,
    COMPANIES,
    Item,
    Person,
    World,
    address_variant,
    phone_variant,
)
from traceability.risk.alerts import RiskAlert
from traceability.trade.fields import CHINA_TZ
from traceability.trade.inputs import TradeDocuments

__all__ = [
    "PLANTED_KINDS",
    "SampleTrade",
    "TradeSet",
    "generate_trade_set",
    "score_alerts",
    "trade_files",
]

START = datetime(2025, 1, 1, tzinfo=CHINA_TZ)
PLANTED_KINDS: tuple[str, ...] = (
    "risk.split_order",
    "risk.shared_address",
    "risk.shared_phone",
    "risk.annual_limit",
    "risk.threshold_hugging",
    "risk.price_outlier",
    "risk.shared_payer",
    "risk.new_company_spike",
)
"""The rules a generated set plants groups for (the spike only in sets of 1,000 or more)."""
NEW_COMPANY = ("4401960B99", "广州新星跨境贸易有限公司")
_ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class SampleTrade:
    """One generated trade and the rule it was planted for (None: a clean trade)."""

    documents: TradeDocuments
    planted: str | None = None

    @property
    def name(self) -> str:
        """``"<ebpCode>/<orderNo>"``."""
        order = self.documents.order
        assert order is not None  # every sample trade has its order
        return f"{order.ebpCode}/{order.orderNo}"

    @property
    def folder(self) -> str:
        """The folder name of the trade in a ``sandan risk scan`` directory: its orderNo."""
        return self.name.split("/", 1)[1]


@dataclass(frozen=True)
class TradeSet:
    """A generated set: its trades (sorted by orderNo) and what was planted where."""

    trades: tuple[SampleTrade, ...]

    def truth(self) -> dict[str, frozenset[str]]:
        """Planted trades by rule id."""
        found: dict[str, set[str]] = {}
        for trade in self.trades:
            if trade.planted is not None:
                found.setdefault(trade.planted, set()).add(trade.name)
        return {rule: frozenset(names) for rule, names in sorted(found.items())}

    def clean(self) -> frozenset[str]:
        """The trades no rule should flag."""
        return frozenset(t.name for t in self.trades if t.planted is None)


def score_alerts(trade_set: TradeSet, alerts: Iterable[RiskAlert]) -> dict[str, object]:
    """Recall per planted kind (flagged by that rule) and the share of clean trades flagged
    by any rule at all."""
    flagged: dict[str, set[str]] = {}
    for alert in alerts:
        flagged.setdefault(alert.rule, set()).update(alert.trades)
    recall = {
        rule: len(names & flagged.get(rule, set())) / len(names)
        for rule, names in trade_set.truth().items()
    }
    clean = trade_set.clean()
    hit = clean & set().union(*flagged.values()) if flagged else set()
    return {
        "recall": recall,
        "clean": len(clean),
        "clean_flagged": sorted(hit),
        "clean_flagged_share": len(hit) / len(clean) if clean else 0.0,
    }


def trade_files(documents: TradeDocuments) -> dict[str, bytes]:
    """The trade's CEB XML files as ``sandan ceb check`` reads them: ``{"order.xml": …}``.

    Unsigned, so without an inventory (a declared CEB621 must carry a signature).
    """
    files: dict[str, bytes] = {}
    for name, document in (
        ("order.xml", documents.order),
        ("payment.xml", documents.payment),
        ("logistics.xml", documents.waybill),
    ):
        if document is None:
            continue
        code = str(getattr(document, _SENDER[name]))
        transfer = BaseTransfer(copCode=code, copName=code, dxpMode="DXP", dxpId=f"DXPENT{code}")
        message = CebMessage(
            document.message_type, document.guid, (document,), base_transfer=transfer
        )
        files[name] = write_message(message)
    return files


_SENDER = {"order.xml": "ebpCode", "payment.xml": "payCode", "logistics.xml": "logisticsCode"}


def generate_trade_set(size: int = 2000, seed: int = 16) -> TradeSet:
    """About ``size`` trades (at least the groups below), the same for the same arguments."""
    builder = _Builder(random.Random(seed), size)  # noqa: S311 - sample data, not secrets
    builder.plant_and_fill()
    # Order numbers follow the order time, as a platform's do, whatever group planted them.
    specs = sorted(builder.specs, key=lambda pair: pair[0].placed_at)
    trades = (
        SampleTrade(build_trade(replace(spec, order_no=f"SD2025{number:010d}")), planted)
        for number, (spec, planted) in enumerate(specs, start=1)
    )
    return TradeSet(tuple(trades))


@dataclass
class _Builder:
    rng: random.Random
    size: int
    specs: list[tuple[OrderSpec, str | None]] = field(default_factory=list)
    world: World = field(init=False)

    def __post_init__(self) -> None:
        self.world = World(self.rng)

    # --- the pieces of one order -----------------------------------------------------

    def groups(self, per_2000: int) -> int:
        """How many groups of a kind a set of ``size`` gets (at least one)."""
        return max(1, round(per_2000 * self.size / 2000))

    def at(self, day: float) -> datetime:
        """``day`` days (fractions are hours) after the start of 2025, to the minute."""
        return START + timedelta(minutes=int(day * 1440))

    def daytime(self, day: int) -> float:
        """A time between 08:00 and 23:00 on ``day``."""
        return day + self.rng.uniform(8 / 24, 23 / 24)

    def basket(self, max_value: Decimal, min_value: Decimal = Decimal(30)) -> list[BasketLine]:
        """One to three lines of ordinary goods at ordinary prices, in ``[min, max]``."""
        while True:
            count = self.rng.choices((1, 2, 3), weights=(6, 3, 1))[0]
            share = max_value / count / Decimal("1.4")
            affordable = [item for item in CATALOGUE if item.price <= share]
            if not affordable:
                continue
            lines = []
            for item in self.rng.sample(affordable, min(count, len(affordable))):
                qty = Decimal(self.rng.choice((1, 1, 1, 2))) if item.price * 2 < share else _ONE
                lines.append(BasketLine(item, qty, self.world.price_near(item)))
            if min_value <= sum(line.qty * line.price for line in lines) <= max_value:
                return lines

    def worth(self, goods: Decimal) -> list[BasketLine]:
        """One line whose total is exactly ``goods``, of an item that usually costs about that."""
        near = [item for item in CATALOGUE if abs(item.price - goods) <= goods * Decimal("0.3")]
        item = self.rng.choice(near)
        return [BasketLine(item, _ONE, goods)]

    def order(
        self,
        buyer: Person,
        day: float,
        basket: Sequence[BasketLine],
        planted: str | None = None,
        *,
        company: tuple[str, str] | None = None,
        freight: Decimal = Decimal(0),
        buyer_phone: str | None = None,
        consignee_phone: str | None = None,
        address: str | None = None,
        payer: Person | None = None,
    ) -> None:
        """Add one trade (the :class:`OrderSpec` fields as keywords)."""
        spec = OrderSpec(
            "",
            buyer,
            self.at(day),
            basket,
            company or self.rng.choice(COMPANIES),
            freight=freight,
            buyer_phone=buyer_phone,
            consignee_phone=consignee_phone,
            address=address,
            payer=payer,
        )
        self.specs.append((spec, planted))

    def valued(self, buyer: Person, day: float, value: Decimal, planted: str | None = None) -> None:
        """An order whose customs value is exactly ``value`` (freight included)."""
        freight = Decimal(self.rng.choice((0, 10, 15, 20)))
        self.order(buyer, day, self.worth(value - freight), planted, freight=freight)

    def days(self, count: int, gap: int, first: int = 0, last: int = 360) -> list[int]:
        """``count`` distinct days in ``[first, last]``, at least ``gap`` days apart."""
        for _ in range(200):
            picked = sorted(self.rng.sample(range(first, last + 1), count))
            if all(b - a >= gap for a, b in pairwise(picked)):
                return picked
        return list(range(first, first + gap * count, gap))

    def value(self, low: int, high: int) -> Decimal:
        """A customs value between ``low`` and ``high`` CNY, to the fen."""
        return Decimal(self.rng.randrange(low * 100, high * 100 + 1)) / 100

    # --- the set -------------------------------------------------------------------

    def plant_and_fill(self) -> None:
        self.first_week()
        steps: tuple[tuple[Callable[[], None], int], ...] = (
            (self.household, 40),
            (self.couple, 40),
            (self.repeat_customer, 25),
            (self.pair_under_limit, 20),
            (self.year_near_limit, 5),
            (self.hugging_near_miss, 5),
            (self.two_years, 3),
            (self.split_order, 12),
            (self.shared_address, 6),
            (self.shared_phone, 6),
            (self.annual_limit, 6),
            (self.threshold_hugging, 6),
            (self.shared_payer, 5),
        )
        for step, per_2000 in steps:
            for _ in range(self.groups(per_2000)):
                step()
        if self.size >= 1000:
            self.new_company_spike()
        while len(self.specs) < self.size - self.groups(20):
            self.single_shopper()
        self.price_outliers(self.groups(20))
        while len(self.specs) < self.size:  # a set too small for outliers gets shoppers
            self.single_shopper()

    def first_week(self) -> None:
        """Every established company trades in the first week (so none looks new)."""
        for number, company in enumerate(COMPANIES):
            buyer = self.world.person()
            self.order(buyer, self.daytime(number), self.basket(Decimal(1500)), company=company)

    def shop(
        self,
        buyer: Person,
        count: int,
        gap: int = 2,
        top: int = 2400,
        *,
        address: str | None = None,
        payer: Person | None = None,
        buyer_phone: str | None = None,
    ) -> None:
        """``count`` ordinary orders at least ``gap`` days apart, each worth at most ``top``."""
        for day in self.days(count, gap):
            basket = self.basket(Decimal(top))
            when = self.daytime(day)
            self.order(buyer, when, basket, address=address, payer=payer, buyer_phone=buyer_phone)

    def single_shopper(self) -> None:
        count = self.rng.choices((1, 2, 3, 4, 5), weights=(40, 25, 15, 10, 5))[0]
        self.shop(self.world.person(), count)

    # --- clean near-misses -----------------------------------------------------------

    def household(self) -> None:
        address = self.world.address()
        members = [self.world.person(address=address) for _ in range(self.rng.randrange(2, 5))]
        head = members[0]
        for member in members:
            payer = head if self.rng.random() < 0.3 else None
            spelt = address_variant(address, self.rng)
            self.shop(member, self.rng.randrange(1, 4), address=spelt, payer=payer)

    def couple(self) -> None:
        first = self.world.person()
        second = self.world.person(phone=first.phone, address=first.address)
        for person in (first, second):
            payer = first if person is second and self.rng.random() < 0.5 else None
            phone = phone_variant(first.phone, self.rng)
            self.shop(person, self.rng.randrange(1, 4), buyer_phone=phone, payer=payer)

    def repeat_customer(self) -> None:
        buyer = self.world.person()
        self.shop(buyer, self.rng.randrange(12, 21), gap=3, top=1200)

    def pair_under_limit(self) -> None:
        buyer = self.world.person()
        day = self.rng.randrange(0, 350)
        total = Decimal(5000) if self.rng.random() < 0.3 else self.value(3600, 4990)
        first = (total / 2 + self.value(0, 300)).quantize(Decimal("0.01"))
        start = self.daytime(day)
        self.valued(buyer, start, first)
        self.valued(buyer, start + self.rng.uniform(1, 20) / 24, total - first)

    def year_near_limit(self) -> None:
        buyer = self.world.person()
        target = Decimal(26000) if self.rng.random() < 0.4 else self.value(24000, 25990)
        values: list[Decimal] = []
        while target - sum(values, Decimal(0)) > 4000:
            values.append(self.value(2000, 4000))
        values.append(target - sum(values, Decimal(0)))
        for day, value in zip(self.days(len(values), 10), values, strict=True):
            self.valued(buyer, self.daytime(day), value)

    def hugging_near_miss(self) -> None:
        buyer = self.world.person()
        first = self.rng.randrange(0, 200)
        days = [first, first + 46, first + 93] if self.rng.random() < 0.5 else [first, first + 40]
        for day in days:
            self.valued(buyer, self.daytime(day), self.value(4760, 4995))

    def two_years(self) -> None:
        buyer = self.world.person()
        for day in (300, 315, 330, 345, 366, 380, 394, 408):  # 4 × 3,750 in each year
            self.valued(buyer, self.daytime(day), Decimal(3750))

    # --- planted groups --------------------------------------------------------------

    def split_order(self) -> None:
        buyer = self.world.person()
        day = self.rng.randrange(20, 340)
        while True:
            values = [self.value(800, 4500) for _ in range(self.rng.randrange(2, 5))]
            if sum(values) > 5050:
                break
        start = self.daytime(day)
        span = self.rng.uniform(1, 23.5) / 24
        offsets = sorted([0.0, span, *(self.rng.uniform(0, span) for _ in values[2:])])
        for offset, value in zip(offsets, values, strict=True):
            self.valued(buyer, start + offset, value, "risk.split_order")
        for later in self.rng.sample((-60, -30, 30, 45), self.rng.randrange(0, 3)):
            self.order(buyer, self.daytime(day + later), self.basket(Decimal(1500)))

    def shared_address(self) -> None:
        address = self.world.address()
        first = self.rng.randrange(0, 330)
        for _ in range(8):
            buyer = self.world.person()
            spelt = address_variant(address, self.rng)
            day = self.daytime(first + self.rng.randrange(0, 21))
            self.order(buyer, day, self.basket(Decimal(2000)), "risk.shared_address", address=spelt)

    def shared_phone(self) -> None:
        phone = self.world.phone()
        first = self.rng.randrange(0, 290)
        as_consignee = self.rng.random() < 0.5
        for _ in range(5):
            buyer = self.world.person()
            spelt = phone_variant(phone, self.rng)
            phones = (None, spelt) if as_consignee else (spelt, None)
            day = self.daytime(first + self.rng.randrange(0, 61))
            basket = self.basket(Decimal(2000))
            self.order(
                buyer, day, basket, "risk.shared_phone",
                buyer_phone=phones[0], consignee_phone=phones[1],
            )  # fmt: skip

    def annual_limit(self) -> None:
        buyer = self.world.person()
        day, total, passed, extra = self.rng.randrange(5, 60), Decimal(0), False, 0
        while extra < self.rng.randrange(1, 3) + 1:
            value = self.value(2600, 4500)
            total += value
            passed = passed or total > 26000
            extra += passed
            self.valued(buyer, self.daytime(day), value, "risk.annual_limit" if passed else None)
            day += self.rng.randrange(9, 17)

    def threshold_hugging(self) -> None:
        buyer = self.world.person()
        day = self.rng.randrange(0, 260)
        for _ in range(self.rng.randrange(3, 6)):
            self.valued(buyer, self.daytime(day), self.value(4760, 4995), "risk.threshold_hugging")
            day += self.rng.randrange(10, 22)

    def shared_payer(self) -> None:
        payer = self.world.person()
        first = self.rng.randrange(0, 330)
        for _ in range(6):
            buyer = self.world.person()
            day = self.daytime(first + self.rng.randrange(0, 26))
            basket = self.basket(Decimal(2000))
            self.order(buyer, day, basket, "risk.shared_payer", payer=payer)

    def new_company_spike(self) -> None:
        first = self.rng.randrange(150, 200)
        for _ in range(60):
            buyer = self.world.person()
            day = first + self.rng.uniform(0, 6)
            basket = self.basket(Decimal(1500))
            self.order(buyer, day, basket, "risk.new_company_spike", company=NEW_COMPANY)

    def price_outliers(self, count: int) -> None:
        seen: Counter[Item] = Counter()
        for spec, _planted in self.specs:
            seen.update(line.item for line in spec.basket)
        # Items seen often enough that the outlier is judged (at least 10 lines with it).
        popular = [item for item, lines in seen.most_common() if lines >= 12]
        if not popular:
            return  # a set too small to judge any price
        cheap = [item for item in popular if item.price <= 400]
        for number in range(count):
            buyer = self.world.person()
            if number % 2 and cheap:
                item = self.rng.choice(cheap)
                price = (item.price * self.value(360, 600) / 100).quantize(Decimal("0.01"))
            else:
                item = self.rng.choice(popular[:20])
                price = (item.price * self.value(5, 22) / 100).quantize(Decimal("0.01"))
            basket = [BasketLine(item, _ONE, price)]
            day = self.daytime(self.rng.randrange(0, 360))
            self.order(buyer, day, basket, "risk.price_outlier")
