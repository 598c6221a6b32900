"""The idle worker waits on PostgreSQL notifications instead of polling.

An outbox insert notifies when its transaction commits, never when it rolls back; a
waiting worker wakes on it long before its timeout, and a worker left alone anchors rows
added while it waits. On SQLite (no notifications) the wait is a plain sleep.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.anchoring.wakeup import OutboxWakeup
from api.anchoring.worker import AnchorWorker
from api.db.models import OutboxRecord, utcnow
from api.db.outbox_notify import CHANNEL
from tests.api.conftest import World


def _add_row(engine: Engine, *, commit: bool = True) -> str:
    subject = secrets.token_hex(32)
    with Session(engine) as session:
        session.add(
            OutboxRecord(kind="document", subject=subject, lane="trade", created_at=utcnow())
        )
        if commit:
            session.commit()
        else:
            session.rollback()
    return subject


def _listener(engine: Engine) -> object:
    raw = engine.raw_connection()
    connection = raw.driver_connection
    raw.detach()
    connection.autocommit = True  # type: ignore[union-attr]
    connection.execute(f"LISTEN {CHANNEL}")  # type: ignore[union-attr]
    return connection


@pytest.mark.postgres
def test_a_committed_outbox_insert_notifies_and_a_rolled_back_one_does_not(
    engine: Engine,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("notifications are PostgreSQL's")
    with engine.connect() as connection:
        schema = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
    listener = _listener(engine)

    def ours(timeout: float, **limit: int) -> list[Any]:
        # Other runs on the same server notify on the channel too: their payload names
        # their own schema.
        got = listener.notifies(timeout=timeout, **limit)  # type: ignore[attr-defined]
        return [n for n in got if n.payload == schema]

    try:
        _add_row(engine, commit=False)
        assert ours(0.3) == []
        _add_row(engine)
        deadline = time.monotonic() + 5
        got: list[Any] = []
        while not got and time.monotonic() < deadline:
            got = ours(deadline - time.monotonic(), stop_after=1)
        assert [n.channel for n in got] == [CHANNEL]
    finally:
        listener.close()  # type: ignore[attr-defined]


def test_the_wait_ends_on_a_notification_long_before_its_timeout(engine: Engine) -> None:
    stop = threading.Event()
    wakeup = OutboxWakeup(engine, stop)
    try:
        if not wakeup.listens:
            started = time.monotonic()
            wakeup.wait(0.2)  # SQLite: a sleep of the whole timeout
            assert time.monotonic() - started >= 0.2
            return
        wakeup.wait(0.01)  # starts listening
        writer = threading.Timer(0.2, _add_row, args=(engine,))
        started = time.monotonic()
        writer.start()
        wakeup.wait(30)
        assert time.monotonic() - started < 15  # woken by the insert, not the 30 s timeout
        writer.join()
    finally:
        wakeup.close()


def test_a_stopped_worker_does_not_wait(engine: Engine) -> None:
    stop = threading.Event()
    stop.set()
    wakeup = OutboxWakeup(engine, stop)
    started = time.monotonic()
    wakeup.wait(30)
    assert time.monotonic() - started < 1
    wakeup.close()


def test_an_idle_worker_anchors_rows_added_while_it_waits(world: World) -> None:
    engine = world.runtime.engine
    worker = AnchorWorker(world.runtime, batch_wait=0)
    thread = threading.Thread(target=worker.run_forever, daemon=True)
    thread.start()
    try:
        time.sleep(0.3)  # idle: nothing to anchor yet
        subjects = {_add_row(engine) for _ in range(3)}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with Session(engine) as session:
                done = session.exec(
                    select(OutboxRecord.subject).where(
                        col(OutboxRecord.subject).in_(subjects),
                        col(OutboxRecord.proof).is_not(None),
                    )
                ).all()
            if set(done) == subjects:
                break
            time.sleep(0.1)
        assert set(done) == subjects
    finally:
        worker.stop_event.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
