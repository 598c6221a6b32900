"""CEB701 is built from one company's released B-flag export inventories."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.traceability.ceb.conftest import sample
from traceability.ceb import (
    CebMessage,
    InvalidSummary,
    ReleasedByCustoms,
    ReleasedInventory,
    build_summary_application,
    read_message,
    write_message,
)
from traceability.ceb.models import ExportInventoryReturn
from traceability.trade.models import CHINA_TZ, ExportInventory

START = datetime(2024, 4, 1, tzinfo=CHINA_TZ)
END = datetime(2024, 4, 30, 23, 59, 59, tzinfo=CHINA_TZ)
NOW = datetime(2024, 5, 1, 9, 0, tzinfo=CHINA_TZ)


def _released(
    invt_no: str, status: str = "800", when: str = "20240403100000000", **changes: str
) -> ReleasedInventory:
    inventory = read_message(sample("CEB603")).documents[0]
    assert isinstance(inventory, ExportInventory)
    inventory = inventory.model_copy(update=changes)
    receipt = ExportInventoryReturn(
        guid="00000000-0000-4000-8000-000000000604",
        agentCode=inventory.agentCode,
        copNo=inventory.copNo,
        preNo="E20240403000000001",
        invtNo=invt_no,
        ebcCode=inventory.ebcCode,
        ebpCode=inventory.ebpCode,
        orderNo=inventory.orderNo,
        statisticsFlag=inventory.statisticsFlag,
        returnStatus=status,
        returnTime=when,
        returnInfo="放行",
    )
    return ReleasedInventory(inventory, receipt)


def _build(items: list[ReleasedInventory], **options: object) -> object:
    return build_summary_application(
        items,
        company="3301960012",
        period_start=START,
        period_end=END,
        guid="00000000-0000-4000-8000-000000000701",
        now=NOW,
        cop_no="SUM202404001",
        agent=("3301960015", "宁波三单报关有限公司"),
        decl_agent=("3301960015", "宁波三单报关有限公司"),
        **options,  # type: ignore[arg-type]
    )


def test_build_summary_application_lists_qualifying_inventories() -> None:
    items = [
        _released("31052024E000000124"),
        _released("31052024E000000123"),
        _released("31052024E000000125", status="100"),  # rejected, not released
        _released("31052024E000000126", when="20240501000000000"),  # after the period
        _released("31052024E000000127", statisticsFlag="A"),  # simplified: no summary
        _released("31052024E000000128", ebcCode="3301969999"),  # another company
    ]
    summary = _build(items)
    assert [item.invtNo for item in summary.items] == ["31052024E000000123", "31052024E000000124"]  # type: ignore[attr-defined]
    assert summary.summaryFlag == "1"  # type: ignore[attr-defined]
    transfer = read_message(sample("CEB701")).base_transfer
    message = CebMessage(
        "CEB701",
        "00000000-0000-4000-8000-000000000700",
        (summary,),
        base_transfer=transfer,  # type: ignore[arg-type]
    )
    assert read_message(write_message(message)) == message


def test_build_summary_application_by_owner_and_time_range() -> None:
    summary = _build([_released("31052024E000000123")], owner_code="3301960016", by_time_range=True)
    assert summary.summaryFlag == "2"  # type: ignore[attr-defined]
    assert summary.startTime == START
    assert summary.endTime == END


@pytest.mark.parametrize(
    "items",
    [
        [],
        [_released("31052024E000000123", status="100")],
        [_released("X1"), _released("X2", customsCode="2991")],
    ],
    ids=["nothing", "not-released", "two-customs"],
)
def test_build_summary_application_rejects(items: list[ReleasedInventory]) -> None:
    with pytest.raises(InvalidSummary):
        _build(items)


def test_build_summary_application_from_releases_without_their_receipts() -> None:
    """A platform that holds the release and the inventory number, not the CEB604 itself."""
    inventory = read_message(sample("CEB603")).documents[0]
    assert isinstance(inventory, ExportInventory)
    inside = datetime(2024, 4, 3, 10, tzinfo=CHINA_TZ)
    items = [
        ReleasedByCustoms(inventory, "31052024E000000124", inside),
        ReleasedByCustoms(inventory, "31052024E000000123", inside),
        ReleasedByCustoms(inventory, "31052024E000000129", datetime(2024, 5, 2, tzinfo=CHINA_TZ)),
        ReleasedByCustoms(
            inventory.model_copy(update={"statisticsFlag": "A"}), "31052024E000000130", inside
        ),
    ]
    summary = _build(items)
    assert [item.invtNo for item in summary.items] == ["31052024E000000123", "31052024E000000124"]  # type: ignore[attr-defined]
