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
from api.demo.parties import bearer
from api.examples import (
    EXAMPLE_ISSUED_AT,
    EXAMPLE_KEY_ID,
    EXAMPLE_PARTIES,
    EXAMPLE_PARTY,
    EXAMPLE_TRADE_ID,
    example_envelope,
    example_signer,
)
from api.web.main import create_app
from tests.api.conftest import World
from tests.api.factories import registered_at

#: The operations whose examples are posted, in dependency order, and who calls them:
#: ``admin``, an example party's name, ``self`` (the party an example is named after) or
#: ``signer`` (the party that signs the document an example is named after).
EXERCISED: list[tuple[str, str, str]] = [
    ("post", "/parties", "admin"),
    ("post", "/parties/{code}/roles", "admin"),
    ("post", "/parties/{code}/keys", "self"),
    ("post", "/documents", "signer"),
    ("post", "/documents/bulk", "platform"),
    ("post", "/documents/xml", "platform"),
    ("put", "/parties/{code}/xml-certificate", "platform"),
    ("put", "/parties/{code}/company-prefixes", "admin"),
    ("put", "/products/{gtin}", "platform"),
    ("put", "/parties/{code}/locations", "admin"),
    ("post", "/capture", "platform"),
    ("post", "/events", "platform"),
    ("post", "/customs/trades/{trade_id}/release", "customs"),
    # A typed line opened, drawn, repaid and closed (in _check) before the TradeRegistry
    # financing: one live financing per trade.
    ("post", "/banks/financings", "bank"),
    ("post", "/banks/financings/{financing_id}/drawdowns", "bank"),
    ("post", "/banks/financings/{financing_id}/repayments", "bank"),
    ("post", "/banks/trades/{trade_id}/financing", "bank"),
    ("post", "/banks/trades/{trade_id}/settlement", "bank"),
    ("post", "/banks/fx-settlements", "bank"),
    ("post", "/fx/quota/lookup", "bank"),
    ("post", "/lots/{gtin}/{lot}/recall", "inspector"),
    ("post", "/lots/{gtin}/{lot}/clear-recall", "inspector"),
    ("post", "/parties/{code}/chain-account", "admin"),
    ("put", "/parties/{code}/chain-account", "admin"),
    ("post", "/parties/{code}/keys/{key_id}/revoke", "platform"),
    ("post", "/webhooks", "platform"),
]

#: Reads whose query parameters show examples, and who calls them: each example index is
#: sent once (the n-th example of every parameter together), after every write above.
QUERIED: dict[tuple[str, str], str] = {
    ("get", "/customs/summary"): "customs",
    ("get", "/stats"): "customs",
    ("get", "/stats.csv"): "platform",
}

#: Operations that take a body and show no example yet, and why.
_EIP712 = (
    "an EIP-712 authorization binds the chain id and the registry address of one "
    "deployment (and a deadline): no fixed example verifies on every deployment"
)
_LISTING = (
    "a listing ends in the future and is made on chain by a supervisor's own account: a "
    "fixed example would expire, and it lists a real party"
)
WITHOUT_EXAMPLE: dict[tuple[str, str], str] = {
    # A receipt covers stock a warehouse received from a released 9810 trade, which the
    # example world (one import trade) does not hold; tests/api/warehouse issues them.
    ("post", "/warehouses/{code}/receipts"): "needs a warehouse holding 9810 goods",
    ("post", "/warehouses/{code}/receipts/{receipt_id}/cancel"): "needs an issued receipt",
    # The examples run in one world, where the release example releases the example trade:
    # a hold example would either stop that release or be refused as already released.
    (
        "post",
        "/customs/trades/{trade_id}/hold",
    ): "holding the example trade would stop the release example",
    ("post", "/parties/{code}/listing"): _LISTING,
    ("delete", "/parties/{code}/listing"): _LISTING,
    ("post", "/customs/releases/signed"): _EIP712,
    ("post", "/customs/release-policies"): _EIP712,
    ("post", "/customs/release-policies/{policy_id}/revoke"): _EIP712,
    ("post", "/banks/trades/{trade_id}/settlement/signed"): _EIP712,
    ("post", "/banks/trades/{trade_id}/financing/signed"): _EIP712,
    ("post", "/banks/trades/{trade_id}/financing/discharge/signed"): _EIP712,
    ("post", "/returns"): "a return needs a released trade and its e-commerce company's signed "
    "return; tests/api/web/routes/test_returns.py posts them",
    ("post", "/risk/alerts/{alert_id}/review"): "an alert exists only once trades raised it; "
    "tests/api/web/routes/test_risk.py posts reviews of planted alerts",
    ("post", "/customs/receipts"): "a receipt answers a trade's own numbers with a fresh e-port "
    "guid and a returnTime of now: tests/api/web/routes/test_customs_receipts.py posts "
    "receipts built for live trades (api.services.customs_play.customs_receipt_xml)",
    ("post", "/cancellations/xml"): "a cancellation names the inventory number customs "
    "assigned the trade and a fresh appTime, signed twice: "
    "tests/api/web/routes/test_cancellations.py builds and signs them",
    ("post", "/customs/trades/{trade_id}/cancel"): "it needs a pending cancellation "
    "application, and cancelling the example trade would stop the release example",
}

#: The example world's first typed financing is the contract's number 1.
PATH_VALUES = {"code": EXAMPLE_PARTY, "key_id": EXAMPLE_KEY_ID, "financing_id": 1}
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


def _named_examples(operation: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(name, media type, value) of every named request body example of ``operation``."""
    content = operation.get("requestBody", {}).get("content", {})
    return [
        (name, media, example["value"])
        for media, item in content.items()
        for name, example in item.get("examples", {}).items()
    ]


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
    exercised = {(method, path) for method, path, _who in EXERCISED} | set(QUERIED)
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
    exercised = {(method, path) for method, path, _who in EXERCISED} | set(QUERIED)
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


def test_every_property_example_matches_its_property_schema(document: dict[str, Any]) -> None:
    checked = 0
    for name, schema in document["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            for value in prop.get("examples", []):
                rooted = {**prop, "components": document["components"]}
                assert jsonschema.Draft202012Validator(rooted).is_valid(value), (name, field)
                checked += 1
    assert checked > 10


def test_the_envelope_example_matches_its_schema(document: dict[str, Any]) -> None:
    schema = {"$ref": "#/components/schemas/SignedEnvelope", "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(example_envelope())


def _caller(who: str, name: str) -> str:
    """The example name of the party calling with example ``name``."""
    return {"self": name, "signer": example_signer(name) if who == "signer" else ""}.get(who, who)


def _send(world: World, method: str, path: str, media: str, value: Any, headers: dict) -> Any:
    send = {"content": value.encode()} if isinstance(value, str) else {"json": value}
    # The example keys signed at fixed times: register them before then.
    clock = registered_at(KEY_REGISTERED) if path.endswith("/keys") else nullcontext()
    with clock:
        return world.client.request(
            method.upper(), path, headers={**headers, "Content-Type": media}, **send
        )


def _check(world: World, path: str, response: Any, headers: dict) -> None:
    """What each answer must say beyond its 2xx status."""
    body = response.json()
    if path == "/documents":
        assert (body["docType"], body["messageType"]) in {
            ("order", "CEB311"), ("payment", "CEB411"),
            ("waybill", "CEB511"), ("inventory", "CEB621"),
        }  # fmt: skip
        assert body["tradeId"] == EXAMPLE_TRADE_ID
    if path == "/documents/bulk":
        assert [line["status"] for line in body["results"]] == [201, 201], body
    if path == "/documents/xml":
        assert [d["messageType"] for d in body] == ["CEB311"]
    if path == "/banks/financings":
        assert (body["financingId"], body["limit"], body["state"]) == (1, "500.00", "open")
    if path.endswith("/repayments"):  # repaid: the line is closed, freeing the trade
        assert body["outstanding"] == "0.00"
        closed = world.client.post("/banks/financings/1/close", headers=headers)
        assert closed.json()["state"] == "closed", closed.text
    if path == "/capture":  # accepted for later: the job must have captured it
        job = world.client.get(response.headers["Location"], headers=headers).json()
        assert job["success"], job
        assert job["counts"]["captured"] == 1, job


def test_every_example_is_accepted(world: World) -> None:
    assert KEY_REGISTERED < EXAMPLE_ISSUED_AT
    operations = _operations(world.client.get("/openapi.json").json())
    api_keys: dict[str, str] = {}
    for method, template, who in EXERCISED:
        operation = operations[method, template]
        if template.startswith(("/customs", "/banks", "/lots")):
            world.worker.drain()  # the trade's documents and verdict anchored: it may move
        for name, media, value in _named_examples(operation):
            caller = _caller(who, name)
            headers = world.admin if who == "admin" else bearer(api_keys[caller])
            headers = {**headers, **dict(_parameter_examples(operation, "header"))}
            values = {**PATH_VALUES, **dict(_parameter_examples(operation, "path"))}
            if who == "self":
                values["code"] = EXAMPLE_PARTIES[caller].code
            path = template.format(**values)
            response = _send(world, method, path, media, value, headers)
            assert 200 <= response.status_code < 300, (method, path, name, response.text)
            if template == "/parties":
                api_keys[name] = response.json()["apiKey"]
            _check(world, template, response, headers)
    for (method, template), who in QUERIED.items():
        examples = _query_examples(operations[method, template])
        assert examples, (method, template)
        for params in examples:
            response = world.client.request(
                method.upper(), template, params=params, headers=bearer(api_keys[who])
            )
            assert response.status_code == 200, (method, template, params, response.text)


def _query_examples(operation: dict[str, Any]) -> list[dict[str, Any]]:
    """The n-th example of every query parameter that has one, for each n."""
    columns = {
        parameter["name"]: parameter.get("schema", {}).get("examples", [])
        + [e["value"] for e in parameter.get("examples", {}).values()]
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
    }
    columns = {name: values for name, values in columns.items() if values}
    count = min((len(values) for values in columns.values()), default=0)
    return [{name: values[n] for name, values in columns.items()} for n in range(count)]
