"""Receipts answer each declaration in the customs format and read back equal."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tests.traceability.ceb.conftest import ASSIGNED, DATA, NOW, guids, sample
from traceability.ceb import (
    RECEIPT_FOR,
    CebError,
    CustomsStatus,
    SchemaViolation,
    build_format_receipt,
    build_receipt,
    read_message,
    receipt_time,
    status_for_verdict,
    write_message,
)


@pytest.mark.parametrize("declaration", sorted(RECEIPT_FOR))
def test_build_receipt_writes_and_reads_back(declaration: str) -> None:
    message = read_message(sample(declaration))
    receipt = build_receipt(
        message,
        status=CustomsStatus.RELEASED,
        info="放行",
        now=NOW,
        assigned=ASSIGNED,
        new_guid=guids(),
    )
    assert receipt.message_type == RECEIPT_FOR[declaration]
    written = write_message(receipt)
    assert read_message(written) == receipt
    returned = receipt.documents[0]
    assert returned.returnStatus == "800"  # type: ignore[attr-defined]
    assert returned.returnTime == "20240315110000987"  # type: ignore[attr-defined]


def test_build_receipt_names_missing_eport_fields() -> None:
    with pytest.raises(SchemaViolation) as caught:
        build_receipt(read_message(sample("CEB621")), status="120", info="入库", now=NOW)
    assert any(issue.path.endswith("preNo") for issue in caught.value.issues)


def test_build_receipt_refuses_a_receipt_as_declaration() -> None:
    receipt = build_receipt(read_message(sample("CEB311")), status="120", info="ok", now=NOW)
    with pytest.raises(CebError, match="not a declaration"):
        build_receipt(receipt, status="120", info="ok", now=NOW)


@pytest.mark.parametrize(
    ("verdict", "status"), [("match", "120"), ("mismatch", "100"), ("invalid", "100")]
)
def test_status_for_verdict_maps_to_customs_codes(verdict: str, status: str) -> None:
    assert status_for_verdict(verdict) == status


def test_receipt_time_rejects_naive_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        receipt_time(datetime(2024, 1, 1))


def test_build_format_receipt_quotes_the_bad_message() -> None:
    bad = b"<ceb:CEB311Message>\x01\xff broken"
    receipt = build_format_receipt(
        bad,
        CebError("not well-formed"),
        now=NOW,
        ori_cop_msg_id="MSG-1",
        ori_message_type="CEB311Message",
    )
    again = read_message(write_message(receipt))
    returned = again.documents[0]
    assert again.message_type == "CEB900"
    assert returned.returnStatus == "-1"  # type: ignore[attr-defined]
    assert returned.oriBizMessage.startswith("<ceb:CEB311Message>")  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", sorted((DATA / "receipts").glob("*.xml")), ids=lambda p: p.stem)
def test_read_message_parses_prefixless_receipt_samples(path: Path) -> None:
    data = path.read_bytes()
    assert b"<ceb:" not in data
    message = read_message(data)
    assert message.message_type == path.stem
    assert read_message(write_message(message)) == message


def test_every_customs_status_has_its_xsd_meaning() -> None:
    from traceability.ceb import STATUS_MEANING

    codes = {status.value for status in CustomsStatus if not status.value.startswith("-")}
    assert set(STATUS_MEANING) == codes
    assert (STATUS_MEANING["800"], STATUS_MEANING["500"], STATUS_MEANING["100"]) == (
        "放行",
        "查验",
        "海关退单",
    )
