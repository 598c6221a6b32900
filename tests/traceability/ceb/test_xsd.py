"""Every CEB message sandan reads or writes, checked against the official 2022-05 XSDs."""

from __future__ import annotations

import pytest

from tests.traceability.ceb.conftest import ASSIGNED, DATA, NOW, guids
from tests.traceability.ceb.official_xsd import xsd_children, xsd_errors
from traceability.ceb import (
    RECEIPT_FOR,
    SUPPORTED_MESSAGES,
    CebError,
    SchemaViolation,
    build_format_receipt,
    build_receipt,
    message_spec,
    read_message,
    write_message,
)
from traceability.ceb.spec import UNBOUNDED, Field, Group

MESSAGES = sorted(DATA.glob("*/*.xml"))


def _name(path: object) -> str:
    return str(path).removeprefix(f"{DATA}/")


def test_the_samples_cover_every_supported_message_type() -> None:
    types = {read_message(path.read_bytes()).message_type for path in MESSAGES}
    assert types == set(SUPPORTED_MESSAGES)


@pytest.mark.parametrize("path", MESSAGES, ids=_name)
def test_each_sample_is_in_xsd_order_and_read(path: object) -> None:
    """The samples are valid XSD instances, so reading them reads each type in XSD order."""
    data = DATA.joinpath(_name(path)).read_bytes()
    assert xsd_errors(data) == []
    assert read_message(data).documents


@pytest.mark.parametrize("path", MESSAGES, ids=_name)
def test_write_message_output_is_valid_against_the_xsd(path: object) -> None:
    written = write_message(read_message(DATA.joinpath(_name(path)).read_bytes()))
    assert xsd_errors(written) == []


@pytest.mark.parametrize("declaration", sorted(RECEIPT_FOR))
def test_build_receipt_output_is_valid_against_the_xsd(declaration: str) -> None:
    source = next(p for p in MESSAGES if read_message(p.read_bytes()).message_type == declaration)
    receipt = build_receipt(
        read_message(source.read_bytes()),
        status="120",
        info="入库",
        now=NOW,
        assigned=ASSIGNED,
        new_guid=guids(),
    )
    assert xsd_errors(write_message(receipt)) == []


def test_build_format_receipt_output_is_valid_against_the_xsd() -> None:
    receipt = build_format_receipt(
        b"<not-xml",
        CebError("not well-formed"),
        now=NOW,
        ori_cop_msg_id="MSG-1",
        ori_message_type="CEB311Message",
    )
    assert xsd_errors(write_message(receipt)) == []


def test_ceb626_in_the_xsd_order_agent_ebp_ebc_is_read_and_written_so() -> None:
    data = (DATA / "receipts" / "CEB626.xml").read_bytes()
    assert data.index(b"<agentCode>") < data.index(b"<ebpCode>") < data.index(b"<ebcCode>")
    message = read_message(data)
    written = write_message(message)
    assert written.index(b"agentCode>") < written.index(b"ebpCode>") < written.index(b"ebcCode>")


def _without_signature(data: bytes) -> bytes:
    start, end = data.index(b"<ds:Signature"), data.index(b"</ds:Signature>") + 15
    return data[:start] + data[end:]


def test_ceb625_without_its_signature_is_refused_as_the_xsd_refuses_it() -> None:
    unsigned = _without_signature((DATA / "import" / "return.xml").read_bytes())
    assert xsd_errors(unsigned) != []
    with pytest.raises(SchemaViolation) as caught:
        read_message(unsigned)
    issues = {(issue.path, issue.reason) for issue in caught.value.issues}
    assert ("CEB625Message/Signature", "schema.required") in issues


def test_write_message_refuses_a_ceb625_that_carries_no_signature() -> None:
    """No placeholder signature: an unsigned CEB625 is not a message the e-port accepts."""
    message = read_message((DATA / "import" / "return.xml").read_bytes())
    unsigned = type(message)(
        message.message_type,
        message.guid,
        message.documents,
        base_transfer=message.base_transfer,
    )
    with pytest.raises(SchemaViolation) as caught:
        write_message(unsigned)
    issues = {(issue.path, issue.reason) for issue in caught.value.issues}
    assert ("CEB625Message/Signature", "schema.required") in issues


def _groups(group: Group, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Group]]:
    found = [(path, group)]
    for node in group.children:
        if isinstance(node, Group):
            found.extend(_groups(node, (*path, node.name)))
    return found


@pytest.mark.parametrize("code", SUPPORTED_MESSAGES)
def test_every_element_sits_where_the_xsd_puts_it(code: str) -> None:
    """Order, optionality and bounds of every element, optional ones the samples omit too."""
    spec = message_spec(code)
    for path, group in _groups(Group(spec.root, spec.children), (spec.root,)):
        xsd = xsd_children(spec.flow, path)
        assert [node.name for node in group.children] == [c.name for c in xsd], path
        for node, child in zip(group.children, xsd, strict=True):
            high = UNBOUNDED if child.max_occurs is None else child.max_occurs
            if isinstance(node, Field):
                assert (node.required, high) == (child.min_occurs >= 1, 1), (path, node.name)
            else:
                assert (node.min_occurs, node.max_occurs) == (child.min_occurs, high), (
                    path,
                    node.name,
                )
