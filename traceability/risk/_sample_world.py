"""The invented world the sample trade sets are drawn from: people, addresses, goods.

Seeded and deterministic. ID numbers are 18 digits with a valid GB 11643 check
character; telephone numbers are mainland mobiles; addresses are unique to a
household unless a group is planted on one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "CATALOGUE",
    "COMPANIES",
    "Item",
    "Person",
    "World",
    "address_variant",
    "phone_variant",
]

_FEN = Decimal("0.01")
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程"
)
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建波宁婷雪琳晨浩宇欣怡"
_PLACES = (
    ("浙江省", "杭州市", ("西湖区", "滨江区", "余杭区", "拱墅区"), "3301"),
    ("广东省", "深圳市", ("南山区", "福田区", "宝安区", "龙岗区"), "4403"),
    ("江苏省", "南京市", ("鼓楼区", "玄武区", "建邺区", "江宁区"), "3201"),
    ("四川省", "成都市", ("武侯区", "锦江区", "高新区", "青羊区"), "5101"),
    ("江西省", "赣州市", ("章贡区", "南康区", "赣县区", "经开区"), "3607"),
    ("上海市", "上海市", ("浦东新区", "徐汇区", "静安区", "闵行区"), "3101"),
)
_ROADS = ("文三路", "学院路", "人民路", "中山路", "解放路", "建设路", "和平路", "长江路", "黄河路")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True, slots=True)
class Item:
    """A catalogue entry: the seller's itemNo and the usual unit price (CNY)."""

    item_no: str
    name: str
    gmodel: str
    gcode: str
    price: Decimal


@dataclass(frozen=True, slots=True)
class Person:
    """A buyer: name, ID number, telephone and the household's address."""

    name: str
    id_number: str
    phone: str
    address: str


def _catalogue() -> tuple[Item, ...]:
    kinds = (
        ("护肤精华", "3304990099"), ("婴儿纸尿裤", "9619001100"), ("奶粉", "1901101000"),
        ("保健胶囊", "2106909090"), ("电动牙刷", "8509800000"), ("手提包", "4202210000"),
        ("香水", "3303000000"), ("运动鞋", "6404110000"), ("咖啡豆", "0901210000"),
        ("吹风机", "8516310000"), ("手表", "9102110000"), ("耳机", "8518300000"),
    )  # fmt: skip
    items = []
    # Usual prices spread evenly on a log scale from 19 to 4,900 CNY, so that every target
    # value has an item whose usual price lies near it.
    for n in range(72):
        name, gcode = kinds[n % len(kinds)]
        price = (Decimal(19) * (Decimal(258) ** (Decimal(n) / 71))).quantize(_FEN)
        items.append(
            Item(f"JP{4901 + n * 7:06d}", f"{name}{n:02d}", f"{name} 规格{n}", gcode, price)
        )
    return tuple(items)


CATALOGUE: tuple[Item, ...] = _catalogue()
"""72 goods, usual prices from 19 to 4,900 CNY."""

COMPANIES: tuple[tuple[str, str], ...] = (
    ("3301960B02", "杭州优选国际贸易有限公司"),
    ("4403960B11", "深圳海购进出口有限公司"),
    ("3201960B21", "南京全球仓贸易有限公司"),
    ("5101960B31", "成都跨境优品有限公司"),
    ("3607960B41", "赣州橙乡进口贸易有限公司"),
    ("3101960B51", "上海环球直邮贸易有限公司"),
)
"""The established e-commerce companies (ebcCode, ebcName): all trade from the first day."""


def phone_variant(phone: str, rng: random.Random) -> str:
    """The same mobile number as people type it: spaces, dashes, +86, full-width digits."""
    forms = (
        phone,
        f"+86 {phone}",
        f"{phone[:3]}-{phone[3:7]}-{phone[7:]}",
        f"{phone[:3]} {phone[3:7]} {phone[7:]}",
        f"+86-{phone[:3]}-{phone[3:7]}-{phone[7:]}",
        f"0086{phone}",
        phone.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    )
    return rng.choice(forms)


def address_variant(address: str, rng: random.Random) -> str:
    """The same address written another way: full-width digits, spaces, punctuation."""
    forms = (
        address,
        address.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
        address.replace("市", "市 ").replace("区", "区 "),
        address.replace("号", "号，"),
    )
    return rng.choice(forms)


class World:
    """Draws fresh, never-repeated people, phones and addresses from one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._ids: set[str] = set()
        self._phones: set[str] = set()
        self._addresses: set[str] = set()

    def person(self, *, phone: str | None = None, address: str | None = None) -> Person:
        """A new person; ``phone`` / ``address`` to share another's."""
        rng = self.rng
        name = rng.choice(_SURNAMES) + "".join(
            rng.choice(_GIVEN) for _ in range(rng.choice((1, 2)))
        )
        return Person(name, self.id_number(), phone or self.phone(), address or self.address())

    def id_number(self) -> str:
        """A new 18-character resident ID number with a valid check character."""
        while True:
            region = self.rng.choice(_PLACES)[3] + f"{self.rng.randrange(1, 30):02d}"
            born = f"{self.rng.randrange(1960, 2004)}{self.rng.randrange(1, 13):02d}"
            born += f"{self.rng.randrange(1, 29):02d}"
            body = f"{region}{born}{self.rng.randrange(1000):03d}"
            total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True))
            number = body + _ID_CHECK[total % 11]
            if number not in self._ids:
                self._ids.add(number)
                return number

    def phone(self) -> str:
        """A new mainland mobile number."""
        while True:
            prefix = self.rng.choice(("138", "139", "135", "150", "158", "186", "188", "177"))
            number = prefix + f"{self.rng.randrange(10**8):08d}"
            if number not in self._phones:
                self._phones.add(number)
                return number

    def address(self) -> str:
        """A new street address down to the flat."""
        while True:
            province, city, districts, _code = self.rng.choice(_PLACES)
            head = province if province == city else province + city
            text = (
                f"{head}{self.rng.choice(districts)}{self.rng.choice(_ROADS)}"
                f"{self.rng.randrange(1, 600)}号{self.rng.randrange(1, 30)}栋"
                f"{self.rng.randrange(1, 33)}0{self.rng.randrange(1, 5)}室"
            )
            if text not in self._addresses:
                self._addresses.add(text)
                return text

    def price_near(self, item: Item, spread: Decimal = Decimal("0.4")) -> Decimal:
        """A unit price within ±``spread`` of the item's usual price, to the fen."""
        factor = Decimal(1) + spread * Decimal(self.rng.randrange(-1000, 1001)) / 1000
        return (item.price * factor).quantize(_FEN, rounding=ROUND_HALF_UP)
