"""The anchoring worker's batching rules."""

from __future__ import annotations

import json
import secrets

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from api.anchoring.lanes import VERDICT
from api.anchoring.worker import AnchorWorker, worker_kinds
from api.db.models import AnchorBatchRecord, OutboxRecord, PartyKeyRecord, utcnow
from tests.api.conftest import World
from traceability.ordered_merkle import OrderedMerkleTree, verdict_leaf


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


def _verdicts_on_chain(world: World) -> dict[str, str]:
    """Every verdict the chain recorded, trade id → verdict hash, read back from the verdict
    batches' transactions (each checked against the batch's stored root)."""
    trade = world.ledger.trade
    found: dict[str, str] = {}
    for number in range(1, trade.verdict_batch_count() + 1):
        leaves = trade.verdicts_of(number) or ()
        stored = trade.verdict_batch_of(number)
        assert stored is not None
        hashed = [
            verdict_leaf(number, x.position, x.trade_id, x.verdict_hash, x.matched) for x in leaves
        ]
        assert OrderedMerkleTree(hashed).root == stored.root
        found.update({x.trade_id.hex(): x.verdict_hash.hex() for x in leaves})
    return found


def test_verdicts_go_to_chain_in_verdict_batches_of_the_lanes_limit(world: World) -> None:
    limit = VERDICT.limit(world.runtime.settings.batch_size)
    count = 2 * limit + limit // 2
    verdicts = {secrets.token_hex(32): secrets.token_hex(32) for _ in range(count)}
    _queue_verdicts(world, list(verdicts.items()))
    world.worker.drain()
    with Session(world.runtime.engine) as session:
        batches = session.exec(
            select(AnchorBatchRecord).where(AnchorBatchRecord.lane == "verdict")
        ).all()
    assert sorted(b.leaf_count for b in batches) == [limit // 2, limit, limit]
    assert {b.state for b in batches} == {"confirmed"}
    # Each confirmed batch knows its number and root on chain.
    for batch in batches:
        stored = world.ledger.trade.verdict_batch_of(batch.chain_batch or 0)
        assert stored is not None
        assert stored.root.hex() == batch.root
    assert _verdicts_on_chain(world) == verdicts


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
    on_chain = _verdicts_on_chain(world)
    assert {t: on_chain.get(t) for t in good} == good
    assert bad_trade not in on_chain
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


def test_workers_that_split_the_kinds_each_anchor_only_their_own(world: World) -> None:
    """Two workers share a database by kinds of work: the document worker leaves the
    verdicts to the verdict worker, and together they drain the outbox."""
    verdicts = {secrets.token_hex(32): secrets.token_hex(32) for _ in range(3)}
    _queue_verdicts(world, list(verdicts.items()))
    documents = AnchorWorker(world.runtime, kinds=frozenset({"document", "event", "party"}))
    for _ in range(3):
        documents.run_once(force=True)
    with Session(world.runtime.engine) as session:
        lanes = set(session.exec(select(AnchorBatchRecord.lane)).all())
    assert "verdict" not in lanes
    assert _verdicts_on_chain(world) == {}
    AnchorWorker(world.runtime, kinds=frozenset({"verdict", "supersede"})).drain()
    assert _verdicts_on_chain(world) == verdicts


def test_an_unknown_worker_kind_is_refused_naming_the_setting() -> None:
    with pytest.raises(ValueError, match="SANDAN_WORKER_KINDS: unknown kinds \\['verdicts'\\]"):
        worker_kinds("document,verdicts")
    assert worker_kinds(None) is None
    assert worker_kinds("verdict") == frozenset({"verdict"})
