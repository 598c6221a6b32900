"""A world for the FX-settlement and tax-refund tests: the trade flow's parties, an
exporter, a regulator and a bystander platform, with released trades of each kind.

Built once per session and backend (see :class:`tests.api.conftest.WorldStage`):

* ``import``: a 9610 import (CNY), matched and released;
* ``import_unreleased``: a 9610 import of another buyer, matched, not released;
* ``export``: a 9610 retail export (CNY) with its receipt (CEB403), released;
* ``export_usd``: a 9810 overseas-warehouse export in US dollars (no receipt), released.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from tests.api.conftest import World, WorldStage
from tests.api.factories import Actor
from tests.api.web.routes.test_trade_flow import _register_parties, submit
from traceability.trade import samples
from traceability.trade.inputs import TradeDocuments
from traceability.trade.modes import TradeMode

OTHER_BUYER = ("李小红", "110101199505051236", "13900139000")


@dataclass
class FxWorld:
    """The parties (by role name) and the trades (by name) of the stage."""

    parties: dict[str, Actor]
    trades: dict[str, str] = field(default_factory=dict)


def submit_export(world: World, parties: dict[str, Actor], docs: TradeDocuments) -> str:
    signers = {
        "order": parties["exporter"],
        "payment": parties["payment"],
        "waybill": parties["logistics"],
        "inventory": parties["exporter"],
    }
    trade_id = None
    for kind, actor in signers.items():  # the inventory, last, joins them all
        document = getattr(docs, kind)
        if document is not None:
            trade_id = world.submit(actor, kind, document.to_json_dict())
    assert trade_id is not None
    return trade_id


def _build(world: World) -> FxWorld:
    parties = _register_parties(world)
    parties["exporter"] = world.actor(samples.EXPORTER[0], ["platform"])
    parties["regulator"] = world.actor("SAFE-HZ", ["regulator"])
    parties["bystander"] = world.actor("3301960B09", ["platform"])
    built = FxWorld(parties)
    built.trades["import"] = submit(world, parties, samples.import_trade())[0]["tradeId"]
    other = samples.ImportTerms(
        order_no="SD20250301000077",
        buyer=OTHER_BUYER,
        logistics_no="SF1234567890777",
        pay_transaction_id="AP2025030110000077",
    )
    built.trades["import_unreleased"] = submit(world, parties, samples.import_trade(other))[0][
        "tradeId"
    ]
    built.trades["export"] = submit_export(world, parties, samples.export_trade())
    warehouse = samples.ExportTerms(
        order_no="GZ20250301000098",
        currency="502",
        mode=TradeMode.B2B_OVERSEAS_WAREHOUSE,
        logistics_no="EMS9876543298CN",
        freight=Decimal("85"),
        placed_at=samples.BASE_TIME + timedelta(hours=1),
    )
    built.trades["export_usd"] = submit_export(world, parties, samples.export_trade(warehouse))
    world.worker.drain()
    for name in ("import", "export", "export_usd"):
        released = world.client.post(
            f"/customs/trades/{built.trades[name]}/release", headers=parties["customs"].headers
        )
        assert released.status_code == 200, released.text
    return built


FX_WORLD = WorldStage("released trades for FX settlement and tax refunds", _build)
