"""Every example ``/openapi.json`` shows is accepted by the service, and every schema in it
is valid, with each ``$ref`` resolving.

The examples are posted in the order a newcomer would: the party, then its key, then its
documents. The example key is registered with the service's clock set before the
envelopes' fixed ``issuedAt`` (a key is valid from its registration): the clock seam
:func:`tests.api.factories.registered_at`; the bodies sent are exactly the examples.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest

from api.config import ApiSettings
from api.examples import EXAMPLE_ISSUED_AT, EXAMPLE_KEY_ID, EXAMPLE_PARTY, example_envelope
from api.web.main import create_app
from tests.api.conftest import World
from tests.api.factories import registered_at

#: The operations whose examples are posted, in dependency order, and who calls them.
EXERCISED: list[tuple[str, str, str]] = [
    ("post", "/parties", "admin"),
    ("post", "/parties/{code}/roles", "admin"),
    ("post", "/parties/{code}/keys", "party"),
    ("post", "/documents", "party"),
    ("post", "/documents/bulk", "party"),
    ("post", "/documents/xml", "party"),
    ("put", "/parties/{code}/company-prefixes", "admin"),
    ("put", "/parties/{code}/locations", "admin"),
    ("post", "/capture", "party"),
    ("post", "/events", "party"),
    ("post", "/parties/{code}/keys/{key_id}/revoke", "party"),
]

#: Operations that take a body and show no example yet, and why.
WITHOUT_EXAMPLE: dict[tuple[str, str], str] = {
    ("put", "/parties/{code}/xml-certificate"): "needs an X.509 certificate of the example "
    "party's XML signing key",
    ("put", "/parties/{code}/chain-account"): "for a customs office or bank holding its own "
    "chain key, which the example platform is not",
    ("post", "/customs/trades/{trade_id}/release"): "needs a matched trade with an anchored "
    "verdict (order, payment and waybill of three parties)",
    ("post", "/customs/releases/signed"): "needs a matched trade and an EIP-712 signature",
    ("post", "/banks/trades/{trade_id}/settlement"): "needs a released trade",
    ("post", "/banks/trades/{trade_id}/financing"): "needs a matched trade",
    ("post", "/banks/trades/{trade_id}/settlement/signed"): "needs a released trade and an "
    "EIP-712 signature",
    ("post", "/banks/trades/{trade_id}/financing/signed"): "needs a matched trade and an "
    "EIP-712 signature",
    ("post", "/banks/trades/{trade_id}/financing/discharge/signed"): "needs a financed trade "
    "and an EIP-712 signature",
    ("post", "/lots/{gtin}/{lot}/recall"): "needs an anchored lot and an inspector",
    ("post", "/lots/{gtin}/{lot}/clear-recall"): "needs a recalled lot and an inspector",
}

PATH_VALUES = {"code": EXAMPLE_PARTY, "key_id": EXAMPLE_KEY_ID}
#: Before the example documents' issue times: the envelopes' issuedAt and the XML
#: message's appTime (March 2025).
KEY_REGISTERED = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The OpenAPI document of an app (no request is made to it)."""
    path = tmp_path_factory.mktemp("openapi") / "sandan.db"
    return create_app(ApiSettings(database_url=f"sqlite:///{path}")).openapi()


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def _body_examples(operation: dict[str, Any]) -> list[tuple[str, Any]]:
    """(media type, value) of every request body example of ``operation``."""
    found = []
    for media, content in operation.get("requestBody", {}).get("content", {}).items():
        found += [(media, example["value"]) for example in content.get("examples", {}).values()]
        if "example" in content:
            found.append((media, content["example"]))
        found += [(media, value) for value in content.get("schema", {}).get("examples", [])]
    return found


def _parameter_examples(operation: dict[str, Any], where: str = "") -> list[tuple[str, Any]]:
    """(name, value) of every parameter example of ``operation`` (those ``in`` ``where``)."""
    found = []
    for parameter in operation.get("parameters", []):
        if where and parameter["in"] != where:
            continue
        values = [e["value"] for e in parameter.get("examples", {}).values()]
        values += [parameter["example"]] if "example" in parameter else []
        values += parameter.get("schema", {}).get("examples", [])
        found += [(parameter["name"], value) for value in values]
    return found


def test_every_body_has_an_example_or_a_stated_reason(document: dict[str, Any]) -> None:
    operations = _operations(document)
    exercised = {(method, path) for method, path, _who in EXERCISED}
    for key, operation in operations.items():
        if "requestBody" not in operation:
            continue
        if key in exercised:
            assert _body_examples(operation), f"{key} is exercised but shows no example"
        else:
            assert key in WITHOUT_EXAMPLE, f"{key} takes a body and shows no example or reason"
            assert not _body_examples(operation), f"{key} shows an example no test posts"
    assert set(WITHOUT_EXAMPLE) <= set(operations), "a listed operation no longer exists"


def test_only_exercised_operations_show_parameter_examples(document: dict[str, Any]) -> None:
    exercised = {(method, path) for method, path, _who in EXERCISED}
    for key, operation in _operations(document).items():
        if _parameter_examples(operation):
            assert key in exercised, f"{key} shows parameter examples no test sends"


def test_every_ref_resolves_and_every_component_is_a_valid_schema(
    document: dict[str, Any],
) -> None:
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    assert refs
    for ref in refs:
        target: Any = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
    for name, schema in document["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema), name


def test_every_document_type_has_a_titled_described_schema(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["ImportOrder"]["title"] == "ImportOrder (CEB311)"
    assert "142 (CNY)" in schemas["ImportOrder"]["properties"]["currency"]["description"]
    assert "007 (个" in schemas["ImportOrderItem"]["properties"]["unit"]["description"]
    anyof = schemas["SignedEnvelope"]["properties"]["payload"]["properties"]["document"]["anyOf"]
    assert {ref["$ref"].rpartition("/")[2] for ref in anyof} == {
        "ImportOrder", "ImportPayment", "ImportWaybill", "ImportInventory",
        "ExportOrder", "ExportReceipt", "ExportWaybill", "ExportInventory",
    }  # fmt: skip
    body = document["paths"]["/documents"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/SignedEnvelope"}


def test_the_envelope_example_matches_its_schema(document: dict[str, Any]) -> None:
    schema = {"$ref": "#/components/schemas/SignedEnvelope", "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(example_envelope())


def _path(template: str) -> str:
    for name, value in PATH_VALUES.items():
        template = template.replace("{" + name + "}", value)
    return template


def test_every_example_is_accepted(world: World) -> None:
    assert KEY_REGISTERED < EXAMPLE_ISSUED_AT
    document = world.client.get("/openapi.json").json()
    operations = _operations(document)
    api_key = ""
    for method, path, who in EXERCISED:
        for media, value in _body_examples(operations[method, path]):
            headers = world.admin if who == "admin" else {"Authorization": f"Bearer {api_key}"}
            headers = {**headers, **dict(_parameter_examples(operations[method, path], "header"))}
            query = dict(_parameter_examples(operations[method, path], "query"))
            body = value.encode() if isinstance(value, str) else None
            send = {"content": body} if body is not None else {"json": value}
            # The example key signed at fixed times: register it before them.
            clock = (
                registered_at(KEY_REGISTERED) if path == "/parties/{code}/keys" else nullcontext()
            )
            with clock:
                response = world.client.request(
                    method.upper(),
                    _path(path),
                    headers={**headers, "Content-Type": media},
                    params=query,
                    **send,
                )
            assert 200 <= response.status_code < 300, (method, path, response.text)
            if path == "/parties":
                api_key = response.json()["apiKey"]
            if path == "/documents":
                assert response.json()["docType"] == "order"
                assert response.json()["messageType"] == "CEB311"
            if path == "/capture":  # accepted for later: the job must have captured it
                job = world.client.get(response.headers["Location"], headers=headers).json()
                assert job["success"], job
                assert job["counts"]["captured"] == 1, job
            if path == "/documents/xml":
                assert [d["messageType"] for d in response.json()] == ["CEB311"]
            if path == "/documents/bulk":
                statuses = [line["status"] for line in response.json()["results"]]
                assert statuses == [201, 201], response.text
