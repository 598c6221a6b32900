"""OpenAPI links: how one operation's response feeds the next (a party, then its keys, then
its documents, their trade and verdict).

Clients and generated SDKs read them to chain calls, and stateful fuzzers
(schemathesis) follow them to reach past the 404s of random ids. They live here, in one
table, rather than on each route, because a link names two operations at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from fastapi import FastAPI

__all__ = ["LINKS", "install_links"]


def _ref(path: str, method: str) -> str:
    """A JSON pointer to the operation (``~1`` escapes ``/``, RFC 6901)."""
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def _link(path: str, method: str, description: str, **parameters: str) -> dict[str, Any]:
    return {
        "operationRef": _ref(path, method),
        "parameters": parameters,
        "description": description,
    }


_PARTY = "$response.body#/code"
_DOCUMENT = "$response.body#/contentHash"
_TRADE = "$response.body#/tradeId"

#: (path, method, status) of a response → its links, by name.
LINKS: Final[Mapping[tuple[str, str, str], Mapping[str, dict[str, Any]]]] = {
    ("/parties", "post", "201"): {
        "ReadParty": _link("/parties/{code}", "get", "The party just registered.", code=_PARTY),
        "AddKey": _link("/parties/{code}/keys", "post", "Add a signing key.", code=_PARTY),
        "ListKeys": _link("/parties/{code}/keys", "get", "Its signing keys.", code=_PARTY),
        "GrantRole": _link("/parties/{code}/roles", "post", "Grant a role.", code=_PARTY),
        "SetChainAccount": _link(
            "/parties/{code}/chain-account", "put", "Its own chain account.", code=_PARTY
        ),
        "RotateApiKey": _link("/parties/{code}/api-key", "post", "A new API key.", code=_PARTY),
    },
    ("/parties/{code}/keys", "post", "201"): {
        "RevokeKey": _link(
            "/parties/{code}/keys/{key_id}/revoke",
            "post",
            "Revoke the key just added.",
            code="$request.path.code",
            key_id="$response.body#/keyId",
        ),
        "ListKeys": _link(
            "/parties/{code}/keys", "get", "The party's keys.", code="$request.path.code"
        ),
    },
    ("/documents", "post", "201"): {
        "ReadDocument": _link(
            "/documents/{content_hash}", "get", "The stored document.", content_hash=_DOCUMENT
        ),
        "ReadEnvelope": _link(
            "/documents/{content_hash}/envelope",
            "get",
            "The signed envelope as received.",
            content_hash=_DOCUMENT,
        ),
        "ReadProof": _link(
            "/documents/{content_hash}/proof",
            "get",
            "Its Merkle proof, once anchored.",
            content_hash=_DOCUMENT,
        ),
        "ReadTrade": _link("/trades/{trade_id}", "get", "The trade it joined.", trade_id=_TRADE),
        "ReadVerdict": _link(
            "/trades/{trade_id}/verdict", "get", "The trade's verdict.", trade_id=_TRADE
        ),
    },
    ("/banks/financings", "post", "201"): {
        name: _link(path, method, description, financing_id="$response.body#/financingId")
        for name, path, method, description in (
            ("ReadFinancing", "/banks/financings/{financing_id}", "get", "The line just opened."),
            ("Draw", "/banks/financings/{financing_id}/drawdowns", "post", "Draw on it."),
            ("Repay", "/banks/financings/{financing_id}/repayments", "post", "Repay it."),
            ("Close", "/banks/financings/{financing_id}/close", "post", "Close it, repaid."),
        )
    },
    ("/trades/{trade_id}", "get", "200"): {
        "ReadVerdict": _link(
            "/trades/{trade_id}/verdict",
            "get",
            "The trade's verdict.",
            trade_id="$request.path.trade_id",
        ),
        "Release": _link(
            "/customs/trades/{trade_id}/release",
            "post",
            "Customs releases it on its verdict.",
            trade_id="$request.path.trade_id",
        ),
        "Bundle": _link(
            "/banks/trades/{trade_id}/bundle",
            "get",
            "A bank's authenticity bundle.",
            trade_id="$request.path.trade_id",
        ),
    },
}


def install_links(app: FastAPI) -> None:
    """Make ``app``'s OpenAPI document carry :data:`LINKS` (for operations it has)."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        paths = schema.get("paths", {})
        for (path, method, status), links in LINKS.items():
            response = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
            if response is None:
                continue
            response["links"] = {
                name: link for name, link in links.items() if _exists(paths, link["operationRef"])
            }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _exists(paths: Mapping[str, Any], ref: str) -> bool:
    path_part, _, method = ref.removeprefix("#/paths/").rpartition("/")
    path = path_part.replace("~1", "/").replace("~0", "~")
    return method in paths.get(path, {})
