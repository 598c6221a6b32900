"""The examples ``/openapi.json`` shows: one party, its key and documents it signed.

They are real: a test (tests/api/web/test_openapi_examples.py) posts every one of them to
the service and expects it accepted. The party registers with the ``POST /parties``
example, adds the key of the ``POST /parties/{code}/keys`` example, and submits the
envelopes, which that key signed.

The key is derived from a published seed: **example only; never use it** — anyone can
sign with it. ``issuedAt`` is fixed so the examples do not change from one start to the
next; a key is valid from its registration, so the example key must be registered
before :data:`EXAMPLE_ISSUED_AT` for the envelopes to be accepted (the test does so
through the service's clock seam).
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from functools import cache
from typing import Any, Final

from traceability import DocType, SignedEnvelope, sign_envelope
from traceability.signing import Algorithm, SigningKey
from traceability.epcis.samples import OrangeLot, navel_orange_chain
from traceability.trade.samples import PLATFORM, ImportTerms, import_order_json

__all__ = [
    "EXAMPLE_ISSUED_AT",
    "EXAMPLE_KEY_ID",
    "EXAMPLE_KEY_SEED",
    "EXAMPLE_PARTY",
    "EXAMPLE_PARTY_NAME",
    "example_capture",
    "example_company_prefixes",
    "example_envelope",
    "example_event",
    "example_locations",
    "example_key",
    "example_ndjson",
    "example_xml",
    "example_xml_signature",
    "example_party",
    "example_public_key",
]

#: The seed of the example Ed25519 key, published: example only; never use.
EXAMPLE_KEY_SEED: Final = hashlib.sha256(
    b"sandan OpenAPI example key: example only; never use"
).digest()
#: The example platform (the sample trade's platform, 杭州跨境优选).
EXAMPLE_PARTY: Final = PLATFORM[0]
EXAMPLE_PARTY_NAME: Final = PLATFORM[1]
EXAMPLE_KEY_ID: Final = "ebp-2026-01"
#: When the example envelopes were signed.
EXAMPLE_ISSUED_AT: Final = datetime(2026, 1, 15, 2, 0, tzinfo=UTC)
#: The order number of the XML example (a trade of its own: a CEB XML message claims its
#: documents' appTime, March 2025, as their issue time).
EXAMPLE_XML_ORDER: Final = "SD20250301000201"
# One salt per envelope: a key may not sign two documents with the same salt (replay rule).
_SALTS: Final = (bytes(range(16)), bytes(range(16, 32)), bytes(range(32, 48)))


def example_key() -> SigningKey:
    """The example signing key (Ed25519, from :data:`EXAMPLE_KEY_SEED`)."""
    return SigningKey.from_private_bytes(Algorithm.ED25519, EXAMPLE_KEY_SEED)


def example_public_key() -> str:
    """The example key's public half: raw 32 bytes, base64url."""
    return example_key().public_key


def example_party() -> dict[str, Any]:
    """The ``POST /parties`` example body."""
    return {"code": EXAMPLE_PARTY, "name": EXAMPLE_PARTY_NAME, "roles": ["platform"]}


def example_key_body() -> dict[str, Any]:
    """The ``POST /parties/{code}/keys`` example body."""
    return {"keyId": EXAMPLE_KEY_ID, "alg": "Ed25519", "publicKey": example_public_key()}


@cache
def _envelope(order_no: str, salt: bytes) -> SignedEnvelope:
    document = import_order_json(ImportTerms(order_no=order_no))
    return sign_envelope(
        document,
        doc_type=DocType.ORDER,
        party=EXAMPLE_PARTY,
        key_id=EXAMPLE_KEY_ID,
        signing_key=example_key(),
        salt=salt,
        issued_at=EXAMPLE_ISSUED_AT,
    )


def example_envelope() -> dict[str, Any]:
    """The ``POST /documents`` example: a complete CEB311 order signed by the example key."""
    return _envelope(ImportTerms().order_no, _SALTS[0]).to_wire()


def example_ndjson() -> str:
    """The ``POST /documents/bulk`` example: two orders, one envelope per line."""
    lines = [
        _envelope("SD20250301000101", _SALTS[1]).to_wire(),
        _envelope("SD20250301000102", _SALTS[2]).to_wire(),
    ]
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)


@cache
def example_xml() -> str:
    """The ``POST /documents/xml`` example: a CEB311 message holding one import order."""
    from traceability.ceb import CebMessage, write_message
    from traceability.ceb.models import BaseTransfer
    from traceability.trade.models import ImportOrder

    order = ImportOrder.model_validate(import_order_json(ImportTerms(order_no=EXAMPLE_XML_ORDER)))
    transfer = BaseTransfer(
        copCode=EXAMPLE_PARTY, copName=EXAMPLE_PARTY_NAME, dxpMode="DXP", dxpId="DXPENT0000000001"
    )
    message = CebMessage("CEB311", order.guid, (order,), base_transfer=transfer)
    return write_message(message).decode("utf-8")


def example_xml_signature() -> str:
    """The ``Sandan-Signature`` header of :func:`example_xml`: its bytes signed, base64url."""
    signature = example_key().sign(example_xml().encode("utf-8"))
    return base64.urlsafe_b64encode(signature).rstrip(b"=").decode("ascii")


#: The sample orange lot the EPCIS examples follow (a fictitious GS1 China company).
_LOT: Final = OrangeLot()
_CHAIN_START: Final = datetime(2025, 11, 5, tzinfo=UTC)


def example_company_prefixes() -> dict[str, Any]:
    """The ``PUT /parties/{code}/company-prefixes`` example: the lot's brand owner's."""
    return {"prefixes": [_LOT.company_prefix]}


def example_locations() -> dict[str, Any]:
    """The ``PUT /parties/{code}/locations`` example: the farm and the packhouse."""
    return {"glns": [_LOT.farm, _LOT.packhouse]}


def _chain() -> dict[str, Any]:
    return navel_orange_chain(_CHAIN_START, _LOT)


def example_capture() -> dict[str, Any]:
    """The ``POST /capture`` example: an EPCISDocument with the harvest (commissioning)."""
    chain = _chain()
    return {**chain, "epcisBody": {"eventList": chain["epcisBody"]["eventList"][:1]}}


def example_event() -> dict[str, Any]:
    """The ``POST /events`` example: one event, the packhouse's grading of the harvest."""
    chain = _chain()
    # Alone, the event carries the document's @context: its sandan: extension is named there.
    return {"@context": chain["@context"], **chain["epcisBody"]["eventList"][1]}
