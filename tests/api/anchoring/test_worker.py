"""The anchoring worker's batching rules."""

from __future__ import annotations

import json
import secrets

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from api.anchoring.worker import VERDICTS_PER_TRANSACTION
from api.db.models import AnchorBatchRecord, OutboxRecord, PartyKeyRecord, utcnow
from tests.api.conftest import World


def _queue_verdicts(world: World, verdicts: list[tuple[str, str]]) -> None:
    """Outbox rows for ``(tradeId, verdictHash)`` pairs, as the trade linker writes them."""
    with Session(world.runtime.engine) as session:
        for trade_id, digest in verdicts:
            payload = {"tradeId": trade_id, "verdictHash": digest, "matched": True}
            session.add(
                OutboxRecord(
                    kind="verdict",
                    subject=f"{trade_id}:{digest}",
                    lane="verdict",
                    payload=json.dumps(payload),
                    created_at=utcnow(),
                )
            )
        session.commit()


def test_verdicts_go_to_chain_by_the_hundred(world: World) -> None:
    verdicts = {secrets.token_hex(32): secrets.token_hex(32) for _ in range(250)}
    _queue_verdicts(world, list(verdicts.items()))
    world.worker.drain()
    with Session(world.runtime.engine) as session:
        batches = session.exec(
            select(AnchorBatchRecord).where(AnchorBatchRecord.lane == "verdict")
        ).all()
    assert sorted(b.leaf_count for b in batches) == [
        50,
        VERDICTS_PER_TRANSACTION,
        VERDICTS_PER_TRANSACTION,
    ]
    assert {b.state for b in batches} == {"confirmed"}
    for trade_id, digest in list(verdicts.items())[::50]:
        record = world.ledger.trade.trade_of(bytes.fromhex(trade_id))
        assert record.verdict_hash is not None
        assert record.verdict_hash.hex() == digest


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_batch_goes_to_chain_in_outbox_order_whatever_order_the_database_reads(
    world: World,
) -> None:
    first = world.actor("ORDERED01", ["platform"])
    second = world.actor("ORDERED02", ["platform"])
    # SQLite then returns every SELECT without ORDER BY backwards (PostgreSQL returns
    # rows in heap order, which reused space makes any order): a registry multicall
    # read that way would add a key before its party is registered.
    event.listen(
        world.runtime.engine,
        "connect",
        lambda connection, _: connection.execute("PRAGMA reverse_unordered_selects = ON"),
    )
    world.runtime.engine.dispose()
    world.worker.drain()
    with Session(world.runtime.engine) as session:
        keys = session.exec(select(PartyKeyRecord)).all()
    assert {k.key_id for k in keys} == {first.key_id, second.key_id}
    assert all(k.chain_block for k in keys)


def test_a_write_the_contract_refuses_is_set_aside_and_holds_up_nothing(world: World) -> None:
    """One verdict the contract refuses (a zero hash) in a batch of six: the batch is split
    down to that one row, which is set aside with the contract's reason; the five others
    reach the chain, and the worker drains instead of retrying forever."""
    good = {secrets.token_hex(32): secrets.token_hex(32) for _ in range(5)}
    bad_trade = secrets.token_hex(32)
    entries = [*list(good.items())[:3], (bad_trade, "00" * 32), *list(good.items())[3:]]
    _queue_verdicts(world, entries)
    world.worker.drain()
    for trade_id, digest in good.items():
        record = world.ledger.trade.trade_of(bytes.fromhex(trade_id))
        assert record.verdict_hash is not None
        assert record.verdict_hash.hex() == digest
    with Session(world.runtime.engine) as session:
        batches = session.exec(
            select(AnchorBatchRecord).where(AnchorBatchRecord.lane == "verdict")
        ).all()
        refused = [b for b in batches if b.state == "refused"]
        assert len(refused) == 1
        assert refused[0].leaf_count == 1
        assert "TradeRegistryZeroVerdictHash" in (refused[0].refusal or "")
        (row,) = session.exec(
            select(OutboxRecord).where(OutboxRecord.batch_id == refused[0].id)
        ).all()
        assert row.subject.startswith(bad_trade)
        assert {b.state for b in batches} <= {"confirmed", "refused", "split"}
    ready = world.client.get("/ready").json()
    assert ready["checks"]["worker"]["refusedBatches"] == 1
