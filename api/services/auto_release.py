"""Graded release: customs' standing policies and the automatic decisions taken under them.

Customs signs a ``ReleasePolicy`` with its own key (``sandan authorize policy``): which
grades (low, and perhaps medium) and customs modes, up to what customs value, for which
period. sandan relays it on chain (:func:`adopt`) and mirrors it. Then, each worker pass
(:func:`decide`), every matched trade whose verdict is on chain and which nobody released
is decided once per verdict and policy:

* graded now (:func:`api.services.risk.grading.grade_inputs`, after judging the risk groups
  the latest documents marked), the inputs stored with their sha-256;
* ``queued`` when its grade, mode and value fall within the policy, as an outbox row of the
  policy's release lane; the contract checks each trade against the policy once more, and
  commits grade, mode, value and inputs hash under the release's decisions root;
* ``skipped`` otherwise, with the reason: it waits for customs (``/customs/releasable``),
  and a high-risk trade stays held.

sandan never holds customs' key: a policy is customs' signature, the contract refuses any
trade outside it, and customs revokes it with its own signature too (:func:`revoke`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import exists, func, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.anchoring.lanes import ReleaseLane, ReleasePayload
from api.anchoring.worker import AnchoringHost, AnchorWorker
from api.db.models import (
    AnchorBatchRecord,
    AutoReleaseRecord,
    OutboxRecord,
    PartyRecord,
    ReleasePolicyRecord,
    RiskDecisionRecord,
    TradeRecord,
    utcnow,
)
from api.errors import ApiError, Conflict, NotFound, PermissionDenied, UnprocessableContent
from api.risk_schemas import (
    AutoReleasePublic,
    AutoReleasesPublic,
    ReleasePolicyCreate,
    ReleasePolicyPublic,
)
from api.runtime import Runtime
from api.schemas import SignedAuthorization
from api.services.customs_holds import active_hold
from api.services.risk.grading import canonical_json, grade_inputs, grade_of_inputs
from api.services.risk.refresh import refresh_alerts
from api.services.self_custody import check_signer
from ledger_client import ContractReverted, ReleasePolicy, Signed
from ledger_client.release_policy import decision_facts, decision_leaves
from traceability.ordered_merkle import OrderedMerkleTree

__all__ = [
    "adopt",
    "anchor_worker",
    "decide",
    "decision_of",
    "decisions",
    "policies",
    "revoke",
]

#: Trades decided per policy and pass: a pass stays short, the next one goes on.
DECISIONS_PER_PASS = 1000
#: Customs values are in yuan; the CEB currency code of the yuan (and its ISO code).
_YUAN = frozenset({"142", "CNY"})
_ADOPTION_REFUSALS: dict[str, tuple[type[ApiError], str, str]] = {
    "TradeRegistryInvalidPolicySigner": (
        UnprocessableContent,
        "signature",
        "the signature is not the signer's over this policy",
    ),
    "AccessControlUnauthorizedAccount": (
        PermissionDenied,
        "signer",
        "the signer does not hold the customs role on chain",
    ),
    "TradeRegistryPolicyGrades": (UnprocessableContent, "grades", "grades: low and/or medium"),
    "TradeRegistryPolicyModes": (UnprocessableContent, "modes", "modes: one or more modes"),
    "TradeRegistryPolicyPeriod": (
        UnprocessableContent,
        "validUntil",
        "the period is empty or already over",
    ),
    "TradeRegistryPolicyAlreadyAdopted": (Conflict, "salt", "this policy was adopted already"),
}


def _csv(values: Sequence[str]) -> str:
    return ",".join(sorted(values))


def _time(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _public(record: ReleasePolicyRecord, now: datetime) -> ReleasePolicyPublic:
    in_force = record.revoked_at is None and record.valid_from <= now < record.valid_until
    return ReleasePolicyPublic(
        policy_id=record.policy_id,
        customs_code=record.customs_code,
        signer=record.signer,
        grades=record.grades.split(","),
        modes=record.modes.split(","),
        max_value=f"{Decimal(record.max_value_fen) / 100:.2f}",
        valid_from=record.valid_from,
        valid_until=record.valid_until,
        salt=record.salt,
        signature=record.signature,
        adopted_tx=record.adopted_tx,
        adopted_block=record.adopted_block,
        revoked_at=record.revoked_at,
        revoked_tx=record.revoked_tx,
        in_force=in_force,
    )


def adopt(
    *, session: Session, runtime: Runtime, party: PartyRecord, body: ReleasePolicyCreate
) -> ReleasePolicyPublic:
    """Relay customs' signed policy to the chain and mirror it."""
    check_signer(party, body.signer)
    policy = ReleasePolicy(
        grades=frozenset(body.grades),
        modes=frozenset(body.modes),
        max_value=body.max_value_fen,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        salt=bytes.fromhex(body.salt),
    )
    client = runtime.ledger().relayer()
    try:
        result = client.adopt_release_policy(policy, body.signer, body.signature)
    except ContractReverted as exc:
        refusal = _ADOPTION_REFUSALS.get(exc.error_name or "")
        if refusal is None:
            raise Conflict(f"the contract refused: {exc}", code="refused") from exc
        kind, field, message = refusal
        raise kind(message, field=field, code="policy_refused") from exc
    policy_id = client.release_policy_id(policy).hex()
    record = ReleasePolicyRecord(
        policy_id=policy_id,
        customs_code=party.code,
        signer=body.signer,
        grades=_csv(body.grades),
        modes=_csv(body.modes),
        max_value_fen=body.max_value_fen,
        valid_from=_time(body.valid_from),
        valid_until=_time(body.valid_until),
        salt=body.salt,
        signature=body.signature,
        adopted_tx=result.tx_hash,
        adopted_block=result.block_number,
        created_at=utcnow(),
    )
    session.add(record)
    session.commit()
    return _public(record, utcnow())


def policies(*, session: Session, customs_code: str | None = None) -> list[ReleasePolicyPublic]:
    """Every policy (of one customs office), newest first."""
    stmt = select(ReleasePolicyRecord).order_by(col(ReleasePolicyRecord.created_at).desc())
    if customs_code is not None:
        stmt = stmt.where(ReleasePolicyRecord.customs_code == customs_code)
    now = utcnow()
    return [_public(r, now) for r in session.exec(stmt).all()]


def _policy(session: Session, policy_id: str) -> ReleasePolicyRecord:
    record = session.get(ReleasePolicyRecord, policy_id.lower())
    if record is None:
        raise NotFound(f"no release policy {policy_id}", field="policyId")
    return record


def revoke(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    policy_id: str,
    body: SignedAuthorization,
) -> ReleasePolicyPublic:
    """Relay customs' signed revocation (action RevokeReleasePolicy, subject the policy id)."""
    record = _policy(session, policy_id)
    check_signer(party, body.signer)
    if record.revoked_at is not None:
        raise Conflict(f"policy {policy_id} was revoked already", code="already_revoked")
    by = Signed(body.signer, body.nonce, body.deadline, body.signature)
    try:
        result = runtime.ledger().relayer().revoke_release_policy_with_sig(record.policy_id, by)
    except ContractReverted as exc:
        name = exc.error_name or ""
        if name == "TradeRegistryNotPolicyRevoker":
            raise PermissionDenied(
                "only the policy's signer or customs revokes it", field="signer"
            ) from exc
        if name in ("TradeRegistryInvalidSigner", "InvalidAccountNonce"):
            raise UnprocessableContent(
                f"the revocation's signature does not hold: {name}", field="signature"
            ) from exc
        raise Conflict(f"the contract refused: {exc}", code="refused") from exc
    record.revoked_at = utcnow()
    record.revoked_tx = result.tx_hash
    session.add(record)
    session.commit()
    return _public(record, utcnow())


# --- the decisions ----------------------------------------------------------------------


def _value_fen(trade: TradeRecord) -> tuple[int | None, str | None]:
    """The trade's customs value in fen, or why there is none to compare with a policy."""
    if trade.customs_value is None:
        return None, "the trade declares no customs value"
    if (trade.currency or "").upper() not in _YUAN:
        return None, f"the customs value is in currency {trade.currency}, not yuan"
    try:
        fen = Decimal(trade.customs_value) * 100
    except InvalidOperation:
        return None, f"the customs value {trade.customs_value!r} is not a number"
    if fen != fen.to_integral_value() or fen < 0:
        return None, f"the customs value {trade.customs_value} is not a whole number of fen"
    return int(fen), None


def _skip_reason(
    policy: ReleasePolicyRecord, trade: TradeRecord, grade: str, fen: int | None, why: str | None
) -> str | None:
    if grade not in policy.grades.split(","):
        held = " (held)" if grade == "high" else ""
        return f"risk grade {grade}{held} is not among the policy's grades {policy.grades}"
    if why is not None:
        return why
    if fen is not None and fen > policy.max_value_fen:
        return (
            f"customs value {fen / 100:.2f} exceeds the policy's {policy.max_value_fen / 100:.2f}"
        )
    return None


def _candidates(session: Session, policy: ReleasePolicyRecord) -> Sequence[TradeRecord]:
    decided = exists().where(
        col(AutoReleaseRecord.trade_id) == col(TradeRecord.trade_id),
        col(AutoReleaseRecord.verdict_hash) == col(TradeRecord.verdict_hash),
        or_(
            col(AutoReleaseRecord.policy_id) == policy.policy_id,
            col(AutoReleaseRecord.outcome).in_(("queued", "released")),
        ),
    )
    stmt = (
        select(TradeRecord)
        .where(
            TradeRecord.status == "match",
            col(TradeRecord.verdict_batch).is_not(None),
            col(TradeRecord.released_at).is_(None),
            col(TradeRecord.mode).in_(policy.modes.split(",")),
            ~decided,
        )
        .order_by(col(TradeRecord.verdict_batch), col(TradeRecord.verdict_position))
        .limit(DECISIONS_PER_PASS)
    )
    return session.exec(stmt).all()


def _verdict_roots(session: Session, batches: set[int]) -> dict[int, str]:
    rows = session.exec(
        select(AnchorBatchRecord.chain_batch, AnchorBatchRecord.root).where(
            AnchorBatchRecord.lane == "verdict",
            AnchorBatchRecord.state == "confirmed",
            col(AnchorBatchRecord.chain_batch).in_(batches),
        )
    ).all()
    return {int(b): r for b, r in rows if b is not None and r is not None}


def decide(engine: Engine, runtime: AnchoringHost) -> int:
    """Decide every matched, anchored, unreleased trade under each policy in force; queue
    those within it for release. Returns how many trades were decided (commits)."""
    now = utcnow()
    with Session(engine) as session:
        in_force = session.exec(
            select(ReleasePolicyRecord).where(
                col(ReleasePolicyRecord.revoked_at).is_(None),
                col(ReleasePolicyRecord.valid_from) <= now,
                col(ReleasePolicyRecord.valid_until) > now,
            )
        ).all()
        decided = 0
        refreshed = False
        for policy in in_force:
            trades = _candidates(session, policy)
            if not trades or not _in_force_on_chain(session, runtime, policy, now):
                continue
            if not refreshed:  # the grades read the alerts: judge the marked groups first
                refresh_alerts(session, runtime.settings.risk.thresholds(), now)
                refreshed = True
            roots = _verdict_roots(session, {t.verdict_batch for t in trades if t.verdict_batch})
            for trade in trades:
                if trade.verdict_batch not in roots:
                    continue  # its verdict batch is being re-checked: the next pass
                _decide_one(session, policy, trade, roots[trade.verdict_batch], now)
                decided += 1
        session.commit()
        return decided


def _in_force_on_chain(
    session: Session, runtime: AnchoringHost, policy: ReleasePolicyRecord, now: datetime
) -> bool:
    """Whether the chain still holds the policy in force. Customs may revoke it from its own
    wallet, or lose its role, without telling sandan: then nothing is queued under it, and a
    revocation is mirrored."""
    view = runtime.ledger().trade.release_policy_of(policy.policy_id)
    if view is not None and view.revoked and policy.revoked_at is None:
        policy.revoked_at = now
        session.add(policy)
    return view is not None and view.in_force


def _decide_one(
    session: Session,
    policy: ReleasePolicyRecord,
    trade: TradeRecord,
    verdict_root: str,
    now: datetime,
) -> None:
    inputs_value = grade_inputs(session, trade, now)
    grade, _points, factors = grade_of_inputs(inputs_value)
    inputs = canonical_json({**inputs_value, "policyId": policy.policy_id})
    inputs_hash = hashlib.sha256(inputs.encode("utf-8")).hexdigest()
    fen, why = _value_fen(trade)
    held = active_hold(session, trade.trade_id)
    reason = (
        f"held by customs {held.party_code}: {held.reason}"
        if held is not None
        else _skip_reason(policy, trade, grade, fen, why)
    )
    decision = RiskDecisionRecord(
        trade_id=trade.trade_id,
        kind="auto_release" if reason is None else "auto_skip",
        grade=grade,
        factors=canonical_json([f.model_dump(by_alias=True) for f in factors]),
        inputs=inputs,
        inputs_hash=inputs_hash,
        party_code=policy.customs_code,
        reason=reason,
        created_at=now,
    )
    session.add(decision)
    session.flush()
    auto = AutoReleaseRecord(
        trade_id=trade.trade_id,
        verdict_hash=trade.verdict_hash or "",
        policy_id=policy.policy_id,
        outcome="queued" if reason is None else "skipped",
        reason=reason,
        grade=grade,
        mode=trade.mode,
        value_fen=fen,
        decision_id=decision.id,
        inputs_hash=inputs_hash,
        verdict_batch=trade.verdict_batch,
        verdict_position=trade.verdict_position,
        created_at=now,
    )
    session.add(auto)
    session.flush()
    batch, position, mode = trade.verdict_batch, trade.verdict_position, trade.mode
    if reason is not None or fen is None or batch is None or position is None or mode is None:
        return
    assert auto.id is not None  # flushed
    lane = ReleaseLane(policy.policy_id, batch)
    payload = ReleasePayload(
        trade_id=trade.trade_id,
        verdict_root=verdict_root,
        position=position,
        grade=grade,
        mode=mode,
        value=fen,
        inputs_hash=inputs_hash,
        decision=auto.id,
    )
    session.add(lane.outbox_record(trade.trade_id, payload, created_at=now))


def anchor_worker(runtime: Runtime, **options: Any) -> AnchorWorker:
    """The anchoring worker of a service process, deciding automatic releases each pass."""
    return AnchorWorker(runtime, decide=lambda: decide(runtime.engine, runtime), **options)


# --- reading the decisions --------------------------------------------------------------


def _decision_public(session: Session, auto: AutoReleaseRecord) -> AutoReleasePublic:
    decision = session.get(RiskDecisionRecord, auto.decision_id) if auto.decision_id else None
    trade = session.get(TradeRecord, auto.trade_id)
    carried = _proof(session, auto)
    return AutoReleasePublic(
        id=auto.id or 0,
        trade_id=auto.trade_id,
        verdict_hash=auto.verdict_hash,
        policy_id=auto.policy_id,
        outcome=auto.outcome,
        reason=auto.reason,
        grade=auto.grade,
        mode=auto.mode,
        value_fen=auto.value_fen,
        inputs=json.loads(decision.inputs) if decision is not None else None,
        inputs_hash=auto.inputs_hash,
        verdict_batch=auto.verdict_batch,
        verdict_position=auto.verdict_position,
        release_tx=trade.release_tx if trade is not None and auto.outcome == "released" else None,
        decisions_root=carried.decisions_root,
        proof=carried.proof,
        release_facts=carried.facts,
        fact_index=carried.fact_index,
        created_at=auto.created_at,
    )


@dataclass(frozen=True)
class _Carried:
    """Where a released decision sits in the release that carried it."""

    decisions_root: str | None = None
    proof: list[str] | None = None
    facts: str | None = None
    fact_index: int | None = None


def _proof(session: Session, auto: AutoReleaseRecord) -> _Carried:
    """The decisions root of the release that carried ``auto``, its leaf's proof, and the
    release's facts (whose keccak-256 the contract emitted) with this decision's index."""
    if auto.outcome != "released" or auto.verdict_batch is None:
        return _Carried()
    lane = ReleaseLane(auto.policy_id, auto.verdict_batch)
    mine = session.exec(
        select(OutboxRecord).where(
            OutboxRecord.kind == "release",
            OutboxRecord.lane == lane.name,
            OutboxRecord.subject == auto.trade_id,
        )
    ).first()
    if mine is None or mine.batch_id is None:
        return _Carried()
    rows = session.exec(
        select(OutboxRecord)
        .where(OutboxRecord.batch_id == mine.batch_id)
        .order_by(col(OutboxRecord.id))
    ).all()
    decided = lane.decisions(rows)
    tree = OrderedMerkleTree(decision_leaves(auto.verdict_batch, decided))
    index = sorted(decided).index(lane.parse(mine.payload).position)
    return _Carried(
        tree.root.hex(),
        [p.hex() for p in tree.proof(index)],
        decision_facts(decided).hex(),
        index,
    )


def decisions(
    *,
    session: Session,
    outcome: str | None,
    trade_id: str | None,
    limit: int,
    offset: int,
) -> AutoReleasesPublic:
    """A page of automatic decisions, newest first."""
    stmt = select(AutoReleaseRecord)
    if outcome is not None:
        stmt = stmt.where(AutoReleaseRecord.outcome == outcome)
    if trade_id is not None:
        stmt = stmt.where(AutoReleaseRecord.trade_id == trade_id)
    count = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(
        stmt.order_by(col(AutoReleaseRecord.id).desc()).offset(offset).limit(limit)
    ).all()
    return AutoReleasesPublic(
        data=[_decision_public(session, r) for r in rows],
        count=count,
        limit=limit,
        offset=offset,
    )


def decision_of(*, session: Session, decision_id: int) -> AutoReleasePublic:
    """One automatic decision, with its inputs and, once released, its proof."""
    auto = session.get(AutoReleaseRecord, decision_id)
    if auto is None:
        raise NotFound(f"no automatic decision {decision_id}", field="decisionId")
    return _decision_public(session, auto)
