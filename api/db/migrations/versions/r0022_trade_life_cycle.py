"""The columns a trade's life after release shares across returns, customs receipts, FX
settlement and the life-cycle registry.

- ``invt_no``: the inventory number customs assigned (CEB622/CEB604 receipt);
- ``customs_status``, ``customs_status_note``, ``customs_status_at``: the latest customs
  receipt status code (入库, 放行, 查验, 退单 ...) and its note;
- ``cancelled_at``, ``cancel_tx``: the inventory cancellation (撤单) and its transaction;
- ``returned_value``, ``return_state``: the accepted returns so far (decimal, in the trade's
  currency) and ``partial`` or ``whole``;
- ``fx_settled_value``: foreign exchange settled on the trade so far, in its currency;
- ``chain_value``: the value declared for the trade on the LifecycleRegistry, in minor units
  (fen, cents), against which the chain caps returns, settlements and financing.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("invt_no", sa.String(32)),
    ("customs_status", sa.String(8)),
    ("customs_status_note", sa.Text()),
    ("customs_status_at", sa.DateTime(timezone=True)),
    ("cancelled_at", sa.DateTime(timezone=True)),
    ("cancel_tx", sa.String(66)),
    ("returned_value", sa.String(32)),
    ("return_state", sa.String(8)),
    ("fx_settled_value", sa.String(32)),
    ("chain_value", sa.BigInteger()),
)


def upgrade() -> None:
    """Add each column where it is missing, and index the inventory number."""
    inspector = sa.inspect(op.get_bind())
    present = {column["name"] for column in inspector.get_columns("trade")}
    for name, kind in _COLUMNS:
        if name not in present:
            op.add_column("trade", sa.Column(name, kind, nullable=True))
    indexes = {index["name"] for index in inspector.get_indexes("trade")}
    if "ix_trade_invt_no" not in indexes:
        op.create_index("ix_trade_invt_no", "trade", ["invt_no"])


def downgrade() -> None:
    """Drop the index and the columns."""
    op.drop_index("ix_trade_invt_no", table_name="trade")
    for name, _kind in reversed(_COLUMNS):
        op.drop_column("trade", name)
