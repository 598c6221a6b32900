"""Helpers of the receipts-loop route tests: trades to answer, customs' receipts for them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from api.db.models import PartyRecord, TradeRecord
from api.services.customs_play import customs_receipt_xml
from tests.api.conftest import World
from tests.api.factories import Actor
from tests.api.web.routes.test_trade_flow import submit
from traceability.ceb import CustomsStatus
from traceability.trade import samples

XML = {"Content-Type": "application/xml"}


def import_trade(world: World, parties: dict[str, Actor], **terms: Any) -> str:
    docs = samples.import_trade(samples.ImportTerms(**terms)) if terms else samples.import_trade()
    trade_id: str = submit(world, parties, docs)[0]["tradeId"]
    world.worker.drain()
    return trade_id


def receipt_xml(
    world: World,
    trade_id: str,
    message_type: str,
    status: CustomsStatus | str = CustomsStatus.ACCEPTED,
    info: str = "[Code:2600;Desc:入库成功]",
    *,
    now: datetime | None = None,
) -> bytes:
    with Session(world.runtime.engine) as session:
        trade = session.get(TradeRecord, trade_id)
        assert trade is not None
        return customs_receipt_xml(
            session=session,
            trade=trade,
            message_type=message_type,
            status=status,
            info=info,
            now=now or datetime.now(UTC),
        )


def post_receipt(world: World, actor: Actor, body: bytes, headers: dict[str, str] = XML) -> Any:
    return world.client.post(
        "/customs/receipts", content=body, headers={**actor.headers, **headers}
    )


def customs_office(world: World, code: str, customs_code: str) -> Actor:
    """A customs party registered with its customs code (the office is its first four)."""
    actor = world.actor(code, ["customs"])
    with Session(world.runtime.engine) as session:
        party = session.get(PartyRecord, code)
        assert party is not None
        party.customs_code = customs_code
        session.add(party)
        session.commit()
    return actor


def stored(world: World, trade_id: str) -> TradeRecord:
    with Session(world.runtime.engine) as session:
        trade = session.get(TradeRecord, trade_id)
        assert trade is not None
        return trade


def export_trade(world: World, parties: dict[str, Actor]) -> tuple[str, Actor]:
    exporter = world.actor(samples.EXPORTER[0], ["platform"])
    docs = samples.export_trade()
    signers = {"order": exporter, "payment": parties["payment"], "waybill": parties["logistics"]}
    trade_id = None
    for kind, actor in {**signers, "inventory": exporter}.items():
        trade_id = world.submit(actor, kind, getattr(docs, kind).to_json_dict())
    assert trade_id is not None
    world.worker.drain()
    return trade_id, exporter
