"""The OpenAPI document's request schemas and examples for signed documents.

The document routes receive their body as plain JSON (or text) and check it themselves,
so that their errors keep their codes and fields (api/services/documents.py,
traceability/signing/envelope.py). What they take is described here instead:

* a JSON Schema component per document model, generated from
  :data:`traceability.trade.models.DOCUMENT_MODELS` (``ImportOrder (CEB311)`` …), with the
  field descriptions and code-list meanings of the domain;
* ``SignedEnvelope``, whose ``payload.document`` is any one of them, as the request body of
  ``POST /documents``, and the line and body formats of the NDJSON and XML routes;
* the request examples of :data:`REQUEST_EXAMPLES`, built from :mod:`api.examples`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from fastapi import FastAPI
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from api import examples
from traceability.ceb.models import ExportReturnApplication, ReturnApplication
from traceability.trade.models import DOCUMENT_MODELS

__all__ = ["PARAMETER_EXAMPLES", "REQUEST_EXAMPLES", "document_components", "install_documents"]

_REF: Final = "#/components/schemas/{model}"
_TRADE_DOC_TYPES: Final = ["order", "payment", "waybill", "inventory"]
#: The return applications ``POST /returns`` takes: import CEB625, export CEB213.
_RETURN_MODELS: Final[tuple[type[BaseModel], ...]] = (ReturnApplication, ExportReturnApplication)


def document_components() -> dict[str, Any]:
    """Every document model's schema, and the models they use, by component name."""
    _, top = models_json_schema(
        [(model, "validation") for model in (*DOCUMENT_MODELS.values(), *_RETURN_MODELS)],
        by_alias=True,
        ref_template=_REF,
    )
    components: dict[str, Any] = top["$defs"]
    components["SignedEnvelope"] = _signed_envelope()
    components["SignedReturnEnvelope"] = _signed_envelope(
        title="SignedReturnEnvelope",
        doc_types=["return", "export-return"],
        models=_RETURN_MODELS,
        about="The return application: CEB625 (docType return) or CEB213 (export-return), "
        "with CEB element names as keys.",
    )
    return components


def _signed_envelope(
    *,
    title: str = "SignedEnvelope",
    doc_types: list[str] = _TRADE_DOC_TYPES,
    models: tuple[type[BaseModel], ...] = tuple(DOCUMENT_MODELS.values()),
    about: str = "The CEB business document, with CEB element names as keys. Its message "
    "type follows from docType and its fields: an import order has orderType I (CEB311), an "
    "export one E, B or W (CEB303)...",
) -> dict[str, Any]:
    documents = [{"$ref": _REF.format(model=model.__name__)} for model in models]
    payload = {
        "type": "object",
        "additionalProperties": False,
        "required": ["docType", "party", "keyId", "issuedAt", "salt", "document"],
        "properties": {
            "docType": {"enum": doc_types, "description": "What the document is."},
            "party": {"type": "string", "description": "The signing party's code (yours)."},
            "keyId": {"type": "string", "description": "Which of your registered keys signed."},
            "issuedAt": {
                "type": "string",
                "format": "date-time",
                "description": "RFC 3339 UTC time of signing; not before the key's validFrom.",
            },
            "salt": {"type": "string", "description": "16 random bytes, base64url."},
            "document": {"description": about, "anyOf": documents},
        },
    }
    return {
        "title": title,
        "description": "A document signed by the party that issued it: the signature covers "
        "the RFC 8785 canonical bytes of payload.",
        "type": "object",
        "additionalProperties": False,
        "required": ["payload", "alg", "signature"],
        "properties": {
            "payload": payload,
            "alg": {"enum": ["Ed25519", "ES256", "ES256K", "SM2"]},
            "signature": {"type": "string", "description": "64 bytes, base64url."},
        },
    }


Examples = Callable[[], dict[str, dict[str, Any]]]
"""A factory of named examples: name → {"summary", "value"}."""


def _one(summary: str, value: Callable[[], Any]) -> Examples:
    return lambda: {"example": {"summary": summary, "value": value()}}


def _named(summary: str, values: Callable[[], dict[str, Any]]) -> Examples:
    return lambda: {
        name: {"summary": f"{summary}: {name}", "value": value} for name, value in values().items()
    }


_JSON: Final = "application/json"

#: (path, method) → media type → its named examples (built when OpenAPI is asked for).
#: The example names of parties, keys and documents match (tests post them together).
REQUEST_EXAMPLES: Final[Mapping[tuple[str, str], Mapping[str, Examples]]] = {
    ("/parties", "post"): {_JSON: _named("An example party", examples.example_parties)},
    ("/parties/{code}/keys", "post"): {
        _JSON: _named(
            "An example Ed25519 key (example only; never use)", examples.example_key_bodies
        )
    },
    ("/parties/{code}/roles", "post"): {
        _JSON: _one("Let the platform record EPCIS events too.", lambda: {"role": "producer"})
    },
    ("/parties/{code}/company-prefixes", "put"): {
        _JSON: _one("A GS1 company prefix of the brand owner.", examples.example_company_prefixes)
    },
    ("/parties/{code}/locations", "put"): {
        _JSON: _one("GLNs where the party records events.", examples.example_locations)
    },
    ("/parties/{code}/chain-account", "post"): {
        _JSON: _one(
            "A custodial account, created later for a party registered without one "
            "(sandan holds its key; PUT with an address replaces it by your own).",
            lambda: {"custodial": True},
        )
    },
    ("/products/{gtin}", "put"): {
        _JSON: _one(
            "The product a GTIN of the example lot is, named by its brand owner.",
            lambda: {
                "name": "Gannan navel oranges, 5 kg case",
                "nameZh": "赣南脐橙 5 公斤装",
                "brand": "Xinfeng Cooperative",
                "brandZh": "信丰合作社",
            },
        )
    },
    ("/parties/{code}/chain-account", "put"): {
        _JSON: _one(
            "The account a customs office holds the key of.",
            lambda: {"address": examples.EXAMPLE_CHAIN_ACCOUNT},
        )
    },
    ("/parties/{code}/xml-certificate", "put"): {
        _JSON: _one(
            "The certificate that verifies the party's CEB XML ds:Signature.",
            lambda: {"certificatePem": examples.EXAMPLE_XML_CERTIFICATE},
        )
    },
    ("/parties/{code}/keys/{key_id}/revoke", "post"): {
        _JSON: _one("Revoke the example key.", lambda: {"reason": "key compromised"})
    },
    ("/capture", "post"): {
        _JSON: _one(
            "An EPCISDocument: the harvest of a lot (unsigned: recorded, not signed).",
            examples.example_capture,
        )
    },
    ("/events", "post"): {
        _JSON: _one("One event: the packhouse grades the harvested fruit.", examples.example_event)
    },
    ("/lots/{gtin}/{lot}/recall", "post"): {
        _JSON: _one("Why the lot is recalled.", lambda: {"reason": "pesticide residue above limit"})
    },
    ("/lots/{gtin}/{lot}/clear-recall", "post"): {
        _JSON: _one("Why the recall is lifted.", lambda: {"reason": "retest within limits"})
    },
    ("/documents", "post"): {
        _JSON: _named("A document of the example trade", examples.example_documents)
    },
    ("/documents/bulk", "post"): {
        "application/x-ndjson": _one("Two import orders.", examples.example_ndjson)
    },
    ("/documents/xml", "post"): {
        "application/xml": _one("A CEB311 import order.", examples.example_xml)
    },
    ("/customs/trades/{trade_id}/release", "post"): {
        _JSON: _one("Release on the trade's current verdict.", dict)
    },
    ("/banks/trades/{trade_id}/financing", "post"): {
        _JSON: _one(
            "Terms stay off chain; their hash is registered.",
            lambda: {
                "terms": {"amount": "300.00", "currency": "CNY", "rate": "0.0385", "days": 90}
            },
        )
    },
    ("/banks/financings", "post"): {
        _JSON: _one(
            "Receivable financing (应收账款融资) of the released example trade, up to 500.00 "
            "of its 833.00 declared value; the terms stay off chain, their hash is committed.",
            lambda: {
                "kind": "receivable",
                "subject": examples.EXAMPLE_TRADE_ID,
                "limit": "500.00",
                "currency": "142",
                "terms": {"rate": "0.0385", "days": 90},
            },
        )
    },
    ("/banks/financings/{financing_id}/drawdowns", "post"): {
        _JSON: _one(
            "Draw 200.00 of the line, under the bank's own reference (a retry is refused).",
            lambda: {"amount": "200.00", "reference": "DD-2026-0001"},
        )
    },
    ("/banks/financings/{financing_id}/repayments", "post"): {
        _JSON: _one("Repay what was drawn.", lambda: {"amount": "200.00"})
    },
    ("/banks/trades/{trade_id}/settlement", "post"): {
        _JSON: _one("The bank's settlement reference.", lambda: {"settlementRef": "FX-2026-000123"})
    },
    ("/banks/fx-settlements", "post"): {
        _JSON: _one(
            "Twenty dollars settled on the example trade, at 7.1234 yuan per dollar.",
            lambda: {
                "amount": "20.00",
                "currency": "USD",
                "rate": "7.1234",
                "account": "6222021001123456789",
                "valueDate": "2026-12-04",
                "reference": "FX-2026-000124",
                "trades": [{"tradeId": examples.EXAMPLE_TRADE_ID, "amount": "20.00"}],
            },
        )
    },
    ("/fx/quota/lookup", "post"): {
        _JSON: _one(
            "The example trade's buyer, this year.",
            lambda: {"idNumber": "110101199003071234"},
        )
    },
    ("/webhooks", "post"): {
        _JSON: _one(
            "Mismatches and releases, to the platform's ERP.",
            lambda: {
                "url": "https://erp.example.com/sandan/events",
                "kinds": ["verdict.mismatched", "trade.released"],
            },
        )
    },
}

#: (path, method) → parameter name → its example value factory.
PARAMETER_EXAMPLES: Final[Mapping[tuple[str, str], Mapping[str, Callable[[], str]]]] = {
    ("/documents/xml", "post"): {
        "Sandan-Key-Id": lambda: examples.EXAMPLE_KEY_ID,
        "Sandan-Signature": examples.example_xml_signature,
    },
    **{
        ("/parties/{code}/chain-account", method): {
            "code": lambda: examples.EXAMPLE_PARTIES["selfCustody"].code
        }
        for method in ("post", "put")
    },
    ("/products/{gtin}", "put"): {"gtin": lambda: examples.example_lot()["gtin"]},
    **{
        (path, "post"): {
            "gtin": lambda: examples.example_lot()["gtin"],
            "lot": lambda: examples.example_lot()["lot"],
        }
        for path in ("/lots/{gtin}/{lot}/recall", "/lots/{gtin}/{lot}/clear-recall")
    },
    **{
        (path, "post"): {"trade_id": lambda: examples.EXAMPLE_TRADE_ID}
        for path in (
            "/customs/trades/{trade_id}/release",
            "/banks/trades/{trade_id}/financing",
            "/banks/trades/{trade_id}/settlement",
        )
    },
}

_BODY_FORMATS: Final[Mapping[tuple[str, str], Mapping[str, str]]] = {
    ("/documents/bulk", "post"): {
        "application/x-ndjson": "NDJSON: one SignedEnvelope (components/schemas/SignedEnvelope) "
        "per line, each signed by the calling party; blank lines are skipped. Each line is "
        "judged on its own: the answer lists every line's status and error."
    },
    ("/documents/xml", "post"): {
        media: "A CEB message (CEB311/411/511/621/625 import, CEB303/403/505/603 export) as the "
        "2022-05 XSDs define it, UTF-8; its exact bytes signed by the key Sandan-Key-Id "
        "names (Sandan-Signature, base64url). The documents are the schemas ImportOrder "
        "(CEB311) ... in XML form."
        for media in ("application/xml", "text/xml")
    },
}


def install_documents(app: FastAPI) -> None:
    """Make ``app``'s OpenAPI document carry the document schemas and request examples."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        schema.setdefault("components", {}).setdefault("schemas", {}).update(document_components())
        paths = schema.get("paths", {})
        # A return is a signed envelope too (docType return or export-return).
        for path, model in (("/documents", "SignedEnvelope"), ("/returns", "SignedReturnEnvelope")):
            envelope = paths.get(path, {}).get("post")
            if envelope is not None:
                envelope["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": _REF.format(model=model)}}},
                }
        _describe_formats(paths)
        _add_examples(paths)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _describe_formats(paths: Mapping[str, Any]) -> None:
    for (path, method), formats in _BODY_FORMATS.items():
        content = paths.get(path, {}).get(method, {}).get("requestBody", {}).get("content", {})
        for media, description in formats.items():
            if media in content:
                content[media].setdefault("schema", {"type": "string"})["description"] = description


def _add_examples(paths: Mapping[str, Any]) -> None:
    for (path, method), by_name in PARAMETER_EXAMPLES.items():
        for parameter in paths.get(path, {}).get(method, {}).get("parameters", []):
            if parameter["name"] in by_name:
                parameter["example"] = by_name[parameter["name"]]()
    for (path, method), by_media in REQUEST_EXAMPLES.items():
        content = paths.get(path, {}).get(method, {}).get("requestBody", {}).get("content", {})
        for media, named in by_media.items():
            if media in content:
                content[media].pop("example", None)
                content[media]["examples"] = named()
