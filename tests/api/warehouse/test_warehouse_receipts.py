"""Warehouse receipts (仓单): refused beyond the unencumbered stock or with bad fields, issued
on the LifecycleRegistry, pledged by a bank, cancelled only once the pledge is released; the
stock they encumber, and what the reconciliation flags when it leaves anyway."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session

from tests.api.conftest import World, stage_fixtures
from tests.api.factories import Actor
from tests.api.warehouse import events as ev
from tests.api.warehouse.consignment import (
    CONSIGNMENT,
    OTHER_WAREHOUSE,
    WAREHOUSE,
    Consignment,
)
from tests.api.warehouse.consignment import (
    items as _items,
)
from tests.api.warehouse.consignment import (
    stock_of as _stock,
)
from traceability.trade import samples

world_stage, consignment = stage_fixtures("consignment", CONSIGNMENT)


def _receipt(**changes: Any) -> dict[str, Any]:
    body = {
        "receiptNo": "WR-NL-2026-0001",
        "gtin": ev.GTIN_A,
        "lot": ev.LOT_A,
        "quantity": "100",
        "value": "960.00",
        "currency": "502",
        "owner": "3607960E05",
    }
    return body | changes


def _issue(world: World, actor: Actor, body: dict[str, Any], code: str = WAREHOUSE) -> Any:
    return world.client.post(f"/warehouses/{code}/receipts", json=body, headers=actor.headers)


@pytest.mark.parametrize(
    ("changes", "status", "field", "error"),
    [
        ({"quantity": "171"}, 409, "quantity", "exceeds_unencumbered_stock"),  # on hand 170
        ({"quantity": "-5"}, 422, "quantity", None),
        ({"quantity": "0"}, 422, "quantity", None),
        ({"value": "-1.00"}, 422, "value", None),
        ({"value": "9.999"}, 422, "value", None),
        ({"value": "960.50", "currency": "116"}, 422, "value", None),  # the yen has no sen
        ({"currency": "999"}, 422, "value", None),  # no minor unit known: never guessed
        ({"gtin": "06901234123457"}, 422, "gtin", None),  # bad check digit
        ({"owner": "NOBODY"}, 422, "owner", None),
        ({"owner": samples.CARRIER[0]}, 409, "owner", "owner_not_declared"),
        ({"gtin": ev.GTIN_B, "lot": ev.LOT_B}, 409, "owner", "owner_not_declared"),
        ({"lot": "GN2611Z"}, 409, "quantity", "exceeds_unencumbered_stock"),  # no such stock
    ],
)
def test_a_receipt_beyond_the_stock_or_with_bad_fields_is_refused(
    world: World,
    consignment: Consignment,
    changes: dict[str, Any],
    status: int,
    field: str,
    error: str | None,
) -> None:
    answer = _issue(world, consignment.warehouse, _receipt(**changes))
    assert answer.status_code == status, answer.text
    assert answer.json()["field"].endswith(field)
    if error:
        assert answer.json()["error"] == error


@pytest.mark.parametrize("issuer", ["other_warehouse", "exporter", "bank"])
def test_only_the_warehouse_issues_its_receipts(
    world: World, consignment: Consignment, issuer: str
) -> None:
    answer = _issue(world, getattr(consignment, issuer), _receipt())
    assert answer.status_code == 403, answer.text


def _live_receipt(world: World, quantity: str) -> str:
    """A live receipt over lot A, as the chain would have recorded it (no chain asked)."""
    from api.db.models import utcnow
    from api.db.warehouse_models import WarehouseReceiptRecord

    receipt_id = "ab" * 32
    with Session(world.runtime.engine) as session:
        session.add(
            WarehouseReceiptRecord(
                receipt_id=receipt_id, warehouse_code=WAREHOUSE, receipt_no="WR-TEST-1",
                owner_code="3607960E05", gtin=ev.GTIN_A, lot=ev.LOT_A, quantity=quantity,
                value="960.00", currency="502", chain_value=96000, record="{}",
                record_hash="cd" * 32, issue_tx="0x" + "ef" * 32, issue_block=1,
                issued_at=utcnow(),
            )
        )  # fmt: skip
        session.commit()
    return receipt_id


def test_stock_under_a_live_receipt_is_encumbered(world: World, consignment: Consignment) -> None:
    _live_receipt(world, "100")
    item = _items(_stock(world, consignment.warehouse))[ev.GTIN_A, ev.LOT_A]
    assert (item["onHand"], item["encumbered"], item["unencumbered"]) == ("170", "100", "70")
    answer = _issue(world, consignment.warehouse, _receipt(receiptNo="WR-2", quantity="71"))
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"] == "exceeds_unencumbered_stock"
    # The owner reads its receipt's goods; so may the exporter (it is the owner here).
    assert set(_items(_stock(world, consignment.exporter))) == {(ev.GTIN_A, ev.LOT_A)}


def test_shipping_out_stock_under_a_receipt_is_flagged_with_the_receipt_and_the_events(
    world: World, consignment: Consignment
) -> None:
    receipt_id = _live_receipt(world, "170")
    out = ev.event(ev.WAREHOUSE_EVENTS, "shipping")
    out["eventID"] = "urn:uuid:7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
    out["eventTime"] = "2026-12-03T08:00:00.000+01:00"
    out["quantityList"][0]["quantity"] = 5
    actor = consignment.warehouse
    response = world.client.post(
        "/events", json=actor.envelope("epcis-event", out), headers=actor.headers
    )
    assert response.status_code == 201, response.text
    answer = world.client.get(f"/warehouses/{WAREHOUSE}/reconciliation", headers=actor.headers)
    flagged = [d for d in answer.json()["differences"] if d["kind"] == "encumbered_stock_moved"]
    assert len(flagged) == 1, answer.json()
    (difference,) = flagged
    assert (difference["expected"], difference["actual"]) == ("170", "165")
    assert [r["receiptId"] for r in difference["receipts"]] == [receipt_id]
    assert response.json()["eventHash"] in [e["eventHash"] for e in difference["events"]]


def _bank_lifecycle(world: World, bank: Actor) -> Any:
    from api.db.models import PartyRecord
    from api.services.chain_accounts import party_account

    with Session(world.runtime.engine) as session:
        party = session.get(PartyRecord, bank.code)
        assert party is not None
        account = party_account(session=session, runtime=world.runtime, party=party)
    return world.runtime.ledger().lifecycle_as(account)


def _show(world: World, actor: Actor, receipt_id: str) -> Any:
    return world.client.get(f"/warehouses/{WAREHOUSE}/receipts/{receipt_id}", headers=actor.headers)


def test_a_receipt_is_issued_on_chain_pledged_and_cancelled_only_once_released(
    world: World, consignment: Consignment
) -> None:
    from api.services.warehouse import receipt_of, warehouse_id
    from traceability import content_hash

    answer = _issue(world, consignment.warehouse, _receipt())
    assert answer.status_code == 201, answer.text
    issued = answer.json()
    receipt_id = issued["receiptId"]
    assert issued["chain"]["state"] == "Issued"
    assert issued["chain"]["value"] == 96000  # 960.00 USD in cents
    assert issued["chain"]["recordHash"] == issued["recordHash"]
    assert issued["recordHash"] == content_hash(issued["record"]).hex()
    assert issued["chain"]["warehouseId"] == warehouse_id(WAREHOUSE).hex()
    again = _issue(world, consignment.warehouse, _receipt())
    assert again.status_code == 409, again.text
    assert again.json()["error"] == "receipt_exists"
    item = _items(_stock(world, consignment.warehouse))[ev.GTIN_A, ev.LOT_A]
    assert (item["encumbered"], item["unencumbered"]) == ("100", "70")
    with Session(world.runtime.engine) as session:
        receipt = receipt_of(session, receipt_id)
    assert (receipt.owner_code, receipt.quantity, receipt.chain_value) == (
        "3607960E05", Decimal(100), 96000,
    )  # fmt: skip

    # The bank pledges it (the financing helper's route does this through its account).
    assert _stock(world, consignment.bank).status_code == 403
    bank_chain = _bank_lifecycle(world, consignment.bank)
    opened = bank_chain.open_receipt_financing(bytes.fromhex(receipt_id), 50000, b"\x01" * 32)
    financing_id = bank_chain.financing_id(opened)
    assert _show(world, consignment.warehouse, receipt_id).json()["chain"]["state"] == "Pledged"
    assert set(_items(_stock(world, consignment.bank))) == {(ev.GTIN_A, ev.LOT_A)}
    assert _show(world, consignment.bank, receipt_id).status_code == 200
    assert _show(world, consignment.outsider, receipt_id).status_code == 403

    cancel = f"/warehouses/{WAREHOUSE}/receipts/{receipt_id}/cancel"
    refused = world.client.post(
        cancel, json={"reason": "goods released"}, headers=consignment.warehouse.headers
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "receipt_pledged"
    assert _items(_stock(world, consignment.warehouse))[ev.GTIN_A, ev.LOT_A]["encumbered"] == "100"

    bank_chain.close_financing(financing_id)
    other = world.client.post(
        f"/warehouses/{OTHER_WAREHOUSE}/receipts/{receipt_id}/cancel",
        json={"reason": "not mine"},
        headers=consignment.other_warehouse.headers,
    )
    assert other.status_code == 404, other.text
    done = world.client.post(
        cancel, json={"reason": "goods released"}, headers=consignment.warehouse.headers
    )
    assert done.status_code == 200, done.text
    assert done.json()["chain"]["state"] == "Cancelled"
    assert done.json()["cancelReason"] == "goods released"
    item = _items(_stock(world, consignment.warehouse))[ev.GTIN_A, ev.LOT_A]
    assert (item["encumbered"], item["unencumbered"]) == ("0", "170")


def test_another_warehouse_may_not_cancel_or_issue_on_the_warehouse(
    world: World, consignment: Consignment
) -> None:
    issued = _issue(world, consignment.warehouse, _receipt()).json()
    cancel = world.client.post(
        f"/warehouses/{WAREHOUSE}/receipts/{issued['receiptId']}/cancel",
        json={"reason": "hostile"},
        headers=consignment.other_warehouse.headers,
    )
    assert cancel.status_code == 403, cancel.text
    assert cancel.json()["error"] == "not_the_warehouse"
    assert _show(world, consignment.warehouse, issued["receiptId"]).json()["chain"]["state"] == (
        "Issued"
    )
    unknown = _show(world, consignment.warehouse, "12" * 32)
    assert unknown.status_code == 404
    assert unknown.json()["field"] == "receiptId"
