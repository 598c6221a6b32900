"""Names for places and products: what the consumer page shows instead of GLNs and varieties.

``party_location`` gains a place's name, address and region in both languages
(``PUT /parties/{code}/locations`` takes location objects); the new ``product``
table holds a GTIN's product master data registered by its brand owner
(``PUT /products/{gtin}``). Presentation only: nothing hashed or anchored changes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The lengths as this revision made them (a migration must not follow later constants).
_LOCATION_COLUMNS = (
    ("name", 120),
    ("name_zh", 120),
    ("address", 300),
    ("address_zh", 300),
    ("region", 120),
)


def upgrade() -> None:
    """Add the place columns and the product table where missing (a database made from the
    models may have them already)."""
    inspector = sa.inspect(op.get_bind())
    present = {c["name"] for c in inspector.get_columns("party_location")}
    for name, length in _LOCATION_COLUMNS:
        if name not in present:
            op.add_column("party_location", sa.Column(name, sa.String(length), nullable=True))
    if "product" in inspector.get_table_names():
        return
    op.create_table(
        "product",
        sa.Column("gtin", sa.String(length=14), primary_key=True),
        sa.Column("party_code", sa.String(length=64), sa.ForeignKey("party.code"), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_zh", sa.String(length=120), nullable=True),
        sa.Column("brand", sa.String(length=120), nullable=True),
        sa.Column("brand_zh", sa.String(length=120), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_product_party_code", "product", ["party_code"])


def downgrade() -> None:
    """Drop the product table and the place columns."""
    op.drop_index("ix_product_party_code", table_name="product")
    op.drop_table("product")
    with op.batch_alter_table("party_location") as batch:
        for name, _length in reversed(_LOCATION_COLUMNS):
            batch.drop_column(name)
