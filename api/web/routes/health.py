"""Liveness, readiness (database, node, worker lag) and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.db import crud
from api.db.models import utcnow
from api.web.deps import AdminDep, RuntimeDep, SessionDep
from api.web.errors import ErrorBodyResponses

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "A dependency is not ready."}})
def ready(session: SessionDep, runtime: RuntimeDep) -> JSONResponse:
    """Readiness: the database answers, the node answers, and the worker keeps up."""
    checks: dict[str, Any] = {}
    ok = True
    try:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        depth = crud.outbox_depth(session=session)
        oldest = crud.oldest_pending_created_at(session=session)
        lag = (utcnow() - oldest).total_seconds() if oldest else 0.0
        checks["database"] = {"ok": True}
        checks["worker"] = {
            "ok": lag < 60,
            "outboxDepth": depth,
            "lagSeconds": round(lag, 3),
            # Writes the contract refused, set aside so the rest goes on: the operator's
            # to look at (anchor_batch.refusal says why), not a reason to stop serving.
            "refusedBatches": crud.refused_batches(session=session),
        }
        ok = ok and lag < 60
    except Exception as exc:  # any database failure means "not ready", with the reason
        checks["database"] = {"ok": False, "error": type(exc).__name__}
        ok = False
    try:
        block = runtime.ledger().block_number()
        checks["node"] = {"ok": True, "blockNumber": block}
    except Exception as exc:  # the node being down is a readiness fact, not a crash
        checks["node"] = {"ok": False, "error": str(exc)[:200]}
        ok = False
    return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)


@router.get("/metrics", response_class=Response, responses={403: ErrorBodyResponses[403]})
def metrics(request: Request, session: SessionDep, _admin: AdminDep) -> Response:
    """Prometheus metrics in the text exposition format (the operator's admin token only)."""
    registry = request.app.state.metrics
    registry.outbox_depth.set(crud.outbox_depth(session=session))
    batches, gas = crud.anchoring_totals(session=session)
    registry.anchoring.update(batches=batches, gas=gas)
    return Response(registry.render(), media_type="text/plain; version=0.0.4")
