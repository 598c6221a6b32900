"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import Depends, FastAPI

from api.config import ApiSettings, get_settings
from api.runtime import Runtime, tune_gc_for_service
from api.web.errors import register_error_handlers
from api.web.fast import ResolverFastPath
from api.web.media import require_declared_media_type
from api.web.metrics import Metrics
from api.web.middleware import (
    AuthenticateFirstMiddleware,
    BodyGuardMiddleware,
    NulGuardMiddleware,
    RequestIdMiddleware,
)
from api.web.openapi import install_links
from api.web.openapi_documents import install_documents
from api.web.pages import portal
from api.web.ratelimit import RateLimiter
from api.web.routes import (
    banks,
    cancellations,
    credit,
    customs,
    customs_receipts,
    docs,
    documents,
    epcis,
    financings,
    fx,
    health,
    notifications,
    parties,
    products,
    resolver,
    returns,
    risk,
    stats,
    tax_refund,
    trade_life,
    trades,
    verifier,
    warehouses,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from api.anchoring.gateway import LedgerGateway

DESCRIPTION = """
sandan (三单) takes an order, a payment record and a waybill of a cross-border
e-commerce trade, each signed by the party that issued it, checks and stores
them, anchors their hashes on an EVM chain in Merkle batches, compares them
(三单比对) and lets customs release the goods and banks prove the trade is real.

Authenticate with `Authorization: Bearer <API key>`; each route says which
party roles may call it. Every error body is `{"error", "message", "field"}`; an
invalid document or request also lists every problem as `errors` (`{field, message}`,
capped, with `errorCount`). Each document type's JSON Schema is a component
(`ImportOrder (CEB311)` …); the examples are accepted as shown, signed by published
example keys (example only; never use).
"""


def serve_app() -> FastAPI:
    """The service as a uvicorn factory runs it (``api.web.main:serve_app --factory``): the
    app from the environment's settings, in a process tuned to serve it."""
    app = create_app()
    tune_gc_for_service()
    return app


def create_app(
    settings: ApiSettings | None = None,
    *,
    runtime: Runtime | None = None,
    engine: Engine | None = None,
    ledger_factory: Callable[[], LedgerGateway] | None = None,
) -> FastAPI:
    """Build the service: runtime, routers, error handlers and middleware."""
    if runtime is None:
        settings = settings or get_settings()
        runtime = Runtime.from_settings(settings, engine=engine, ledger_factory=ledger_factory)
    app = FastAPI(
        dependencies=[Depends(require_declared_media_type)],
        # The documentation pages are served from the package's own files (routes/docs.py).
        docs_url=None,
        redoc_url=None,
        title="sandan",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=[
            {"name": "parties", "description": "Parties, their roles and signing keys."},
            {"name": "documents", "description": "Signed orders, payments, waybills."},
            {"name": "trades", "description": "Trades and their three-document verdicts."},
            {"name": "customs", "description": "Release of matched trades; summaries."},
            {"name": "banks", "description": "Authenticity bundles, settlement, financing."},
            {"name": "epcis", "description": "EPCIS 2.0 capture and query; lots and recalls."},
            {"name": "resolver", "description": "GS1 Digital Link resolver, consumer page, QR."},
            {"name": "stats", "description": "Statistics and monitoring of the zone's trades."},
            {"name": "notifications", "description": "Inbox, webhooks and their delivery log."},
            {"name": "health", "description": "Liveness, readiness and metrics."},
        ],
    )
    metrics = Metrics()
    app.state.runtime = runtime
    app.state.metrics = metrics
    app.state.rate_limiter = RateLimiter(runtime.settings.rate_limit_per_minute)
    app.state.signin_limiter = RateLimiter(runtime.settings.signin_failures_per_minute)
    for router in (
        parties,
        documents,
        trades,
        customs,
        customs_receipts,
        cancellations,
        trade_life,
        banks,
        financings,
        fx,
        tax_refund,
        risk,
        credit,
        stats,
        returns,
        notifications,
        health,
        epcis,
        products,
        resolver,
        verifier,
        warehouses,
        docs,
        portal,
    ):
        app.include_router(router.router)
    register_error_handlers(app)
    install_documents(app)
    install_links(app)
    app.add_middleware(BodyGuardMiddleware, max_bytes=runtime.settings.max_body_bytes)
    app.add_middleware(AuthenticateFirstMiddleware, fastapi_app=app)
    # Inside the request-id and NUL guards, in front of everything else (see api.web.fast).
    app.add_middleware(ResolverFastPath, fastapi_app=app)
    app.add_middleware(NulGuardMiddleware)
    app.add_middleware(RequestIdMiddleware, metrics=metrics)
    return app


def create_logged_app() -> FastAPI:
    """The app of one of ``sandan serve --workers N``'s processes: JSON logs, then the app."""
    from api.web.logs import configure_logging

    configure_logging()
    return create_app()
