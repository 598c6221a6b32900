"""Customs: releasable trades, release on chain, and the summary declaration."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from api.db.models import utcnow
from api.risk_schemas import (
    AutoReleasePublic,
    AutoReleasesPublic,
    ReleasePolicyCreate,
    ReleasePolicyPublic,
)
from api.schemas import (
    ChainReceipt,
    HoldCreate,
    HoldPublic,
    ReleaseCreate,
    SignedAuthorization,
    SignedRelease,
    SummaryDeclaration,
    TradesPublic,
)
from api.services import auto_release, chain_actions, customs_holds, self_custody, summary
from api.services.customs_release import release_checked
from api.web.deps import (
    CustomsDep,
    RuntimeDep,
    SessionDep,
    SettingsDep,
    SupervisorDep,
    TradeDep,
    WriteLimit,
)
from api.web.errors import ErrorBodyResponses

#: Period bounds as customs write them: a date, or a date-time with or without an offset.
_START = ["2026-11-01", "2026-11-01T00:00:00+08:00"]
_END = ["2026-11-30", "2026-12-01T00:00:00"]

router = APIRouter(
    prefix="/customs", tags=["customs"], responses=ErrorBodyResponses, dependencies=[WriteLimit]
)


@router.get("/releasable", response_model=TradesPublic)
def list_releasable(
    session: SessionDep,
    party: CustomsDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> TradesPublic:
    """Matched trades whose verdict is anchored and that are not yet released."""
    return chain_actions.releasable(session=session, party=party, limit=limit, offset=offset)


@router.post("/trades/{trade_id}/release", response_model=ChainReceipt)
def release_trade(
    session: SessionDep,
    runtime: RuntimeDep,
    party: CustomsDep,
    trade: TradeDep,
    body: ReleaseCreate | None = None,
) -> ChainReceipt:
    """Release a matched trade (放行) on its current verdict, which names its documents: a
    contract call by customs' own chain account. With `verdictHash`, the release is refused
    (409) unless that is still the trade's verdict. A high-risk trade is held (409
    `high_risk_hold`, naming the factors) unless `riskOverride.reason` overrides it; the
    hold or the override is recorded with the grade's inputs."""
    override = body.risk_override if body is not None else None
    return release_checked(
        session=session,
        runtime=runtime,
        party=party,
        trade=trade,
        verdict_hash=None if body is None else body.verdict_hash,
        override_reason=override.reason if override else None,
    )


@router.post("/trades/{trade_id}/hold", response_model=HoldPublic, status_code=201)
def hold_trade(
    session: SessionDep, party: CustomsDep, trade: TradeDep, body: HoldCreate
) -> HoldPublic:
    """Hold a trade for inspection with a reason (扣留待查). No automatic release takes a
    held trade; customs' own release of it must give `riskOverride.reason`, which lifts
    the hold (409 `customs_hold` without one). 409 once released or already held."""
    held = customs_holds.hold(
        session=session, party=party, trade=trade, reason=body.reason, now=utcnow()
    )
    return HoldPublic(
        trade_id=held.trade_id, held_by=held.party_code, reason=held.reason, held_at=held.held_at
    )


@router.post("/releases/signed", response_model=list[ChainReceipt])
def release_signed(
    body: SignedRelease, session: SessionDep, runtime: RuntimeDep, party: CustomsDep
) -> list[ChainReceipt]:
    """Relay a release that customs signed with its own key (EIP-712, `sandan authorize
    release`): one signature for a whole batch; sandan never holds the key."""
    return self_custody.release(session=session, runtime=runtime, party=party, body=body)


PolicyId = Annotated[str, Path(pattern=r"^(0x)?[0-9a-fA-F]{64}$", description="The policy's id.")]


@router.post("/release-policies", response_model=ReleasePolicyPublic, status_code=201)
def adopt_release_policy(
    body: ReleasePolicyCreate, session: SessionDep, runtime: RuntimeDep, party: CustomsDep
) -> ReleasePolicyPublic:
    """Bring customs' signed standing release policy on chain (graded release): from then
    on the worker releases matched trades of the policy's grades and modes, up to its value,
    while it is in force; each decision is recorded with its inputs and committed on chain.
    Sign it with `sandan authorize policy`; sandan never holds customs' key."""
    return auto_release.adopt(session=session, runtime=runtime, party=party, body=body)


@router.get("/release-policies", response_model=list[ReleasePolicyPublic])
def list_release_policies(session: SessionDep, _party: SupervisorDep) -> list[ReleasePolicyPublic]:
    """Every adopted policy, newest first, and whether each is in force."""
    return auto_release.policies(session=session)


@router.post("/release-policies/{policy_id}/revoke", response_model=ReleasePolicyPublic)
def revoke_release_policy(
    policy_id: PolicyId,
    body: SignedAuthorization,
    session: SessionDep,
    runtime: RuntimeDep,
    party: CustomsDep,
) -> ReleasePolicyPublic:
    """Revoke a policy with customs' signed authorization (action 5, RevokeReleasePolicy,
    subject the policy id: `sandan authorize revoke-policy`)."""
    return auto_release.revoke(
        session=session,
        runtime=runtime,
        party=party,
        policy_id=policy_id.removeprefix("0x"),
        body=body,
    )


@router.get("/auto-releases", response_model=AutoReleasesPublic)
def list_auto_releases(
    session: SessionDep,
    _party: SupervisorDep,
    outcome: Annotated[Literal["queued", "released", "refused", "skipped"] | None, Query()] = None,
    trade_id: Annotated[str | None, Query(alias="tradeId", pattern=r"^[0-9a-f]{64}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> AutoReleasesPublic:
    """Every automatic decision, newest first: released, refused by the contract (with its
    reason), or skipped (grade, value or currency outside the policy) and left to customs."""
    return auto_release.decisions(
        session=session, outcome=outcome, trade_id=trade_id, limit=limit, offset=offset
    )


@router.get("/auto-releases/{decision_id}", response_model=AutoReleasePublic)
def read_auto_release(
    decision_id: Annotated[int, Path(ge=1, lt=2**31)], session: SessionDep, _party: SupervisorDep
) -> AutoReleasePublic:
    """One automatic decision with the inputs its grade was computed from and, once
    released, its proof to the decisions root the contract committed."""
    return auto_release.decision_of(session=session, decision_id=decision_id)


@router.get("/summary", response_model=SummaryDeclaration)
def summary_declaration(
    session: SessionDep,
    settings: SettingsDep,
    _party: CustomsDep,
    period_start: Annotated[str, Query(alias="periodStart", max_length=64, examples=_START)],
    period_end: Annotated[str, Query(alias="periodEnd", max_length=64, examples=_END)],
    ebc_code: Annotated[str | None, Query(alias="ebcCode", max_length=64)] = None,
) -> SummaryDeclaration:
    """Released 9610, 9710 and 9810 trades of a period, one line per company, direction
    (import/export), mode and currency, totals to the fen (汇总申报).

    The period is `[periodStart, periodEnd)`. Each bound is a date (`2026-11-01`) or a
    date-time; a date, or a date-time without an offset, is in the zone's time zone
    (`SANDAN_ZONE_TIMEZONE`, default Asia/Shanghai). A date as `periodEnd` includes
    that whole day: `periodStart=2026-11-01&periodEnd=2026-11-30` is November.
    """
    zone = settings.zone
    return summary.summary_declaration(
        session=session,
        period_start=summary.period_bound(period_start, field="periodStart", zone=zone, end=False),
        period_end=summary.period_bound(period_end, field="periodEnd", zone=zone, end=True),
        ebc_code=ebc_code,
    )
