"""Many clients at once, duplicates mixed in: nothing stored twice, no deadlock, no 5xx."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import Session, func, select

from api.db.models import DocumentRecord, OutboxRecord
from tests.api.conftest import World
from tests.api.factories import Actor
from tests.conftest import free_port
from tests.live_server import serve_in_thread
from traceability.trade import samples

CLIENTS = 8


@pytest.fixture
def base_url(world: World) -> Iterator[str]:
    """The world's app served by uvicorn in a thread, so clients really run concurrently."""
    with serve_in_thread(world.client.app, free_port()) as url:
        yield url


def _envelopes(platform: Actor, payer: Actor) -> list[dict[str, Any]]:
    envelopes = []
    for n in range(30):
        terms = samples.ImportTerms(
            order_no=f"CC{n:04d}", logistics_no=f"SFCC{n:04d}", pay_transaction_id=f"APCC{n:04d}"
        )
        envelopes.append(platform.envelope("order", samples.import_order_json(terms)))
        envelopes.append(payer.envelope("payment", samples.import_payment_json(terms)))
    return envelopes


def test_concurrent_clients_with_duplicates_store_each_document_once(
    world: World, base_url: str
) -> None:
    platform = world.actor(samples.PLATFORM[0], ["platform"])
    payer = world.actor(samples.PAYER_COMPANY[0], ["payment"])
    unique = _envelopes(platform, payer)
    # Two different corrections of one order race each other as well.
    racing = [
        platform.envelope(
            "order",
            {**samples.import_order_json(samples.ImportTerms(order_no="CC0000")), "note": note},
        )
        for note in ("更正一", "更正二")
    ]
    headers = {
        id(e): (platform if e["payload"]["party"] == platform.code else payer).headers
        for e in unique + racing
    }
    work = [e for e in unique for _ in range(3)] + racing
    random.Random(7).shuffle(work)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def client(share: list[dict[str, Any]]) -> None:
        with httpx.Client(base_url=base_url, timeout=60) as http:
            for envelope in share:
                status = http.post(
                    "/documents", json=envelope, headers=headers[id(envelope)]
                ).status_code
                with lock:
                    statuses[status] += 1

    threads = [threading.Thread(target=client, args=(work[i::CLIENTS],)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a client is stuck (deadlock?)"
    assert set(statuses) <= {200, 201, 409}, statuses
    assert statuses[201] >= len(unique)
    with Session(world.runtime.engine) as session:
        documents = session.exec(select(func.count()).select_from(DocumentRecord)).one()
        hashes = session.exec(select(DocumentRecord.content_hash)).all()
        outbox = session.exec(
            select(func.count()).select_from(OutboxRecord).where(OutboxRecord.kind == "document")
        ).one()
    assert len(hashes) == len(set(hashes)) == documents == outbox
    assert documents == statuses[201]
    assert len(unique) <= documents <= len(unique) + 2
