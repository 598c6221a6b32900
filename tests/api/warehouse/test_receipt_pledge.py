"""A warehouse receipt issued through the warehouse's route, pledged through the bank's typed
financing route (仓单质押): valued in the warehouse's currency, capped at its value, Pledged
(so the warehouse cannot cancel it) until the line is closed, then Issued again."""

from __future__ import annotations

from tests.api.conftest import World, stage_fixtures
from tests.api.warehouse import events as ev
from tests.api.warehouse.consignment import CONSIGNMENT, WAREHOUSE, Consignment

world_stage, consignment = stage_fixtures("consignment", CONSIGNMENT)


def test_a_receipt_issued_by_its_warehouse_is_pledged_and_released_by_a_typed_line(
    world: World, consignment: Consignment
) -> None:
    issued = world.client.post(
        f"/warehouses/{WAREHOUSE}/receipts",
        json={"receiptNo": "WR-PLEDGE-1", "gtin": ev.GTIN_A, "lot": ev.LOT_A, "quantity": "100",
              "value": "960.00", "currency": "502", "owner": "3607960E05"},
        headers=consignment.warehouse.headers,
    )  # fmt: skip
    assert issued.status_code == 201, issued.text
    receipt_id = issued.json()["receiptId"]
    bank = consignment.bank.headers
    pledge = {"kind": "warehouseReceipt", "subject": receipt_id, "limit": "960.00",
              "currency": "USD", "terms": {"rate": "0.05"}}  # fmt: skip
    wrong_currency = world.client.post(
        "/banks/financings", json={**pledge, "currency": "CNY"}, headers=bank
    )
    assert (wrong_currency.status_code, wrong_currency.json()["error"]) == (
        409,
        "currency_mismatch",
    )
    over = world.client.post("/banks/financings", json={**pledge, "limit": "960.01"}, headers=bank)
    assert (over.status_code, over.json()["available"]) == (409, "960.00")
    opened = world.client.post("/banks/financings", json=pledge, headers=bank)
    assert opened.status_code == 201, opened.text
    financing_id = opened.json()["financingId"]
    show = f"/warehouses/{WAREHOUSE}/receipts/{receipt_id}"
    warehouse = consignment.warehouse.headers
    assert world.client.get(show, headers=warehouse).json()["chain"]["state"] == "Pledged"
    cancel = world.client.post(f"{show}/cancel", json={"reason": "sold"}, headers=warehouse)
    assert (cancel.status_code, cancel.json()["error"]) == (409, "receipt_pledged")

    line = f"/banks/financings/{financing_id}"
    assert world.client.post(
        f"{line}/drawdowns", json={"amount": "500.00"}, headers=bank
    ).is_success
    assert world.client.post(
        f"{line}/repayments", json={"amount": "500.00"}, headers=bank
    ).is_success
    closed = world.client.post(f"{line}/close", headers=bank)
    assert closed.json()["chain"]["receiptState"] == "Issued"
    assert world.client.get(show, headers=warehouse).json()["chain"]["state"] == "Issued"
    cancel = world.client.post(f"{show}/cancel", json={"reason": "sold"}, headers=warehouse)
    assert cancel.status_code == 200, cancel.text
