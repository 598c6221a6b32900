"""Product master data: what a GTIN is called, registered by its brand owner.

The brand owner is the party holding the GTIN's GS1 company prefix
(``PUT /parties/{code}/company-prefixes``); the consumer page of every lot of
the GTIN is titled with the product's name.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import ConfigDict, Field

from api.db.models import utcnow
from api.db.trace_models import PRODUCT_NAME_MAX
from api.errors import NotFound, UnprocessableContent
from api.schemas import ApiModel
from api.services.documents import check_strings
from api.services.trace import names as trace_names
from api.web.deps import PartyDep, SessionDep, WriteLimit
from api.web.errors import ErrorBodyResponses
from traceability.gs1 import is_digital_link

router = APIRouter(tags=["products"], responses=ErrorBodyResponses, dependencies=[WriteLimit])
ProductText = Annotated[str, Field(min_length=1, max_length=PRODUCT_NAME_MAX)]


class ProductIn(ApiModel):
    """A product's name and brand, in English and (optionally) Chinese."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Gannan navel oranges, 5 kg case",
                    "nameZh": "赣南脐橙 5 公斤装",
                    "brand": "Xinfeng Cooperative",
                    "brandZh": "信丰合作社",
                }
            ]
        }
    )

    name: ProductText
    name_zh: ProductText | None = None
    brand: ProductText | None = None
    brand_zh: ProductText | None = None


def _check_gtin(gtin: str) -> None:
    if not (gtin.isascii() and gtin.isdigit() and len(gtin) == 14) or not is_digital_link(
        f"https://id.gs1.org/01/{gtin}"
    ):
        raise UnprocessableContent(
            f"{gtin!r} is not a GTIN-14 with a valid check digit", field="path.gtin"
        )


@router.put("/products/{gtin}")
def set_product(gtin: str, body: ProductIn, session: SessionDep, party: PartyDep) -> dict[str, Any]:
    """Register a GTIN's product name and brand (its brand owner only: 403 otherwise)."""
    _check_gtin(gtin)
    check_strings(body.model_dump(by_alias=True), "body")
    product = trace_names.Product(
        gtin, body.name, body.name_zh, body.brand, body.brand_zh, party.code
    )
    saved = trace_names.register_product(session, party, product, now=utcnow())
    session.commit()
    return saved.to_json()


@router.get("/products/{gtin}")
def read_product(gtin: str, session: SessionDep) -> dict[str, Any]:
    """A GTIN's registered product master data (public, as on the consumer page)."""
    _check_gtin(gtin)
    product = trace_names.product_of(session, gtin)
    if product is None:
        raise NotFound(f"no product registered for GTIN {gtin}", field="path.gtin")
    return product.to_json()
