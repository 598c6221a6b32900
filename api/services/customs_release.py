"""Customs' release of one trade (放行) with every check, for the API and the workbench alike."""

from __future__ import annotations

from sqlmodel import Session

from api.db.models import PartyRecord, TradeRecord, utcnow
from api.runtime import Runtime
from api.schemas import ChainReceipt
from api.services import chain_actions, customs_holds
from api.services.risk.views import release_check


def release_checked(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    trade: TradeRecord,
    verdict_hash: str | None,
    override_reason: str | None,
) -> ChainReceipt:
    """Release ``trade`` on its current verdict (or 409 unless ``verdict_hash`` still is it):
    matched and anchored first, then held if high-risk unless ``override_reason`` is given
    (the hold or the override recorded), a trade customs held released only with a reason
    that lifts the hold, then the contract call by customs' own account."""
    chain_actions.check_releasable(session, trade)
    release_check(
        session=session, runtime=runtime, party=party, trade=trade, override_reason=override_reason
    )
    # Recorded with the release itself: a release that fails leaves the hold standing.
    customs_holds.lift_for_release(
        session=session, party=party, trade=trade, reason=override_reason, now=utcnow()
    )
    return chain_actions.release(
        session=session, runtime=runtime, party=party, trade=trade, verdict_hash=verdict_hash
    )
