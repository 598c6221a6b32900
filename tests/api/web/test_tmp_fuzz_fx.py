"""Schemathesis against the service's own OpenAPI schema: no 5xx, responses match the schema.

The app runs in process (ASGI) on a fresh SQLite database and in-process chain,
once per module. Each operation gets a bounded number of generated requests,
made as a party holding every role, and again without credentials. A stateful run
then follows the schema's OpenAPI links (a party, then its keys, a document, then its
trade and verdict), calling each operation as the one who may: the admin for admin
operations, a party just created with its own API key for its own resources.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    ensure_resource_availability,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from api.anchoring.worker import AnchorWorker
from api.db.engine import make_engine
from api.demo.parties import register_party
from api.runtime import Runtime
from api.web.deps import require_admin
from api.web.main import create_app
from tests.api.factories import app_settings, deployed_ledger

ADMIN = {"Authorization": "Bearer schemathesis-admin"}
ALL_ROLES = ["platform", "payment", "logistics", "customs", "bank", "producer", "inspector"]
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The service on its own database and chain, shared by the module's generated cases."""
    tmp: Path = tmp_path_factory.mktemp("schemathesis")
    ledger = deployed_ledger()
    settings_ = app_settings(
        tmp,
        admin_token=ADMIN["Authorization"].split()[1],
        keystore_secret="schemathesis-keystore",
        max_body_bytes=64 * 1024,
    )
    database = tmp / "sandan.db"
    engine = make_engine(f"sqlite:///{database}")
    runtime = Runtime.from_settings(settings_, engine=engine, ledger_factory=lambda: ledger)
    application = create_app(runtime=runtime)
    with TestClient(application) as client:
        application.state.party_headers = register_party(
            client, ADMIN, "ALLROLES01", ALL_ROLES, chain_account=True
        ).headers
        # Anchor the set-up's registry writes now: left pending, they would make GET /ready
        # answer 503 (worker lag) to any case that runs a minute after set-up.
        AnchorWorker(runtime).drain()
        pristine = tmp / "pristine.db"
        _copy_sqlite(database, pristine)

        def reset() -> None:
            """Back to the database as it was after set-up (no worker runs, so the chain
            did not move): each stateful scenario replays against the same state."""
            engine.dispose()
            _copy_sqlite(pristine, database)

        application.state.reset_database = reset
        yield application
    engine.dispose()


def _copy_sqlite(source: Path, target: Path) -> None:
    """Copy a SQLite database with the backup API (safe with WAL and open readers)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


@pytest.fixture(scope="module")
def api_schema(app: FastAPI) -> Any:
    """The OpenAPI schema served by the app, loaded in process."""
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@schemathesis.serializer("application/x-ndjson")
def _ndjson(_context: Any, value: Any) -> bytes:
    """Bulk bodies are NDJSON text: send generated strings as UTF-8 bytes."""
    return value.encode("utf-8") if isinstance(value, str) else str(value).encode("utf-8")


FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def _fuzz_every_operation(api_schema: Any, headers: dict[str, str]) -> list[str]:
    """Run bounded generated cases against every operation; return what failed, per operation."""
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if not any(k in operation.path for k in ("fx", "tax-refund", "summary-declarations")):
            continue

        @FUZZ
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except (
            Exception,
            BaseExceptionGroup,
        ) as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {type(exc).__name__}: {exc}")
    return failures


def test_api_as_party_has_no_server_error_and_matches_schema(api_schema: Any, app: FastAPI) -> None:
    failures = _fuzz_every_operation(api_schema, app.state.party_headers)
    assert not failures, "\n\n".join(failures)


def test_api_unauthenticated_has_no_server_error_and_matches_schema(api_schema: Any) -> None:
    failures = _fuzz_every_operation(api_schema, {})
    assert not failures, "\n\n".join(failures)


def _admin_operations(app: FastAPI) -> set[tuple[str, str]]:
    """(METHOD, path) of every operation that depends on the admin token, read from the app."""

    def needs_admin(dependant: Any) -> bool:
        return any(d.call is require_admin or needs_admin(d) for d in dependant.dependencies)

    def routes(items: list[Any]) -> Iterator[APIRoute]:
        for item in items:
            if isinstance(item, APIRoute):
                yield item
            elif hasattr(item, "original_router"):  # an included router (FastAPI ≥ 0.16x)
                yield from routes(item.original_router.routes)

    return {
        (method, route.path)
        for route in routes(app.routes)
        if needs_admin(route.dependant)
        for method in route.methods
    }


STATEFUL = settings(
    max_examples=30,
    stateful_step_count=6,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def test_api_statefully_along_its_links(api_schema: Any, app: FastAPI) -> None:
    admin_operations = _admin_operations(app)
    assert ("POST", "/parties") in admin_operations
    created: dict[str, dict[str, str]] = {}  # party code -> its own Authorization header
    followed: list[str] = []  # every operation called, across scenarios
    base = api_schema.as_state_machine()
    assert base.bundles, "the schema links no operation to another"

    class Workflow(base):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            # Replays of a scenario must meet the same server, or Hypothesis cannot shrink.
            app.state.reset_database()
            created.clear()

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            if (case.method.upper(), case.path) in admin_operations:
                return {"headers": ADMIN}
            code = (case.path_parameters or {}).get("code")
            return {"headers": created.get(code, app.state.party_headers)}

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            followed.append(f"{case.method.upper()} {case.path} {response.status_code}")
            if (case.method.upper(), case.path, response.status_code) == ("POST", "/parties", 201):
                body = response.json()
                created[body["code"]] = {"Authorization": f"Bearer {body['apiKey']}"}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(
                response,
                checks=[*CHECKS, use_after_free, ensure_resource_availability],
                headers=kwargs.get("headers"),
            )

    Workflow.run(settings=STATEFUL)
    assert "POST /parties 201" in followed, "the stateful run never created a party"
    assert any(f.startswith("POST /parties/{code}/keys ") for f in followed)
