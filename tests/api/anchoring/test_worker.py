"""The anchoring worker's batching rules."""

from __future__ import annotations

import json
import secrets

from sqlmodel import Session, select

from api.anchoring.worker import VERDICTS_PER_TRANSACTION
from api.db.models import AnchorBatchRecord, OutboxRecord, utcnow
from tests.api.conftest import World


def test_verdicts_go_to_chain_by_the_hundred(world: World) -> None:
    verdicts = {secrets.token_hex(32): secrets.token_hex(32) for _ in range(250)}
    with Session(world.runtime.engine) as session:
        for trade_id, digest in verdicts.items():
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
