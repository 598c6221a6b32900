"""Risk alerts: the list with filters and paging, one alert with its history, its review."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from api.risk_schemas import AlertPublic, AlertReviewCreate, AlertsPublic
from api.services.risk.alerts import AlertFilters
from api.services.risk.views import alert, alert_list, review_alert
from api.services.summary import period_bound
from api.web.deps import ReviewerDep, RiskReaderDep, RuntimeDep, SessionDep, SettingsDep, WriteLimit
from api.web.errors import ErrorBodyResponses

router = APIRouter(prefix="/risk", tags=["risk"], responses=ErrorBodyResponses)

_ALERT_ID = Path(ge=1, le=2**62, description="The alert's id.")


@router.get("/alerts", response_model=AlertsPublic)
def list_alerts(
    session: SessionDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    party: RiskReaderDep,
    rule: Annotated[str | None, Query(max_length=64, description="A rule id.")] = None,
    status: Annotated[Literal["open", "confirmed", "dismissed"] | None, Query()] = None,
    trade: Annotated[str | None, Query(max_length=64, description="A trade id.")] = None,
    period_from: Annotated[str | None, Query(alias="from", max_length=64)] = None,
    period_to: Annotated[str | None, Query(alias="to", max_length=64)] = None,
    active: Annotated[bool | None, Query()] = True,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> AlertsPublic:
    """Alerts on trades the caller may see, newest first (customs, banks, the regulator).

    `from`/`to` bound when the alert was raised, `[from, to)`: a date (in
    `SANDAN_ZONE_TIMEZONE`; a date as `to` includes that day) or a date-time. `active=false`
    lists alerts the rule no longer raises; leave it empty for both. Personal fields of the
    evidence are masked for all but customs and the regulator."""
    zone = settings.zone
    filters = AlertFilters(
        rule=rule,
        status=status,
        trade_id=trade,
        created_from=period_bound(period_from, field="from", zone=zone, end=False)
        if period_from
        else None,
        created_to=period_bound(period_to, field="to", zone=zone, end=True) if period_to else None,
        active=active,
    )
    return alert_list(
        session=session, runtime=runtime, party=party, filters=filters, limit=limit, offset=offset
    )


@router.get("/alerts/{alert_id}", response_model=AlertPublic)
def read_alert(
    session: SessionDep,
    runtime: RuntimeDep,
    party: RiskReaderDep,
    alert_id: Annotated[int, _ALERT_ID],
) -> AlertPublic:
    """One alert with its review history (who, from, to, note, when)."""
    return alert(session=session, runtime=runtime, party=party, alert_id=alert_id)


@router.post("/alerts/{alert_id}/review", response_model=AlertPublic, dependencies=[WriteLimit])
def review(
    session: SessionDep,
    runtime: RuntimeDep,
    party: ReviewerDep,
    alert_id: Annotated[int, _ALERT_ID],
    body: AlertReviewCreate,
) -> AlertPublic:
    """Confirm or dismiss an alert, with a note (customs or the regulator); 409 if it already
    has that status."""
    return review_alert(
        session=session,
        runtime=runtime,
        party=party,
        alert_id=alert_id,
        status=body.status,
        note=body.note,
    )
