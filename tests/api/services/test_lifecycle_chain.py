"""The shared LifecycleRegistry helpers: minor units, the value declared once, refusals as 409s."""

from __future__ import annotations

import dataclasses
import hashlib
from decimal import Decimal

import pytest
from sqlmodel import Session

from api.db.models import TradeRecord, utcnow
from api.errors import Conflict
from api.services.lifecycle_chain import (
    ensure_value_declared,
    ensure_values_declared,
    from_minor_units,
    lifecycle_conflict,
    minor_units,
)
from ledger_client import ContractReverted, LifecycleRegistryClient
from tests.api.conftest import World


def _h(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


@pytest.mark.parametrize(
    ("amount", "currency", "units"),
    [
        ("12.34", "142", 1234),
        ("12.3", "CNY", 1230),
        ("12.340", "502", 1234),
        ("0.01", "USD", 1),
        ("1500", "116", 1500),
        ("184467440737095516.15", "142", 2**64 - 1),
    ],
)
def test_minor_units_scales_by_the_currency_s_decimals(amount, currency, units) -> None:
    assert minor_units(Decimal(amount), currency) == units
    assert from_minor_units(units, currency) == Decimal(amount)


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("12.345", "142", "amount 12.345 has more than 2 decimal places for currency 142"),
        ("1.5", "JPY", "amount 1.5 has more than 0 decimal places"),
        ("-1", "142", "amount -1 is not a non-negative number"),
        ("NaN", "142", "amount NaN is not a non-negative number"),
        ("Infinity", "502", "amount Infinity is not"),
        ("184467440737095516.16", "142", "amount 184467440737095516.16 is too large"),
        ("1", "999", "currency '999' is not one sandan knows"),
    ],
)
def test_minor_units_refuses_what_the_chain_cannot_hold_exactly(amount, currency, message) -> None:
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        minor_units(Decimal(amount), currency)


def _chain_trade(world: World, label: str, **fields: object) -> TradeRecord:
    """A trade whose matched verdict is recorded on chain, stored with ``fields``."""
    trade = world.ledger.trade
    recorded = trade.record_verdict_batch([_h(label)], [_h(f"{label} verdict")], [True])
    batch = trade.recorded_batch(recorded).batch
    record = TradeRecord(
        trade_id=_h(label).hex(),
        ebp_code="EBP-1",
        order_no=label,
        verdict_batch=batch,
        verdict_position=0,
        updated_at=utcnow(),
        **fields,
    )
    with Session(world.runtime.engine) as session:
        session.add(record)
        session.commit()
        session.refresh(record)
    return record


def test_the_value_is_declared_once_and_mirrored(world: World) -> None:
    record = _chain_trade(world, "declare", customs_value="308.50", currency="142")
    lifecycle = world.runtime.ledger().lifecycle()
    with Session(world.runtime.engine) as session:
        trade = session.get(TradeRecord, record.trade_id)
        assert ensure_value_declared(session=session, runtime=world.runtime, trade=trade) == 30850
        assert trade.chain_value == 30850
    assert lifecycle.trade_life(record.verdict_batch, 0).value == 30850
    with Session(world.runtime.engine) as session:
        trade = session.get(TradeRecord, record.trade_id)
        assert trade.chain_value == 30850
        # The database says it is declared: nothing is sent again.
        start = world.ledger.w3.eth.block_number
        assert ensure_value_declared(session=session, runtime=world.runtime, trade=trade) == 30850
        assert world.ledger.w3.eth.block_number == start


def test_a_value_the_chain_holds_already_is_mirrored_not_redeclared(world: World) -> None:
    record = _chain_trade(world, "mirrored", customs_value="99.00", currency="142")
    # An earlier request declared it and its reply was lost: the chain's value stands.
    world.runtime.ledger().lifecycle().declare_values(record.verdict_batch, {0: 12_345})
    with Session(world.runtime.engine) as session:
        trade = session.get(TradeRecord, record.trade_id)
        assert ensure_value_declared(session=session, runtime=world.runtime, trade=trade) == 12_345
    with Session(world.runtime.engine) as session:
        assert session.get(TradeRecord, record.trade_id).chain_value == 12_345


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"customs_value": None, "currency": "142"}, "no declared customs value"),
        ({"customs_value": "1.005", "currency": "142"}, "more than 2 decimal places"),
        ({"customs_value": "0", "currency": "142"}, "customs value is zero"),
        ({"customs_value": "abc", "currency": "142"}, "is not a number"),
    ],
)
def test_a_trade_without_a_usable_value_is_a_conflict(world: World, fields, message) -> None:
    record = _chain_trade(world, f"bad {message}", **fields)
    with Session(world.runtime.engine) as session:
        trade = session.get(TradeRecord, record.trade_id)
        with pytest.raises(Conflict, match=message) as exc_info:
            ensure_value_declared(session=session, runtime=world.runtime, trade=trade)
        assert exc_info.value.code == "value_not_declared"
        assert exc_info.value.body()["tradeId"] == trade.trade_id
        assert trade.chain_value is None


def test_a_trade_without_an_anchored_verdict_is_a_conflict(world: World) -> None:
    record = TradeRecord(
        trade_id="ab" * 32, ebp_code="E", order_no="O", customs_value="1", currency="142",
        updated_at=utcnow(),
    )  # fmt: skip
    with Session(world.runtime.engine) as session, pytest.raises(Conflict) as exc_info:
        ensure_value_declared(session=session, runtime=world.runtime, trade=record)
    assert exc_info.value.code == "verdict_not_anchored"


def _every_lifecycle_error() -> list[str]:
    from ledger_client.compile import load_artifacts

    abi = load_artifacts()[LifecycleRegistryClient.contract_name].abi
    # The constructor's refusal happens at deployment, never in a request.
    deployment_only = {"LifecycleRegistryZeroTradeRegistry"}
    names = {str(item["name"]) for item in abi if item.get("type") == "error"}
    return sorted(names - deployment_only)


@pytest.mark.parametrize("name", _every_lifecycle_error())
def test_every_lifecycle_refusal_has_its_own_code_and_message(name: str) -> None:
    args = (7, 3, 2, 5)
    conflict = lifecycle_conflict(ContractReverted(name, args))
    assert conflict.status_code == 409
    assert conflict.code not in {"conflict", "chain_refused"}
    assert conflict.code == conflict.code.lower()
    assert " " not in conflict.code
    assert conflict.message
    assert "Lifecycle" not in conflict.message


def test_a_refusal_names_the_trade_and_the_amounts(world: World) -> None:
    record = _chain_trade(world, "refused", customs_value="1.00", currency="142")
    batch = record.verdict_batch
    lifecycle = world.runtime.ledger().lifecycle()
    lifecycle.declare_values(batch, {0: 100})
    with pytest.raises(ContractReverted) as exc_info:
        lifecycle.declare_values(batch, {0: 100})
    conflict = lifecycle_conflict(exc_info.value)
    assert conflict.code == "value_already_declared"
    assert (
        conflict.message
        == f"trade ({batch}, 0) already has value 100 (minor units) declared on chain"
    )
    unknown = lifecycle_conflict(ContractReverted("SomethingElse", ()))
    assert unknown.code == "chain_refused"


def test_the_gateway_gives_the_registry_as_the_anchorer_or_a_party_account(world: World) -> None:
    gateway = world.runtime.ledger()
    assert gateway.lifecycle().account is gateway.anchorer
    assert gateway.lifecycle().address == gateway.deployment.lifecycle_registry.address
    account = gateway.new_party_account([])
    as_party = gateway.lifecycle_as(account)
    assert as_party.account is account
    with pytest.raises(ContractReverted) as exc_info:
        as_party.issue_warehouse_receipt(_h("receipt"), _h("warehouse"), _h("record"), 1)
    assert lifecycle_conflict(exc_info.value).code == "not_authorized_on_chain"


def test_a_netting_s_trades_are_declared_in_one_call_per_verdict_batch(world: World) -> None:
    first = _chain_trade(world, "net a", customs_value="10.00", currency="502")
    second = _chain_trade(world, "net b", customs_value="20.50", currency="502")
    known = _chain_trade(world, "net c", customs_value="7.00", currency="502")
    lifecycle = world.runtime.ledger().lifecycle()
    lifecycle.declare_values(known.verdict_batch, {0: 700})
    start = world.ledger.w3.eth.block_number
    with Session(world.runtime.engine) as session:
        trades = [session.get(TradeRecord, t.trade_id) for t in (first, second, known)]
        declared = ensure_values_declared(session=session, runtime=world.runtime, trades=trades)
    assert declared == {first.trade_id: 1000, second.trade_id: 2050, known.trade_id: 700}
    # Two batches held undeclared trades: two transactions; the third was mirrored.
    assert world.ledger.w3.eth.block_number == start + 2
    with Session(world.runtime.engine) as session:
        assert session.get(TradeRecord, second.trade_id).chain_value == 2050
        again = [session.get(TradeRecord, t.trade_id) for t in (first, second, known)]
        assert ensure_values_declared(session=session, runtime=world.runtime, trades=again) == (
            declared
        )
    assert world.ledger.w3.eth.block_number == start + 2


def test_a_value_declared_between_our_read_and_our_write_stands(world: World, monkeypatch) -> None:
    raced = _chain_trade(world, "raced", customs_value="5.00", currency="142")
    gateway = world.runtime.ledger()
    real = gateway.lifecycle()
    real.declare_values(raced.verdict_batch, {0: 123})  # another request's, reply lost

    class StaleFirstRead(LifecycleRegistryClient):
        reads = 0

        def trade_life(self, batch, position):
            StaleFirstRead.reads += 1
            life = super().trade_life(batch, position)
            return dataclasses.replace(life, value=0) if StaleFirstRead.reads == 1 else life

    stale = StaleFirstRead(gateway.w3, real.address, gateway.anchorer)
    monkeypatch.setattr(gateway, "lifecycle", lambda: stale)
    with Session(world.runtime.engine) as session:
        trade = session.get(TradeRecord, raced.trade_id)
        assert ensure_value_declared(session=session, runtime=world.runtime, trade=trade) == 123
    assert StaleFirstRead.reads == 2
