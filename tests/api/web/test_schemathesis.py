"""Schemathesis against the service's own OpenAPI schema: no 5xx, responses match the schema.

The app runs in process (ASGI) on a fresh SQLite database and in-process chain,
once per module. Each operation gets a bounded number of generated requests,
made as a party holding every role, and again without credentials.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.db.engine import make_engine
from api.demo.parties import register_party
from api.runtime import Runtime
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
    engine = make_engine(f"sqlite:///{tmp / 'sandan.db'}")
    runtime = Runtime.from_settings(settings_, engine=engine, ledger_factory=lambda: ledger)
    application = create_app(runtime=runtime)
    with TestClient(application) as client:
        application.state.party_headers = register_party(
            client, ADMIN, "ALLROLES01", ALL_ROLES, chain_account=True
        ).headers
        yield application
    engine.dispose()


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
