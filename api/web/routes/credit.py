"""The credit database: a party's record at a date, and its public grade."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.errors import UnprocessableContent
from api.risk_schemas import CreditGradePublic, CreditPublic
from api.services.risk.views import credit_of, grade_of_party
from api.web.deps import RiskReaderDep, RuntimeDep, SessionDep, SettingsDep
from api.web.errors import ErrorBodyResponses

router = APIRouter(prefix="/credit", tags=["credit"], responses=ErrorBodyResponses)

_PARTY = Path(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


def _moment(text: str, zone: tzinfo) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UnprocessableContent(
            f"at must be a date-time (2026-11-01T00:00:00+08:00) or a date: {exc}", field="at"
        ) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


@router.get("/{party}", response_model=CreditPublic)
def read_credit(
    session: SessionDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    _reader: RiskReaderDep,
    party: Annotated[str, _PARTY],
    at: Annotated[str | None, Query(max_length=64)] = None,
) -> CreditPublic:
    """A party's credit record at `at` (default now; a date-time, or a date meaning its
    midnight, in `SANDAN_ZONE_TIMEZONE` without an offset): every factor with its count,
    weight, cap and points, the score and the grade A–D (customs, the regulator, banks)."""
    moment = _moment(at, settings.zone) if at else None
    return credit_of(session=session, runtime=runtime, party=party, at=moment)


@router.get("/{party}/grade", response_model=CreditGradePublic)
def read_grade(session: SessionDep, party: Annotated[str, _PARTY]) -> CreditGradePublic:
    """A party's credit grade now (A–D), for anyone."""
    return CreditGradePublic(party=party, grade=grade_of_party(session=session, party=party))
