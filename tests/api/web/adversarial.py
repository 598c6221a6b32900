"""Helpers for the adversarial API tests: a world with trade parties, and a state snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, literal, select, union_all
from sqlmodel import SQLModel

from tests.api.conftest import World, WorldStage
from tests.api.factories import Actor
from traceability import Algorithm
from traceability.trade import samples

DOC_SIGNER = {"order": "platform", "payment": "payment", "waybill": "logistics"}


def trade_parties(world: World) -> dict[str, Actor]:
    """Platform, payment and logistics companies, customs and a bank."""
    return {
        "platform": world.actor(samples.PLATFORM[0], ["platform"]),
        "payment": world.actor(samples.PAYER_COMPANY[0], ["payment"], alg=Algorithm.ES256),
        "logistics": world.actor(samples.CARRIER[0], ["logistics"]),
        "customs": world.actor("GACC-HZ", ["customs"], chain_account=True),
        "bank": world.actor("BANK-A", ["bank"], chain_account=True),
    }


#: The world after :func:`trade_parties` registered the five parties.
TRADE_PARTIES = WorldStage("the trade parties", trade_parties)


def documents() -> dict[str, dict[str, Any]]:
    """The order, payment and waybill of one sample import trade, as JSON."""
    docs = samples.import_trade()
    return {kind: getattr(docs, kind).to_json_dict() for kind in DOC_SIGNER}


def snapshot(world: World) -> dict[str, int]:
    """Row count of every table: an attack that 'changes nothing' leaves this equal."""
    import api.db.models  # noqa: F401  (register every table)

    tables = SQLModel.metadata.tables
    # One round trip for every table: the tests take a snapshot before and after each attack.
    counts = union_all(
        *(select(literal(name), func.count()).select_from(t) for name, t in tables.items())
    )
    with world.runtime.engine.connect() as connection:
        found = {str(name): int(count) for name, count in connection.execute(counts)}
    assert found.keys() == tables.keys()
    return found


@contextmanager
def stored_unchanged(world: World) -> Iterator[None]:
    """Assert that what runs inside leaves every table's row count as it was."""
    before = snapshot(world)
    yield
    assert snapshot(world) == before


def assert_error(
    response: Any, status: int, *, field: str | None = None, code: str | None = None
) -> None:
    """A JSON error body of the documented shape, with this status (and field / code)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"error", "message", "field"}, body
    assert body["message"], body
    if field is not None:
        assert body["field"] == field, body
    if code is not None:
        assert body["error"] == code, body
