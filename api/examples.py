"""The examples ``/openapi.json`` shows: the parties of one import trade, their keys, the
documents they signed, and what customs and a bank then do with the trade.

They are real: a test (tests/api/web/test_openapi_examples.py) posts every one of them to
the service and expects it accepted. The parties register with the ``POST /parties``
examples, add the keys of the ``POST /parties/{code}/keys`` examples (same example
names), and submit the envelopes, which those keys signed; customs releases the trade
they make, and a bank finances and settles it.

The keys are derived from published seeds: **example only; never use them** — anyone
can sign with them. ``issuedAt`` is fixed so the examples do not change from one start
to the next; a key is valid from its registration, so the example keys must be
registered before :data:`EXAMPLE_ISSUED_AT` for the envelopes to be accepted (the test
does so through the service's clock seam).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Final

from traceability import DocType, SignedEnvelope, sign_envelope
from traceability.epcis.samples import OrangeLot, navel_orange_chain
from traceability.signing import Algorithm, SigningKey
from traceability.trade import TradeKey
from traceability.trade.samples import (
    CARRIER,
    PAYER_COMPANY,
    PLATFORM,
    ImportTerms,
    import_inventory_json,
    import_order_json,
    import_payment_json,
    import_waybill_json,
)

__all__ = [
    "EXAMPLE_CHAIN_ACCOUNT",
    "EXAMPLE_ISSUED_AT",
    "EXAMPLE_KEY_ID",
    "EXAMPLE_KEY_SEED",
    "EXAMPLE_PARTIES",
    "EXAMPLE_PARTY",
    "EXAMPLE_PARTY_NAME",
    "EXAMPLE_TRADE_ID",
    "EXAMPLE_XML_CERTIFICATE",
    "ExampleParty",
    "example_capture",
    "example_company_prefixes",
    "example_documents",
    "example_envelope",
    "example_event",
    "example_key",
    "example_key_bodies",
    "example_locations",
    "example_lot",
    "example_ndjson",
    "example_parties",
    "example_public_key",
    "example_signer",
    "example_xml",
    "example_xml_signature",
]


@dataclass(frozen=True, slots=True)
class ExampleParty:
    """A party of the examples: its registration and, for a signer, its key."""

    code: str
    name: str
    roles: tuple[str, ...]
    key_id: str | None = None
    chain_account: bool = False

    @property
    def seed(self) -> bytes:
        """The 32-byte seed of its Ed25519 key, published: example only; never use."""
        label = "" if self.code == PLATFORM[0] else f" {self.code}"
        text = f"sandan OpenAPI example key{label}: example only; never use"
        return hashlib.sha256(text.encode("utf-8")).digest()

    def key(self) -> SigningKey:
        """Its example signing key."""
        return SigningKey.from_private_bytes(Algorithm.ED25519, self.seed)


#: The example parties by example name: the three signers of the sample import trade,
#: a customs office and a bank (custodial chain accounts: they act on chain through
#: sandan), and a customs office that holds its own chain key (self custody).
EXAMPLE_PARTIES: Final[Mapping[str, ExampleParty]] = {
    "platform": ExampleParty(PLATFORM[0], PLATFORM[1], ("platform",), "ebp-2026-01"),
    "payment": ExampleParty(PAYER_COMPANY[0], PAYER_COMPANY[1], ("payment",), "pay-2026-01"),
    "logistics": ExampleParty(CARRIER[0], CARRIER[1], ("logistics",), "log-2026-01"),
    "customs": ExampleParty("GACC-HZ", "杭州海关", ("customs",), chain_account=True),
    "bank": ExampleParty("BANK-HZ", "杭州示例银行", ("bank",), chain_account=True),
    "selfCustody": ExampleParty("GACC-NB", "宁波海关", ("customs",)),
    "inspector": ExampleParty("CIQ-HZ", "杭州检验检疫实验室", ("inspector",), chain_account=True),
}
#: The account the self-custody customs office registers (an example address).
EXAMPLE_CHAIN_ACCOUNT: Final = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"

_PLATFORM: Final = EXAMPLE_PARTIES["platform"]
#: The example platform (the sample trade's platform, 杭州跨境优选).
EXAMPLE_PARTY: Final = _PLATFORM.code
EXAMPLE_PARTY_NAME: Final = _PLATFORM.name
EXAMPLE_KEY_ID: Final = "ebp-2026-01"
#: The seed of the platform's example key.
EXAMPLE_KEY_SEED: Final = _PLATFORM.seed
#: When the example envelopes were signed.
EXAMPLE_ISSUED_AT: Final = datetime(2026, 1, 15, 2, 0, tzinfo=UTC)
_TERMS: Final = ImportTerms()
#: The tradeId of the example trade (sha256 of "ebpCode/orderNo", hex).
EXAMPLE_TRADE_ID: Final = TradeKey(PLATFORM[0], _TERMS.order_no).trade_id.hex()
#: The order number of the XML example (a trade of its own: a CEB XML message claims its
#: documents' appTime, March 2025, as their issue time).
EXAMPLE_XML_ORDER: Final = "SD20250301000201"
#: Who signs each example document, and its JSON.
_DOCUMENTS: Final = {
    "order": ("platform", import_order_json),
    "payment": ("payment", import_payment_json),
    "waybill": ("logistics", import_waybill_json),
    "inventory": ("platform", import_inventory_json),
}


def _salt(index: int) -> bytes:
    # One salt per envelope of a key: a key may not sign two documents with one salt.
    return bytes(range(16 * index, 16 * index + 16))


def example_key() -> SigningKey:
    """The example platform's signing key (Ed25519, from :data:`EXAMPLE_KEY_SEED`)."""
    return _PLATFORM.key()


def example_public_key() -> str:
    """The example platform key's public half: raw 32 bytes, base64url."""
    return example_key().public_key


def example_parties() -> dict[str, dict[str, Any]]:
    """The ``POST /parties`` examples, by example name."""
    return {
        name: {
            "code": party.code,
            "name": party.name,
            "roles": list(party.roles),
            **({"chainAccount": True} if party.chain_account else {}),
        }
        for name, party in EXAMPLE_PARTIES.items()
    }


def example_key_bodies() -> dict[str, dict[str, Any]]:
    """The ``POST /parties/{code}/keys`` examples, by the example name of their party."""
    return {
        name: {"keyId": party.key_id, "alg": "Ed25519", "publicKey": party.key().public_key}
        for name, party in EXAMPLE_PARTIES.items()
        if party.key_id is not None
    }


@cache
def _envelope(kind: str, terms: ImportTerms, salt: bytes) -> SignedEnvelope:
    signer, build = _DOCUMENTS[kind]
    party = EXAMPLE_PARTIES[signer]
    assert party.key_id is not None
    return sign_envelope(
        build(terms),
        doc_type=DocType(kind),
        party=party.code,
        key_id=party.key_id,
        signing_key=party.key(),
        salt=salt,
        issued_at=EXAMPLE_ISSUED_AT,
    )


def example_documents() -> dict[str, dict[str, Any]]:
    """The ``POST /documents`` examples: the four documents of one import trade, each signed
    by its issuer (the platform signs the order and the inventory)."""
    return {kind: _envelope(kind, _TERMS, _salt(i)).to_wire() for i, kind in enumerate(_DOCUMENTS)}


def example_signer(kind: str) -> str:
    """The example name of the party that signs the ``kind`` document."""
    return _DOCUMENTS[kind][0]


def example_envelope() -> dict[str, Any]:
    """The ``POST /documents`` order example: a complete CEB311 order."""
    return example_documents()["order"]


def example_ndjson() -> str:
    """The ``POST /documents/bulk`` example: two more orders of the platform, one a line."""
    lines = [
        _envelope("order", ImportTerms(order_no="SD20250301000101"), _salt(4)).to_wire(),
        _envelope("order", ImportTerms(order_no="SD20250301000102"), _salt(5)).to_wire(),
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


#: The certificate of the CEB sample messages' signer (tests/data/ceb/certs), its key
#: thrown away: an example of the PEM a party registers for its CEB XML signatures.
EXAMPLE_XML_CERTIFICATE: Final = """\
-----BEGIN CERTIFICATE-----
MIIDQjCCAiqgAwIBAgICEAEwDQYJKoZIhvcNAQELBQAwZDELMAkGA1UEBhMCQ04x
LTArBgNVBAoMJOadreW3nuWxsea1t+S8mOmAiei0uOaYk+aciemZkOWFrOWPuDEm
MCQGA1UEAwwdMzMwMTk2MDAwMiBzYW5kYW4gdGVzdCBzaWduZXIwHhcNMjQwMTAx
MDAwMDAwWhcNMzMxMjI5MDAwMDAwWjBkMQswCQYDVQQGEwJDTjEtMCsGA1UECgwk
5p2t5bee5bGx5rW35LyY6YCJ6LS45piT5pyJ6ZmQ5YWs5Y+4MSYwJAYDVQQDDB0z
MzAxOTYwMDAyIHNhbmRhbiB0ZXN0IHNpZ25lcjCCASIwDQYJKoZIhvcNAQEBBQAD
ggEPADCCAQoCggEBAL4nq+QXZcVSXh3KGfADkkR+4QMS+bhKyd074sDbqJovuNA0
dFwirjrQuyiD+pmYmKv1P0pcs9VCuy4hQ5Jtarzzj9DSkw/NrwDOSV2zSJmau8Be
lBcq91VEO1jP73UyDX/HPp+HfvR8yDngZcFIePCv0FWgl/Kg0Kv27CM0GhO9rrlH
wgJZ5VB5olGUtrRmDf07dnaWk6XLFXmj5HcSIqM9eiI4eG26KJ35NFPCUaendVEY
MtJkLCb8yaIgshyUx3gK6aM5zRr5Kil2yljIF+cpq7RwQiKhpmP+DsvgpWDIt/X0
yW4OeqwR+WhPGucC0DRDcebJCd67XvLZ0qoNTQ8CAwEAATANBgkqhkiG9w0BAQsF
AAOCAQEAN+6Z59p+BaVjnHi5Qfol6rTX7oKKuCoxZ3gnQHbsH5Opm2CGE8YvmfZ+
x8BxRUAKw08BFO5OWco43xM48kyKNQNmCaMHlGKwFRtHdys4Bv2KDHhFg4f52GbW
wEBFk96e5POfSa1zzvc2M9lEx/QfT/m4Gq8QPd50p8liR1B31OlV66/NbZFX7HPq
g8+wBeENMDjkGZQC23VkA3F8EV9VuqJm9YfWTpChyCfkgSdDjptewlHEG03kdqt/
0v67ETP/I7qlGRKTVs5NQzry1PeMLE1jjNrGJ2NiiW/FznUx2NVvflxUWSd0Wlpz
TEJwWHnXwnyosFE+6VBANRAFBr143A==
-----END CERTIFICATE-----
"""


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


def example_lot() -> dict[str, str]:
    """The ``{gtin}`` and ``{lot}`` of the lot the EPCIS examples harvest."""
    return {"gtin": _LOT.raw_gtin, "lot": _LOT.lot}


def example_capture() -> dict[str, Any]:
    """The ``POST /capture`` example: an EPCISDocument with the harvest (commissioning)."""
    chain = _chain()
    return {**chain, "epcisBody": {"eventList": chain["epcisBody"]["eventList"][:1]}}


def example_event() -> dict[str, Any]:
    """The ``POST /events`` example: one event, the packhouse's grading of the harvest."""
    chain = _chain()
    # Alone, the event carries the document's @context: its sandan: extension is named there.
    return {"@context": chain["@context"], **chain["epcisBody"]["eventList"][1]}
