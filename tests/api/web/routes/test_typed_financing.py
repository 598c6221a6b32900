"""Typed financing through the API, on SQLite and PostgreSQL: each kind opened, capped at the
trade's (or warehouse receipt's) value, drawn and repaid in parts, closed; one live financing
per trade or receipt, typed or TradeRegistry's, refused by the contract naming who holds it;
only the opening bank moves its line; a pledged receipt is released when its line closes."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session

from api.db.models import PartyRecord, TradeRecord, utcnow
from api.db.warehouse_models import WarehouseReceiptRecord
from api.services.chain_accounts import party_account
from api.services.financing_history import financing_history
from api.services.lifecycle_chain import ensure_value_declared, minor_units
from ledger_client import ContractReverted, FinancingKind, ReceiptState, party_id
from tests.api.conftest import World, stage_fixtures
from tests.api.factories import Actor
from tests.api.web.routes.test_trade_flow import FLOW_PARTIES, submit
from traceability.trade import samples

world_stage, parties = stage_fixtures("parties", FLOW_PARTIES)

TERMS = {"rate": "0.0385", "days": 90, "secret": "BANK-A-PRIVATE-7731"}
RECEIPT_VALUE = 50_000  # 500.00 in fen


# --- the world: trades and receipts to finance ----------------------------------------------


def _matched(world: World, parties: dict[str, Actor], n: int = 0) -> str:
    terms = samples.ImportTerms(
        order_no=f"TF{n:04d}", logistics_no=f"SFTF{n:04d}", pay_transaction_id=f"APTF{n:04d}"
    )
    trade_id: str = submit(world, parties, samples.import_trade(terms))[0]["tradeId"]
    world.worker.drain()
    return trade_id


def _release(world: World, parties: dict[str, Actor], trade_id: str) -> str:
    released = world.client.post(
        f"/customs/trades/{trade_id}/release", headers=parties["customs"].headers
    )
    assert released.status_code == 200, released.text
    return trade_id


def _released_export(world: World, parties: dict[str, Actor]) -> str:
    exporter = world.actor(samples.EXPORTER[0], ["platform"])
    docs = samples.export_trade()
    signers = {"order": exporter, "payment": parties["payment"],
               "waybill": parties["logistics"], "inventory": exporter}  # fmt: skip
    trade_id = None
    for kind, actor in signers.items():  # the inventory, last, joins them all
        trade_id = world.submit(actor, kind, getattr(docs, kind).to_json_dict())
    assert trade_id is not None
    world.worker.drain()
    return _release(world, parties, trade_id)


def _receipt(world: World, n: int = 0, value: int = RECEIPT_VALUE) -> str:
    """A warehouse receipt issued on chain by the anchorer (as sandan relays one)."""
    receipt_id = hashlib.sha256(f"WR-TF-{n}".encode()).digest()
    record_hash = hashlib.sha256(f"record {n}".encode()).digest()
    world.ledger.lifecycle().issue_warehouse_receipt(
        receipt_id, party_id("WH-TF"), record_hash, value
    )
    return receipt_id.hex()


def _subject(world: World, parties: dict[str, Actor], kind: str) -> tuple[str, Decimal]:
    """A subject ``kind`` may finance, and its value."""
    if kind == "warehouseReceipt":
        return _receipt(world), Decimal(RECEIPT_VALUE) / 100
    if kind == "order":
        trade_id = _matched(world, parties)
    elif kind == "receivable":
        trade_id = _release(world, parties, _matched(world, parties))
    else:
        trade_id = _released_export(world, parties)
    trade = world.client.get(f"/trades/{trade_id}", headers=parties["customs"].headers).json()
    return trade_id, Decimal(trade["customsValue"])


# --- calls ----------------------------------------------------------------------------------


def _open(
    world: World, bank: Actor, kind: str, subject: str, limit: Decimal | str, **extra: Any
) -> Any:
    body = {"kind": kind, "subject": subject, "limit": f"{limit}", "currency": "CNY",
            "terms": TERMS} | extra  # fmt: skip
    return world.client.post("/banks/financings", json=body, headers=bank.headers)


def _move(world: World, bank: Actor, financing_id: int, step: str, amount: str) -> Any:
    return world.client.post(
        f"/banks/financings/{financing_id}/{step}", json={"amount": amount}, headers=bank.headers
    )


def _close(world: World, bank: Actor, financing_id: int) -> Any:
    return world.client.post(f"/banks/financings/{financing_id}/close", headers=bank.headers)


def _legacy(world: World, bank: Actor, trade_id: str) -> Any:
    return world.client.post(
        f"/banks/trades/{trade_id}/financing",
        json={"terms": {"amount": "1.00", "rate": "0.05"}},
        headers=bank.headers,
    )


def _receipt_state(world: World, receipt_id: str) -> ReceiptState:
    receipt = world.ledger.lifecycle().warehouse_receipt_of(bytes.fromhex(receipt_id))
    assert receipt is not None
    return receipt.state


def _account(world: World, code: str) -> Any:
    with Session(world.runtime.engine) as session:
        party = session.get(PartyRecord, code)
        assert party is not None
        return party_account(session=session, runtime=world.runtime, party=party)


# --- each kind's whole life ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["order", "receivable", "taxRefundPledge", "warehouseReceipt"])
def test_each_kind_is_capped_drawn_repaid_in_parts_and_closed(
    world: World, parties: dict[str, Actor], kind: str
) -> None:
    bank = parties["bank_a"]
    subject, value = _subject(world, parties, kind)
    over = _open(world, bank, kind, subject, value + Decimal("0.01"))
    assert over.status_code == 409, over.text
    assert over.json()["error"] == "over_value"
    assert over.json()["available"] == f"{value:.2f}"
    assert f"{value + Decimal('0.01'):.2f}" in over.json()["message"]

    opened = _open(world, bank, kind, subject, value)
    assert opened.status_code == 201, opened.text
    line = opened.json()
    financing_id = line["financingId"]
    assert (line["kind"], line["limit"], line["outstanding"], line["state"]) == (
        kind, f"{value:.2f}", "0.00", "open"
    )  # fmt: skip
    assert line["chain"]["open"] is True
    assert line["chain"]["limit"] == f"{value:.2f}"
    assert line["terms"] == TERMS
    if kind == "warehouseReceipt":
        assert _receipt_state(world, subject) is ReceiptState.PLEDGED
        assert line["chain"]["receiptState"] == "Pledged"

    for amount in ("100.00", "150.00"):
        drawn = _move(world, bank, financing_id, "drawdowns", amount)
        assert drawn.status_code == 200, drawn.text
    assert (drawn.json()["drawn"], drawn.json()["outstanding"]) == ("250.00", "250.00")
    too_much = _move(world, bank, financing_id, "drawdowns", f"{value - 250 + Decimal('0.01')}")
    assert too_much.status_code == 409
    assert too_much.json()["error"] == "over_limit"
    assert too_much.json()["drawn"] == "250.00"

    repaid = _move(world, bank, financing_id, "repayments", "100.00")
    assert repaid.json()["outstanding"] == "150.00"
    over_repaid = _move(world, bank, financing_id, "repayments", "150.01")
    assert over_repaid.status_code == 409
    assert (over_repaid.json()["error"], over_repaid.json()["outstanding"]) == (
        "over_outstanding", "150.00"
    )  # fmt: skip
    early = _close(world, bank, financing_id)
    assert early.status_code == 409
    assert early.json()["error"] == "outstanding"
    assert _move(world, bank, financing_id, "repayments", "150.00").status_code == 200

    closed = _close(world, bank, financing_id)
    assert closed.status_code == 200, closed.text
    line = closed.json()
    assert (line["state"], line["outstanding"], line["drawn"]) == ("closed", "0.00", "250.00")
    assert line["chain"]["open"] is False
    assert line["chain"]["outstanding"] == "0.00"
    assert [(m["kind"], m["amount"], m["outstanding"]) for m in line["movements"]] == [
        ("opened", None, "0.00"),
        ("drawdown", "100.00", "100.00"),
        ("drawdown", "150.00", "250.00"),
        ("repayment", "100.00", "150.00"),
        ("repayment", "150.00", "0.00"),
        ("closed", None, "0.00"),
    ]
    assert _close(world, bank, financing_id).json()["error"] == "financing_closed"
    if kind == "warehouseReceipt":
        assert _receipt_state(world, subject) is ReceiptState.ISSUED
    # Freed: another bank may finance the same subject now.
    again = _open(world, parties["bank_b"], kind, subject, "10.00")
    assert again.status_code == 201, again.text


def test_the_cap_is_the_declared_value_less_accepted_returns(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = _release(world, parties, _matched(world, parties))
    with Session(world.runtime.engine) as session:
        trade = session.get(TradeRecord, trade_id)
        assert trade is not None
        ensure_value_declared(session=session, runtime=world.runtime, trade=trade)
        value = Decimal(trade.customs_value or "")
        batch, position = trade.verdict_batch, trade.verdict_position
        assert batch is not None
        assert position is not None
        # An accepted return of 100.00, on chain and mirrored (as the returns service does).
        world.ledger.lifecycle().record_returns(batch, {position: (10_000, b"\x01" * 32)})
        trade.returned_value = "100.00"
        session.add(trade)
        session.commit()
    available = value - 100
    refused = _open(world, parties["bank_a"], "receivable", trade_id, available + Decimal("0.01"))
    assert refused.status_code == 409
    body = refused.json()
    assert (body["value"], body["returned"], body["available"]) == (
        f"{value:.2f}", "100.00", f"{available:.2f}"
    )  # fmt: skip
    opened = _open(world, parties["bank_a"], "receivable", trade_id, available)
    assert opened.status_code == 201, opened.text


# --- one live financing per trade or receipt -------------------------------------------------


def _refused_naming_bank_a(response: Any) -> None:
    assert response.status_code == 409, response.text
    assert response.json()["error"] == "already_financed"
    assert response.json()["financedBy"] == "BANK-A"
    assert "BANK-A-PRIVATE" not in response.text
    assert "0.05" not in response.text


def test_a_second_live_financing_is_refused_by_the_contract_naming_the_holder(
    world: World, parties: dict[str, Actor]
) -> None:
    bank_a, bank_b = parties["bank_a"], parties["bank_b"]
    typed = _release(world, parties, _matched(world, parties, 1))
    assert _open(world, bank_a, "receivable", typed, "100.00").status_code == 201
    # typed vs typed, through the API and straight to the contract.
    _refused_naming_bank_a(_open(world, bank_b, "receivable", typed, "50.00"))
    _refused_naming_bank_a(_open(world, bank_a, "receivable", typed, "50.00"))
    with Session(world.runtime.engine) as session:
        trade = session.get(TradeRecord, typed)
        assert trade is not None
        assert trade.verdict_batch is not None
        batch, position = trade.verdict_batch, trade.verdict_position
    client = world.ledger.lifecycle_as(_account(world, "BANK-B"))
    with pytest.raises(ContractReverted) as refused:
        client.open_trade_financing(FinancingKind.RECEIVABLE, batch, position, 1, b"\x02" * 32)
    assert refused.value.error_name == "LifecycleRegistryTradeFinanced"
    # typed vs legacy: the TradeRegistry route is refused while a typed line is live, and
    # so is the contract itself, whoever calls it.
    _refused_naming_bank_a(_legacy(world, bank_b, typed))
    with pytest.raises(ContractReverted) as refused:
        world.ledger.register_financing(batch, position, b"\x06" * 32, _account(world, "BANK-B"))
    assert (refused.value.error_name, refused.value.args) == (
        "TradeRegistryTradeTypedFinanced",
        (batch, position),
    )

    # legacy vs typed: the LifecycleRegistry refuses while TradeRegistry's financing is live.
    legacy = _matched(world, parties, 2)
    registered = world.client.post(
        f"/banks/trades/{legacy}/financing",
        json={"terms": {"amount": "1.00", "rate": "0.05"}},
        headers=bank_a.headers,
    )
    assert registered.status_code == 201, registered.text
    _refused_naming_bank_a(_open(world, bank_b, "order", legacy, "10.00"))
    with Session(world.runtime.engine) as session:
        trade = session.get(TradeRecord, legacy)
        assert trade is not None
        assert trade.verdict_batch is not None
        batch, position = trade.verdict_batch, trade.verdict_position
        ensure_value_declared(session=session, runtime=world.runtime, trade=trade)
    with pytest.raises(ContractReverted) as refused:
        client.open_trade_financing(FinancingKind.ORDER, batch, position, 1, b"\x03" * 32)
    assert refused.value.error_name == "LifecycleRegistryLegacyFinancing"
    discharged = world.client.post(
        f"/banks/trades/{legacy}/financing/discharge", headers=bank_a.headers
    )
    assert discharged.status_code == 200, discharged.text
    assert _open(world, bank_b, "order", legacy, "10.00").status_code == 201

    # A pledged receipt takes no second pledge.
    receipt = _receipt(world, 7)
    assert _open(world, bank_a, "warehouseReceipt", receipt, "10.00").status_code == 201
    _refused_naming_bank_a(_open(world, bank_b, "warehouseReceipt", receipt, "10.00"))


def test_only_the_opening_bank_draws_repays_closes_or_reads_its_line(
    world: World, parties: dict[str, Actor]
) -> None:
    bank_a, bank_b = parties["bank_a"], parties["bank_b"]
    trade_id = _release(world, parties, _matched(world, parties))
    financing_id = _open(world, bank_a, "receivable", trade_id, "300.00").json()["financingId"]
    assert _move(world, bank_a, financing_id, "drawdowns", "100.00").status_code == 200
    attempts = [
        _move(world, bank_b, financing_id, "drawdowns", "1.00"),
        _move(world, bank_b, financing_id, "repayments", "1.00"),
        _close(world, bank_b, financing_id),
    ]
    for refused in attempts:
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"] == "not_financier"
        assert refused.json()["financedBy"] == "BANK-A"
        assert refused.json()["contractError"] == "LifecycleRegistryNotFinancier"
    peek = world.client.get(f"/banks/financings/{financing_id}", headers=bank_b.headers)
    assert peek.status_code == 403
    assert "BANK-A-PRIVATE" not in peek.text
    own = world.client.get(f"/banks/financings/{financing_id}", headers=bank_a.headers).json()
    assert (own["drawn"], own["outstanding"]) == ("100.00", "100.00")  # nothing moved
    # The contract, not only the service, holds the opening bank to its limit and balance.
    holder = world.ledger.lifecycle_as(_account(world, "BANK-A"))
    for call, error in (
        (lambda: holder.drawdown(financing_id, 20_001), "LifecycleRegistryDrawdownExceedsLimit"),
        (lambda: holder.repay(financing_id, 10_001), "LifecycleRegistryRepayExceedsOutstanding"),
        (lambda: holder.close_financing(financing_id), "LifecycleRegistryFinancingOutstanding"),
    ):
        with pytest.raises(ContractReverted) as refused_on_chain:
            call()
        assert refused_on_chain.value.error_name == error
    platform = world.client.get(
        f"/banks/financings/{financing_id}", headers=parties["platform"].headers
    )
    assert platform.status_code == 403  # not a bank


def test_financing_is_refused_on_an_unmatched_or_cancelled_trade(
    world: World, parties: dict[str, Actor]
) -> None:
    bank = parties["bank_a"]
    mismatched = submit(world, parties, samples.short_payment_trade())[0]["tradeId"]
    world.worker.drain()
    refused = _open(world, bank, "order", mismatched, "1.00")
    assert (refused.status_code, refused.json()["error"]) == (409, "not_matched")
    pending = world.submit(parties["platform"], "order",
                           samples.import_trade(samples.ImportTerms(order_no="TFPEND"))
                           .order.to_json_dict())  # fmt: skip
    assert pending is not None
    refused = _open(world, bank, "order", pending, "1.00")
    assert (refused.status_code, refused.json()["error"]) == (409, "not_matched")
    unknown = _open(world, bank, "order", "0" * 64, "1.00")
    assert (unknown.status_code, unknown.json()["field"]) == (404, "subject")

    # Customs cancels the inventory on chain (撤单); the trade's row mirrors it.
    trade_id = _release(world, parties, _matched(world, parties))
    with Session(world.runtime.engine) as session:
        trade = session.get(TradeRecord, trade_id)
        assert trade is not None
        assert trade.verdict_batch is not None
        ensure_value_declared(session=session, runtime=world.runtime, trade=trade)
        batch, position = trade.verdict_batch, trade.verdict_position
        customs = world.ledger.lifecycle_as(_account(world, "GACC-HZ"))
        customs.cancel_trades(batch, {position: b"\x04" * 32})
        trade.cancelled_at = utcnow()
        session.add(trade)
        session.commit()
    refused = _open(world, bank, "receivable", trade_id, "1.00")
    assert (refused.status_code, refused.json()["error"]) == (409, "trade_cancelled")
    client = world.ledger.lifecycle_as(_account(world, "BANK-A"))
    with pytest.raises(ContractReverted) as on_chain:
        client.open_trade_financing(FinancingKind.RECEIVABLE, batch, position, 1, b"\x05" * 32)
    assert on_chain.value.error_name == "LifecycleRegistryTradeCancelled"
    # No legacy financing, no settlement: sandan refuses from its mirror, and TradeRegistry
    # itself, asked straight, follows the cancellation.
    for refused in (
        _legacy(world, bank, trade_id),
        world.client.post(
            f"/banks/trades/{trade_id}/settlement",
            json={"settlementRef": "FX-1"},
            headers=bank.headers,
        ),
    ):
        assert (refused.status_code, refused.json()["error"]) == (409, "trade_cancelled")
    account = _account(world, "BANK-A")
    for attempt in (
        lambda: world.ledger.register_financing(batch, position, b"\x09" * 32, account),
        lambda: world.ledger.confirm_settlement(batch, position, b"\x0a" * 32, account),
    ):
        with pytest.raises(ContractReverted) as on_chain:
            attempt()
        assert (on_chain.value.error_name, on_chain.value.args) == (
            "TradeRegistryTradeCancelled",
            (batch, position),
        )


@pytest.mark.parametrize(
    ("kind", "prepare", "code"),
    [
        ("receivable", "matched", "not_released"),
        ("order", "released", "already_released"),
        ("taxRefundPledge", "released", "not_export"),
    ],
)
def test_each_kind_is_refused_on_a_trade_not_at_its_stage(
    world: World, parties: dict[str, Actor], kind: str, prepare: str, code: str
) -> None:
    trade_id = _matched(world, parties)
    if prepare == "released":
        _release(world, parties, trade_id)
    refused = _open(world, parties["bank_a"], kind, trade_id, "1.00")
    assert (refused.status_code, refused.json()["error"]) == (409, code)


def test_bad_requests_name_their_field(world: World, parties: dict[str, Actor]) -> None:
    bank = parties["bank_a"]
    trade_id = _release(world, parties, _matched(world, parties))
    cases = [
        ({"limit": "abc"}, 422, "limit"),
        ({"currency": "USD"}, 409, "currency"),  # the trade is in CNY
        ({"currency": "XXX"}, 422, "currency"),
        ({"kind": "warehouseReceipt", "subject": "not-hex"}, 422, "subject"),
        ({"kind": "warehouseReceipt", "subject": "ab" * 32}, 404, "subject"),  # never issued
        ({"verdictHash": "0" * 64}, 409, "verdictHash"),
    ]
    for changes, status, field in cases:
        body = {"kind": "receivable", "subject": trade_id, "limit": "1.00",
                "currency": "CNY", "terms": {}} | changes  # fmt: skip
        response = world.client.post("/banks/financings", json=body, headers=bank.headers)
        assert response.status_code == status, (changes, response.text)
        found = response.json().get("field") or str(response.json().get("errors"))
        assert field in found, (changes, response.text)
    assert _move(world, bank, 999, "drawdowns", "1.00").status_code == 404
    assert _move(world, bank, 1, "drawdowns", "1.001").status_code == 422
    huge = world.client.get(f"/banks/financings/{2**40}", headers=bank.headers)
    assert huge.status_code == 422
    not_bank = _open(world, parties["platform"], "receivable", trade_id, "1.00")
    assert not_bank.status_code == 403


def test_the_history_and_the_trade_show_the_typed_steps(
    world: World, parties: dict[str, Actor]
) -> None:
    bank = parties["bank_a"]
    trade_id = _release(world, parties, _matched(world, parties))
    financing_id = _open(world, bank, "receivable", trade_id, "200.00").json()["financingId"]
    trade = world.client.get(f"/trades/{trade_id}", headers=bank.headers).json()
    assert trade["financed"] is True
    _move(world, bank, financing_id, "drawdowns", "120.00")
    _move(world, bank, financing_id, "repayments", "120.00")
    assert _close(world, bank, financing_id).status_code == 200
    assert world.client.get(f"/trades/{trade_id}", headers=bank.headers).json()["financed"] is False
    with Session(world.runtime.engine) as session:
        record = session.get(TradeRecord, trade_id)
        assert record is not None
        history = financing_history(session=session, runtime=world.runtime, trade=record)
    assert [(e.kind, e.financing_kind, e.amount, e.outstanding) for e in history] == [
        ("opened", "receivable", "200.00", None),
        ("drawdown", "receivable", "120.00", "120.00"),
        ("repayment", "receivable", "120.00", "0.00"),
        ("closed", "receivable", None, None),
    ]
    assert {e.bank_code for e in history} == {"BANK-A"}
    timeline = world.client.get(f"/trades/{trade_id}/timeline", headers=bank.headers).json()
    assert [e["title"] for e in timeline["entries"] if e["kind"] == "typed_financing"] == [
        "receivable financing opened: 200.00 142",
        "receivable financing drawdown: 120.00 142",
        "receivable financing repayment: 120.00 142",
        "receivable financing closed",
    ]
    inbox = world.client.get("/inbox", headers=parties["platform"].headers).json()
    kinds = [n["kind"] for n in inbox["data"]]
    assert "trade.financed" in kinds
    assert "trade.financing_closed" in kinds
    assert "BANK-A-PRIVATE" not in str(inbox)
    assert minor_units(Decimal("1.00"), "142") == 100


def test_a_retried_movement_under_the_same_reference_moves_nothing_twice(
    world: World, parties: dict[str, Actor]
) -> None:
    bank = parties["bank_a"]
    trade_id = _release(world, parties, _matched(world, parties))
    financing_id = _open(world, bank, "receivable", trade_id, "300.00").json()["financingId"]
    path = f"/banks/financings/{financing_id}/drawdowns"
    body = {"amount": "100.00", "reference": "DD-1"}
    first = world.client.post(path, json=body, headers=bank.headers)
    assert first.status_code == 200, first.text
    again = world.client.post(path, json=body, headers=bank.headers)
    assert (again.status_code, again.json()["error"]) == (409, "duplicate_movement")
    assert again.json()["txHash"] == first.json()["movements"][-1]["txHash"]
    repaid = world.client.post(
        f"/banks/financings/{financing_id}/repayments", json=body, headers=bank.headers
    )  # one reference names one movement of the line, whatever its kind
    assert repaid.status_code == 409
    other = world.client.post(path, json={**body, "reference": "DD-2"}, headers=bank.headers)
    line = other.json()
    assert (line["drawn"], [m["reference"] for m in line["movements"]]) == (
        "200.00", [None, "DD-1", "DD-2"]
    )  # fmt: skip
    bad = world.client.post(path, json={**body, "reference": "two words"}, headers=bank.headers)
    assert (bad.status_code, bad.json()["field"]) == (422, "reference")


def test_a_receipt_pledge_is_in_the_currency_the_warehouse_valued_it_in(
    world: World, parties: dict[str, Actor]
) -> None:
    receipt_id = _receipt(world, 9)
    with Session(world.runtime.engine) as session:  # as the warehouse service records it
        session.add(
            WarehouseReceiptRecord(
                receipt_id=receipt_id, warehouse_code=parties["logistics"].code,
                receipt_no="WR-9", owner_code=parties["platform"].code, gtin="06901234567892",
                quantity="10", value="500.00", currency="502", chain_value=RECEIPT_VALUE,
                record="{}", record_hash="0" * 64, issue_tx="0x" + "0" * 64, issue_block=1,
                issued_at=utcnow(),
            )
        )  # fmt: skip
        session.commit()
    bank = parties["bank_a"]
    refused = _open(world, bank, "warehouseReceipt", receipt_id, "100.00")
    assert (refused.status_code, refused.json()["error"]) == (409, "currency_mismatch")
    assert refused.json()["field"] == "currency"
    opened = _open(world, bank, "warehouseReceipt", receipt_id, "100.00", currency="USD")
    assert opened.status_code == 201, opened.text
    assert opened.json()["currency"] == "502"
