"""Statistics and monitoring: ``GET /stats`` (JSON) and ``GET /stats.csv`` (its grouped table)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.db.models import PartyRecord
from api.services import stats as service
from api.services.security import tokens_equal
from api.stats_schemas import GroupBy, StatsPublic
from api.web.deps import CredentialsDep, RuntimeDep, SessionDep, SettingsDep, get_current_party
from api.web.errors import ErrorBodyResponses

router = APIRouter(tags=["stats"], responses=ErrorBodyResponses)

_START = ["2026-11-01", "2026-11-01T00:00:00+08:00"]
_END = ["2026-11-30", "2026-12-01T00:00:00"]
_GROUP_BY = ["mode", "month"]


def get_viewer(
    session: SessionDep, runtime: RuntimeDep, credentials: CredentialsDep
) -> PartyRecord | None:
    """The calling party, or ``None`` for the operator presenting the admin token."""
    if credentials is not None and tokens_equal(credentials.credentials, runtime.admin_token):
        return None
    return get_current_party(session, credentials)


ViewerDep = Annotated[PartyRecord | None, Depends(get_viewer)]


def figures(
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    group_by: Annotated[GroupBy, Query(alias="groupBy", examples=_GROUP_BY)] = "mode",
    period_start: Annotated[
        str | None, Query(alias="periodStart", max_length=64, examples=_START)
    ] = None,
    period_end: Annotated[
        str | None, Query(alias="periodEnd", max_length=64, examples=_END)
    ] = None,
    mode: Annotated[Literal["9610", "9710", "9810", "1210"] | None, Query()] = None,
    direction: Annotated[Literal["import", "export"] | None, Query()] = None,
    country: Annotated[
        str | None, Query(pattern=r"^\d{3}$", description="A customs country code.")
    ] = None,
    party: Annotated[
        str | None, Query(max_length=64, description="A platform or e-commerce company code.")
    ] = None,
) -> StatsPublic:
    """The figures the query asks for, as the caller may see them."""
    zone = settings.zone
    filters = service.stats_filters(
        zone=zone,
        period_start=period_start,
        period_end=period_end,
        mode=mode,
        direction=direction,
        country=country,
        party=party,
    )
    return service.stats(
        session=session, viewer=viewer, filters=filters, group_by=group_by, zone=zone
    )


FiguresDep = Annotated[StatsPublic, Depends(figures)]


@router.get("/stats", response_model=StatsPublic)
def read_stats(stats: FiguresDep) -> StatsPublic:
    """Trade counts and values per currency grouped by `groupBy`, match rate and top mismatch
    reasons, order-to-release and order-to-settlement times, and (zone viewers) anchoring lag
    and outbox depth.

    The operator (admin token), customs and the regulator see the whole zone; any other party
    its own trades (a bank also those it financed). The period bounds the order's appTime,
    `[periodStart, periodEnd)`: a date (in `SANDAN_ZONE_TIMEZONE`; a date as `periodEnd`
    includes that day) or a date-time. Periods are bucketed in that time zone too."""
    return stats


@router.get(
    "/stats.csv",
    response_class=Response,
    responses={
        200: {
            "description": "The grouped table, one row per group and currency, with a header.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
def read_stats_csv(stats: FiguresDep) -> Response:
    """The grouped table of `GET /stats` (same filters and authorisation) as CSV."""
    return Response(service.csv_table(stats), media_type="text/csv; charset=utf-8")
