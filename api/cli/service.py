"""``sandan serve`` (API + anchoring worker) and ``sandan worker`` (worker alone)."""

from __future__ import annotations

import threading

import typer


def register(app: typer.Typer) -> None:
    """Add the service commands."""
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.command("recheck")(recheck)


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    with_worker: bool = typer.Option(
        True, "--worker/--no-worker", help="Run the anchoring worker in-process."
    ),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        help="API processes (one per core serves the most; each keeps its own stored answers).",
    ),
) -> None:
    """Run the HTTP API (and the anchoring worker) on the configured node, or the embedded one."""
    import uvicorn

    from api.config import get_settings
    from api.provisioning import ensure_deployment
    from api.runtime import Runtime, tune_gc_for_service
    from api.services.auto_release import anchor_worker as make_anchor_worker
    from api.services.webhook_delivery import Deliverer
    from api.web.logs import configure_logging
    from api.web.main import create_app

    configure_logging()
    settings = get_settings()
    ensure_deployment(settings)
    runtime = Runtime.from_settings(settings)
    app = create_app(runtime=runtime)
    tune_gc_for_service()
    token_file = settings.ledger.data_dir / "admin-token"
    typer.echo(f"sandan API on http://{host}:{port}  (docs: /docs, admin token in {token_file})")
    worker_thread = None
    anchor_worker = make_anchor_worker(runtime)
    if with_worker:
        worker_thread = threading.Thread(
            target=anchor_worker.run_forever, name="anchor-worker", daemon=True
        )
        worker_thread.start()
    # Webhooks are sent by this process alone, however many API processes serve.
    deliverer = Deliverer(runtime)
    deliverer_thread = threading.Thread(
        target=deliverer.run_forever, name="webhook-deliverer", daemon=True
    )
    deliverer_thread.start()
    try:
        # sandan logs each request itself, as JSON with its request id.
        if workers == 1:
            uvicorn.run(
                app, host=host, port=port, log_level="info", access_log=False, log_config=None
            )
        else:
            # Each process builds its own app from the same environment (the deployment is
            # in place now), logging as this one does.
            uvicorn.run(
                "api.web.main:create_logged_app",
                factory=True,
                workers=workers,
                host=host,
                port=port,
                log_level="info",
                access_log=False,
                log_config=None,
            )
    finally:
        anchor_worker.stop_event.set()
        deliverer.stop_event.set()
        if worker_thread is not None:
            worker_thread.join(timeout=10)
        deliverer_thread.join(timeout=10)


_RECHECK_HELP = (
    "First re-check every anchored batch against the chain (after restoring the database"
    " from a backup): see `sandan recheck`."
)


def worker(
    with_recheck: bool = typer.Option(False, "--recheck", help=_RECHECK_HELP),
) -> None:
    """Run the anchoring worker alone. Several share one database by splitting the kinds of
    work (SANDAN_WORKER_KINDS), each with its own anchorer account (SANDAN_ANCHORER_KEY)."""
    from api.config import get_settings
    from api.runtime import Runtime, tune_gc_for_service
    from api.services.auto_release import anchor_worker as make_anchor_worker
    from api.web.logs import configure_logging

    configure_logging()
    settings = get_settings()
    runtime = Runtime.from_settings(settings)
    anchor_worker = make_anchor_worker(runtime)
    if with_recheck:
        anchor_worker.recheck()
    tune_gc_for_service()
    try:
        anchor_worker.run_forever()
    except KeyboardInterrupt:
        anchor_worker.stop_event.set()


def recheck(
    timeout: float = typer.Option(
        300.0, help="Seconds to wait for the re-anchored and pending batches to confirm."
    ),
) -> None:
    """Re-check every anchored batch against the chain after a database restore, repair
    what differs, anchor what is pending, and print what was found (JSON)."""
    import json

    from api.config import get_settings
    from api.runtime import Runtime
    from api.services.auto_release import anchor_worker as make_anchor_worker
    from api.web.logs import configure_logging

    configure_logging()
    settings = get_settings()
    runtime = Runtime.from_settings(settings)
    anchor_worker = make_anchor_worker(runtime)
    report = anchor_worker.recheck()
    try:
        anchor_worker.drain(timeout=timeout)
    except TimeoutError:
        typer.echo(json.dumps({**report.to_dict(), "drained": False}))
        raise typer.Exit(1) from None
    typer.echo(json.dumps({**report.to_dict(), "drained": True}))
