"""Names a shopper reads instead of codes: places (GLN), parties (code) and products (GTIN).

Parties register their places' names and addresses with their GLNs
(``PUT /parties/{code}/locations``), and a GTIN's brand owner its product
master data (``PUT /products/{gtin}``). A page reads all it needs in three
queries, whatever the number of events. Presentation only: none of it is
hashed or anchored, so a name changed later changes no verification.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlmodel import Session, col, select

from api.db.models import PartyRecord
from api.db.trace_models import PartyLocationRecord, ProductRecord
from api.errors import PermissionDenied
from api.services.trace.custody import owners_of
from api.services.trace.i18n import Lang
from api.services.trace.lots import Provenance
from traceability.epcis import parse_link


def gln_of(value: str | None) -> str | None:
    """The GLN of a location Digital Link, or None."""
    return _gln(value) if value else None


# Module-level: a pure function of one string (no database, no chain), returning a string.
@lru_cache(maxsize=4096)
def _gln(value: str) -> str | None:
    # Pure, and asked for every event of every page: parsing a Digital Link checks each AI.
    link = parse_link(value)
    return link.key if link is not None and link.key_ai in ("414", "417") else None


def _in(lang: Lang, en: str | None, zh: str | None) -> str | None:
    """The value in ``lang``, else the other language's."""
    return (zh or en) if lang == "zh" else (en or zh)


@dataclass(frozen=True)
class Place:
    """A registered location: its GLN and what it is called, in English and Chinese."""

    gln: str
    name: str | None = None
    name_zh: str | None = None
    address: str | None = None
    address_zh: str | None = None
    region: str | None = None

    def name_in(self, lang: Lang) -> str | None:
        """The place's name in ``lang`` (the other language's when it has none)."""
        return _in(lang, self.name, self.name_zh)

    def address_in(self, lang: Lang) -> str | None:
        """The place's address in ``lang`` (the other language's when it has none)."""
        return _in(lang, self.address, self.address_zh)

    def to_json(self) -> dict[str, Any]:
        """camelCase JSON."""
        return {
            "gln": self.gln,
            "name": self.name,
            "nameZh": self.name_zh,
            "address": self.address,
            "addressZh": self.address_zh,
            "region": self.region,
        }


@dataclass(frozen=True)
class Product:
    """A GTIN's product master data, as its brand owner registered it."""

    gtin: str
    name: str
    name_zh: str | None
    brand: str | None
    brand_zh: str | None
    owner: str

    def name_in(self, lang: Lang) -> str:
        """The product's name in ``lang`` (English when it has no Chinese one)."""
        return _in(lang, self.name, self.name_zh) or self.name

    def brand_in(self, lang: Lang) -> str | None:
        """The brand in ``lang`` (the other language's when it has none)."""
        return _in(lang, self.brand, self.brand_zh)

    def to_json(self) -> dict[str, Any]:
        """camelCase JSON."""
        return {
            "gtin": self.gtin,
            "name": self.name,
            "nameZh": self.name_zh,
            "brand": self.brand,
            "brandZh": self.brand_zh,
            "owner": self.owner,
        }

    @classmethod
    def of(cls, row: ProductRecord) -> Product:
        """From its row."""
        return cls(row.gtin, row.name, row.name_zh, row.brand, row.brand_zh, row.party_code)


@dataclass(frozen=True)
class Names:
    """What a lot's page calls its places, parties and product."""

    places: Mapping[str, Place] = field(default_factory=dict)
    parties: Mapping[str, str] = field(default_factory=dict)
    product: Product | None = None

    def place(self, gln: str | None) -> Place | None:
        """The registered place of ``gln`` (None when unknown or no GLN)."""
        return self.places.get(gln) if gln else None


def names_for(
    session: Session, *, glns: Iterable[str], party_codes: Iterable[str], gtin: str
) -> Names:
    """The names of these places and parties and the GTIN's product, in three queries."""
    wanted = sorted({g for g in glns if g})
    rows = session.exec(
        select(PartyLocationRecord)
        .where(col(PartyLocationRecord.gln).in_(wanted))
        .order_by(col(PartyLocationRecord.id))
    ).all()
    places: dict[str, Place] = {}
    for row in rows:
        # Several parties may register one GLN (a shared port); a named row beats a bare one.
        if row.gln not in places or row.name or row.name_zh:
            places[row.gln] = _place(row)
    codes = sorted(set(party_codes))
    parties = dict(
        session.exec(
            select(PartyRecord.code, PartyRecord.name).where(col(PartyRecord.code).in_(codes))
        ).all()
    )
    product = session.get(ProductRecord, gtin)
    return Names(places, parties, Product.of(product) if product else None)


def _place(row: PartyLocationRecord) -> Place:
    return Place(row.gln, row.name, row.name_zh, row.address, row.address_zh, row.region)


def register_places(
    session: Session, party: PartyRecord, places: Iterable[Place], *, now: datetime
) -> list[Place]:
    """Add the party's places, or update the names of those it holds; all it holds, by GLN.

    A bare GLN (no name given) keeps the names an earlier call registered for it.
    """
    held = {
        row.gln: row
        for row in session.exec(
            select(PartyLocationRecord).where(PartyLocationRecord.party_code == party.code)
        ).all()
    }
    for place in {p.gln: p for p in places}.values():
        row = held.get(place.gln)
        if row is None:
            row = PartyLocationRecord(party_code=party.code, gln=place.gln, created_at=now)
            held[place.gln] = row
        if any((place.name, place.name_zh, place.address, place.address_zh, place.region)):
            row.name, row.name_zh = place.name, place.name_zh
            row.address, row.address_zh, row.region = place.address, place.address_zh, place.region
        session.add(row)
    return [_place(held[gln]) for gln in sorted(held)]


def register_product(
    session: Session, party: PartyRecord, product: Product, *, now: datetime
) -> Product:
    """Record a GTIN's product master data; only its brand owner may (403 otherwise)."""
    if party.code not in owners_of(session, product.gtin):
        raise PermissionDenied(
            f"party {party.code} holds no company prefix of GTIN {product.gtin}: only the "
            "brand owner registers its products",
            field="path.gtin",
        )
    row = session.get(ProductRecord, product.gtin) or ProductRecord(
        gtin=product.gtin, party_code=party.code, name=product.name, updated_at=now
    )
    row.party_code, row.name, row.name_zh = party.code, product.name, product.name_zh
    row.brand, row.brand_zh, row.updated_at = product.brand, product.brand_zh, now
    session.add(row)
    return Product.of(row)


def product_of(session: Session, gtin: str) -> Product | None:
    """The registered product of ``gtin``, if any."""
    row = session.get(ProductRecord, gtin)
    return Product.of(row) if row else None


def names_of_lot(session: Session, p: Provenance) -> Names:
    """The names a lot's page shows: every place and recorder its events name, its product."""
    glns = {gln_of(r.biz_location or r.read_point) for r in p.records}
    for event in p.events.values():
        # Sources and destinations appear in findings ("shipped to ... but next seen at ...").
        ends = (*event.sources, *event.destinations)
        glns |= {gln_of(e.value) for e in ends if e.term == "location"}
    parties = {r.captured_by for r in p.records} | ({p.recall.by} if p.recall.by else set())
    return names_for(session, glns=(g for g in glns if g), party_codes=parties, gtin=p.lot.gtin)
