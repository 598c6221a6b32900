"""Build the export summary application (CEB701 汇总申请单) from released inventories.

Rules (CEB note §4 SummaryApplyHead and §7.2 export.summary):

* [S] one application summarises the released inventories of one 收发货人
  (``ebcCode``); with ``summaryFlag`` 2 also of one 生产销售单位 (``ownerCode``);
* [S] inventories are listed by ``invtNo``; a [startTime, endTime] range may be
  given instead (it then overrides the list), as a pair with end ≥ start;
* [I] released means a CEB604 receipt with status 800 (放行) or 899 (结关) for that
  inventory, and its ``returnTime`` places it in the period;
* [I] only ``statisticsFlag`` B (汇总申报) inventories are summarised (A is the
  simplified declaration, which needs no summary), all under one ``customsCode``;
* [I] a platform that does not keep the CEB604 receipts themselves gives the inventory
  number they assigned and the time customs released the inventory
  (:class:`ReleasedByCustoms`: sandan's release is customs' own, on chain).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from traceability.ceb.errors import InvalidSummary
from traceability.ceb.models import (
    ExportInventoryReturn,
    SummaryApplication,
    SummaryApplicationItem,
)
from traceability.trade.models import CHINA_TZ, ExportInventory

__all__ = ["ReleasedByCustoms", "ReleasedInventory", "build_summary_application"]

_RELEASED = ("800", "899")


@dataclass(frozen=True, slots=True)
class ReleasedInventory:
    """An export inventory with the customs receipt (CEB604) that released it."""

    inventory: ExportInventory
    receipt: ExportInventoryReturn

    @property
    def released_at(self) -> datetime:
        """The receipt's C17 returnTime as an aware China-time datetime."""
        stamp = self.receipt.returnTime
        naive = datetime.strptime(stamp[:14], "%Y%m%d%H%M%S")
        return naive.replace(microsecond=int(stamp[14:]) * 1000, tzinfo=CHINA_TZ)


@dataclass(frozen=True, slots=True)
class ReleasedByCustoms:
    """An export inventory customs released at ``released_at`` (aware), under the inventory
    number ``invt_no`` its receipt assigned."""

    inventory: ExportInventory
    invt_no: str
    released_at: datetime


def build_summary_application(
    inventories: Iterable[ReleasedInventory | ReleasedByCustoms],
    *,
    company: str,
    period_start: datetime,
    period_end: datetime,
    guid: str,
    now: datetime,
    cop_no: str,
    agent: tuple[str, str],
    decl_agent: tuple[str, str],
    owner_code: str | None = None,
    item_name_flag: str = "1",
    by_time_range: bool = False,
    app_status: Literal["1", "2"] = "2",
) -> SummaryApplication:
    """Summarise ``company``'s released B-flag export inventories in [period_start, period_end]
    (each with its CEB604 receipt, or as :class:`ReleasedByCustoms`).

    ``agent`` and ``decl_agent`` are (code, name) of the applicant and the customs
    broker. ``owner_code`` selects summaryFlag 2 (by company and producer).
    Raises :class:`InvalidSummary` when nothing qualifies or the selection mixes customs.
    """
    if period_end < period_start:
        raise InvalidSummary("period_end is before period_start")
    chosen = [
        item
        for item in inventories
        if _qualifies(item, company, owner_code) and period_start <= item.released_at <= period_end
    ]
    if not chosen:
        raise InvalidSummary(f"no released B-flag inventory of {company} in the period")
    customs = {item.inventory.customsCode for item in chosen}
    if len(customs) > 1:
        raise InvalidSummary(f"inventories under several customs {sorted(customs)}; one each")
    numbers = sorted({_invt_no(item) for item in chosen})
    return SummaryApplication.model_validate(
        {
            "guid": guid,
            "appType": "1",
            "appTime": now,
            "appStatus": app_status,
            "customsCode": customs.pop(),
            "copNo": cop_no,
            "agentCode": agent[0],
            "agentName": agent[1],
            "ebcCode": company,
            "ebcName": chosen[0].inventory.ebcName,
            "declAgentCode": decl_agent[0],
            "declAgentName": decl_agent[1],
            "startTime": period_start if by_time_range else None,
            "endTime": period_end if by_time_range else None,
            "summaryFlag": "1" if owner_code is None else "2",
            "itemNameFlag": item_name_flag,
            "msgCount": 1,
            "msgSeqNo": 1,
            "SummaryApplyList": [SummaryApplicationItem(invtNo=number) for number in numbers],
        }
    )


def _invt_no(item: ReleasedInventory | ReleasedByCustoms) -> str:
    return item.invt_no if isinstance(item, ReleasedByCustoms) else item.receipt.invtNo


def _qualifies(
    item: ReleasedInventory | ReleasedByCustoms, company: str, owner_code: str | None
) -> bool:
    inventory = item.inventory
    if isinstance(item, ReleasedInventory):
        receipt = item.receipt
        if not (
            receipt.ebcCode == company
            and receipt.orderNo == inventory.orderNo
            and receipt.returnStatus in _RELEASED
        ):
            return False
    return (
        inventory.ebcCode == company
        and inventory.statisticsFlag == "B"
        and (owner_code is None or inventory.ownerCode == owner_code)
    )
