"""Every message type sandan writes, as sandan writes it, against the official 2022-05 XSDs.

The list of types is the registry's (``SPECS``): a type added there without a way to write
it here fails :func:`test_every_registered_type_has_a_writer`, so none is forgotten.
Declarations are written the way the API sends them (:func:`outgoing_message`: one stored
document, the party's BaseTransfer; a type whose XSD requires ds:Signature signed by the
party); receipts the way sandan answers or customs is played (:func:`build_receipt`,
:func:`build_format_receipt`); CEB701 by :func:`build_summary_application`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from tests.traceability.ceb.conftest import ASSIGNED, NOW, Signer, guids, make_signer, sample
from tests.traceability.ceb.official_xsd import xsd_errors
from traceability.ceb import (
    RECEIPT_FOR,
    CebMessage,
    CustomsStatus,
    ReleasedInventory,
    SchemaViolation,
    base_transfer,
    build_format_receipt,
    build_receipt,
    build_summary_application,
    needs_party_signature,
    outgoing_message,
    read_message,
    sign_xml,
    write_message,
)
from traceability.ceb._registry import SPECS
from traceability.trade import samples

PLACEHOLDER = b'<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>'
TRANSFER = base_transfer("3301960A01", "杭州跨境优选电子商务有限公司", "DXPENT0000000001")


@pytest.fixture(scope="module")
def party_signer() -> Signer:
    return make_signer("3301960A01 outgoing signer")


def _trade_documents() -> dict[str, object]:
    """The trade documents sandan stores, by message type (from the JSON samples)."""
    found: dict[str, object] = {}
    for docs in (samples.import_trade(), samples.export_trade()):
        for document in (docs.order, docs.payment, docs.waybill, docs.inventory):
            assert document is not None
            found[type(document).message_type] = document
    return found


def _declaration(code: str, signer: Signer) -> bytes:
    """The outgoing message of type ``code``, signed by the party where the XSD needs it."""
    stored = _trade_documents().get(code) or read_message(sample(code)).documents[0]
    message = outgoing_message(code, stored, guid=guids()(), transfer=TRANSFER)  # type: ignore[arg-type]
    if not needs_party_signature(code, stored):  # type: ignore[arg-type]
        return write_message(message)
    unsigned = write_message(dataclasses.replace(message, signature=PLACEHOLDER))
    return sign_xml(
        unsigned, private_key_pem=signer.key_pem, certificate_pem=signer.cert_pem, key_name="k1"
    )


def _receipt(code: str, _signer: Signer) -> bytes:
    """The receipt ``code`` as sandan writes it, answering a sample of its declaration."""
    if code == "CEB900":
        error = SchemaViolation(())
        receipt = build_format_receipt(
            b"<broken", error, now=NOW, ori_cop_msg_id="X1", new_guid=guids()
        )
        return write_message(receipt)
    (declaration,) = (d for d, r in RECEIPT_FOR.items() if r == code)
    receipt = build_receipt(
        read_message(sample(declaration)),
        status=CustomsStatus.RELEASED,
        info="[Code:2600;Desc:放行]",
        now=NOW,
        assigned=ASSIGNED,
        new_guid=guids(),
    )
    return write_message(receipt)


def _summary(_code: str, _signer: Signer) -> bytes:
    """CEB701 from one released B-flag export inventory."""
    inventory = read_message(sample("CEB603"))
    receipt = build_receipt(
        inventory,
        status=CustomsStatus.RELEASED,
        info="放行",
        now=NOW,
        assigned=ASSIGNED,
        new_guid=guids(),
    )
    released = ReleasedInventory(inventory.documents[0], receipt.documents[0])  # type: ignore[arg-type]
    application = build_summary_application(
        [released],
        company="3301960012",
        period_start=datetime(2024, 3, 1, tzinfo=UTC),
        period_end=datetime(2024, 3, 31, tzinfo=UTC),
        guid="7A1B2C3D-0000-4000-8000-000000007011",
        now=NOW.replace(microsecond=0),
        cop_no="SUM20240331001",
        agent=("3301960015", "宁波三单报关有限公司"),
        decl_agent=("3301960015", "宁波三单报关有限公司"),
    )
    message = CebMessage("CEB701", "7A1B2C3D-0000-4000-8000-000000000701", (application,))
    return write_message(dataclasses.replace(message, base_transfer=TRANSFER))


def _writer(code: str) -> Callable[[str, Signer], bytes] | None:
    spec = SPECS[code]
    if code == "CEB701":
        return _summary
    if spec.kind == "receipt" and (code == "CEB900" or code in RECEIPT_FOR.values()):
        return _receipt
    if spec.kind == "declaration":
        return _declaration
    return None


def test_every_registered_type_has_a_writer() -> None:
    assert [code for code in SPECS if _writer(code) is None] == []


def test_the_eight_outgoing_trade_messages_come_from_stored_trade_documents() -> None:
    assert set(_trade_documents()) == {
        "CEB311",
        "CEB411",
        "CEB511",
        "CEB621",
        "CEB303",
        "CEB403",
        "CEB505",
        "CEB603",
    }


@pytest.mark.parametrize("code", sorted(SPECS))
def test_every_written_type_is_valid_against_the_official_xsd(
    code: str, party_signer: Signer
) -> None:
    writer = _writer(code)
    assert writer is not None
    written = writer(code, party_signer)
    assert xsd_errors(written) == []
    assert read_message(written).message_type == code


def test_a_signature_required_type_is_refused_unsigned() -> None:
    """sandan does not sign for a party: CEB621 without the party's signature is not written."""
    inventory = _trade_documents()["CEB621"]
    message = outgoing_message("CEB621", inventory, guid="G", transfer=TRANSFER)  # type: ignore[arg-type]
    with pytest.raises(SchemaViolation):
        write_message(message)
