"""The writes the authenticate-first middleware lets through without a token are exactly
those the OpenAPI document lists without a security requirement.

The middleware reads them from the routes (:func:`api.web.middleware.open_writes`), not
from the generated document, so that a new app does not build the whole document on its
first write; these tests hold the two to the same answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient

from api.config import ApiSettings
from api.web.deps import get_current_party
from api.web.main import create_app
from api.web.middleware import open_writes

WRITES = {"post", "put", "patch", "delete"}


def _unsecured_in_document(app: FastAPI) -> list[tuple[str, str]]:
    return sorted(
        (verb.upper(), template)
        for template, operations in app.openapi()["paths"].items()
        for verb, operation in operations.items()
        if verb in WRITES and not operation.get("security")
    )


def _app(tmp_path: Path) -> FastAPI:
    return create_app(ApiSettings(database_url=f"sqlite:///{tmp_path / 'db'}"))


def test_every_write_of_the_service_needs_the_token_in_both(tmp_path: Path) -> None:
    app = _app(tmp_path)
    assert open_writes(app) == _unsecured_in_document(app) == []


def _party_code(party: Annotated[Any, Depends(get_current_party)]) -> str:
    return str(party.code)


def test_open_and_secured_extra_routes_are_told_apart_as_the_document_does(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path)
    extra = APIRouter()

    @extra.post("/open-ping")
    def open_ping() -> dict[str, str]:
        return {"pong": "yes"}

    @extra.put("/open-ping/{name}")
    def open_named(name: str) -> dict[str, str]:
        return {"pong": name}

    @extra.post("/nested-secured")
    def nested(code: Annotated[str, Depends(_party_code)]) -> dict[str, str]:
        return {"code": code}

    @extra.post("/declared-secured", openapi_extra={"security": [{"HTTPBearer": []}]})
    def declared() -> dict[str, str]:
        return {"declared": "yes"}

    @extra.post("/hidden", include_in_schema=False)
    def hidden() -> dict[str, str]:
        return {"hidden": "yes"}

    app.include_router(extra)
    expected = [("POST", "/open-ping"), ("PUT", "/open-ping/{name}")]
    assert sorted(open_writes(app)) == _unsecured_in_document(app) == expected
    with TestClient(app) as client:
        # Open writes reach their route without a token; the others are refused first.
        assert client.post("/open-ping").status_code == 200
        assert client.put("/open-ping/x").json() == {"pong": "x"}
        for path in ("/nested-secured", "/declared-secured", "/hidden"):
            assert client.post(path).status_code == 401, path
