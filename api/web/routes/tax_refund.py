"""Export tax-refund data (退税): the records the tax and FX systems need, as JSON and CSV,
and the CEB701 summary declaration (汇总申请单) of a period as XML."""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from api.errors import UnprocessableContent
from api.fx_schemas import TaxRefundRecords
from api.services import summary, tax_refund
from api.web.deps import PartyDep, SessionDep, SettingsDep
from api.web.errors import ErrorBodyResponses

router = APIRouter(tags=["tax-refund"], responses=ErrorBodyResponses)

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def period_records(
    session: SessionDep,
    settings: SettingsDep,
    party: PartyDep,
    period_from: Annotated[str, Query(alias="from", max_length=64)],
    period_to: Annotated[str, Query(alias="to", max_length=64)],
) -> TaxRefundRecords:
    """The records of the period the query names, as the caller may read them."""
    zone = settings.zone
    return tax_refund.records(
        session=session,
        settings=settings,
        party=party,
        period_start=summary.period_bound(period_from, field="from", zone=zone, end=False),
        period_end=summary.period_bound(period_to, field="to", zone=zone, end=True),
    )


RecordsDep = Annotated[TaxRefundRecords, Depends(period_records)]


@router.get("/tax-refund/records", response_model=TaxRefundRecords)
def read_records(table: RecordsDep) -> TaxRefundRecords:
    """For each export inventory released in `[from, to)` (dates in `SANDAN_ZONE_TIMEZONE`;
    a date as `to` includes that day) and not cancelled: company, HS codes, quantities,
    value, currency, FX received, the dates declared, released and last settled, and the
    无票免税 flag with the condition each part of it rests on. The exporter reads its own;
    customs and the regulator every exporter's."""
    return table


@router.get(
    "/tax-refund/records.csv",
    response_class=Response,
    responses={
        200: {
            "description": "One row per inventory line, with a header.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
def read_records_csv(table: RecordsDep) -> Response:
    """`GET /tax-refund/records` (same period and authorisation) as CSV."""
    return Response(tax_refund.csv_table(table), media_type="text/csv; charset=utf-8")


def _period(text: str, zone: tzinfo) -> tuple[datetime, datetime]:
    """A month (``2026-11``) or a day (``2026-11-05``) in ``zone``, as [start, end)."""
    month = _MONTH.match(text)
    try:
        if month:
            year, number = int(month[1]), int(month[2])
            first = date(year, number, 1)
            last = first + timedelta(days=monthrange(year, number)[1])
        else:
            first = date.fromisoformat(text)
            last = first + timedelta(days=1)
    except ValueError as exc:
        raise UnprocessableContent(
            f"period must be a month (2026-11) or a day (2026-11-05): {exc}", field="period"
        ) from exc
    return datetime.combine(first, time.min, zone), datetime.combine(last, time.min, zone)


@router.get(
    "/customs/summary-declarations/{period}.xml",
    response_class=Response,
    responses={
        200: {
            "description": "The CEB701 message (UTF-8 XML, 2022-05 export schema).",
            "content": {"application/xml": {"schema": {"type": "string"}}},
        }
    },
)
def summary_declaration_xml(
    session: SessionDep,
    settings: SettingsDep,
    party: PartyDep,
    period: Annotated[str, Path(max_length=10, description="A month (2026-11) or a day.")],
    ebc_code: Annotated[str, Query(alias="ebcCode", min_length=1, max_length=18)],
    dxp_id: Annotated[
        str | None,
        Query(
            alias="dxpId",
            min_length=1,
            max_length=30,
            description="The broker's e-port transmission id (BaseTransfer dxpId).",
        ),
    ] = None,
) -> Response:
    """The CEB701 summary application (汇总申请单) of one e-commerce company's B-flag export
    inventories released in the period, listed by inventory number (invtNo). For customs,
    the regulator and the company itself."""
    start, end = _period(period, settings.zone)
    xml = tax_refund.summary_declaration_xml(
        session=session,
        party=party,
        ebc_code=ebc_code,
        period_start=start,
        period_end=end,
        dxp_id=dxp_id,
    )
    return Response(xml, media_type="application/xml")
