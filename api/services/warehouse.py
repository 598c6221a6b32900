"""Overseas warehouses (9810 出口海外仓): stock, reconciliation and warehouse receipts (仓单).

A warehouse is a party with the ``warehouse`` role; its code names it in the routes and
its registered locations (GLNs, ``PUT /parties/{code}/locations``) are where its EPCIS
events happen. Its stock per GTIN and lot comes from two sources:

* **declared in**: the released, not cancelled 9810 export inventories (CEB603,
  ``tradeMode`` 9810) whose booking order (CEB303, ``orderType`` W, 海外仓订仓单) was made
  with the warehouse. Neither message has a field for the overseas warehouse; the booking
  is made with it, so its operator fills the order's and inventory's platform slot
  (``ebpCode``: the warehouse's party code or its customs registration code) [I]. Each
  inventory line's ``barCode`` gives the GTIN (8 to 14 digits), and the lot too when it is
  a GS1 element string ``(01)…(10)…`` or a Digital Link; its ``qty`` and ``totalPrice``
  the quantity and value. Read from the stored documents when asked, never copied.
* **the movements**: the warehouse's own EPCIS events (:mod:`api.services.warehouse_ledger`).

on hand = received + returned − shipped − sold − destroyed. A live receipt (issued, not
cancelled) encumbers the quantity it covers: a receipt is refused beyond the unencumbered
stock, and the reconciliation flags stock that left while a receipt covered it.

Who reads a warehouse's stock and reconciliation: the warehouse itself, customs, the
regulator (all of it); the exporter that owns goods there (the GTINs it declared or owns
receipts of); a bank whose financing is live on one of its receipts (those receipts'
GTINs), as the chain says. Anyone else: 403; a code that is no warehouse: 404.
"""

from __future__ import annotations

from api.services.warehouse_declarations import (
    DeclaredLine,
    declarations,
    gtin_and_lot,
    require_warehouse,
    warehouse_id,
)
from api.services.warehouse_receipts import (
    WarehouseReceipt,
    cancel_receipt,
    issue_receipt,
    receipt_of,
    show_receipt,
)
from api.services.warehouse_reconciliation import reconciliation
from api.services.warehouse_stock import stock

__all__ = [
    "DeclaredLine",
    "WarehouseReceipt",
    "cancel_receipt",
    "declarations",
    "gtin_and_lot",
    "issue_receipt",
    "receipt_of",
    "reconciliation",
    "require_warehouse",
    "show_receipt",
    "stock",
    "warehouse_id",
]
