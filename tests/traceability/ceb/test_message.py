"""Reading, checking and writing whole CEB messages."""

from __future__ import annotations

import pytest

from tests.traceability.ceb.conftest import SAMPLES, sample
from traceability.ceb import (
    SUPPORTED_MESSAGES,
    CebMessage,
    SchemaViolation,
    UnknownMessage,
    WrongNamespace,
    read_message,
    write_message,
)

CEB = "http://www.chinaport.gov.cn/ceb"


@pytest.mark.parametrize("code", sorted(SAMPLES))
def test_read_message_parses_each_sample(code: str) -> None:
    message = read_message(sample(code))
    assert message.message_type == code
    assert len(message.documents) >= 1
    assert message.base_transfer is not None


@pytest.mark.parametrize("code", sorted(SAMPLES))
def test_write_message_round_trips_each_sample(code: str) -> None:
    message = read_message(sample(code))
    written = write_message(message)
    assert written.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert f"<ceb:{code}Message".encode() in written
    again = read_message(written)
    assert again == message
    assert write_message(again) == written


def test_read_message_keeps_chinese_text_exactly() -> None:
    message = read_message(sample("CEB311"))
    order = message.documents[0]
    assert order.ebcName == "杭州山海优选贸易有限公司"  # type: ignore[attr-defined]
    assert order.items[1].gmodel == "羊毛80%，均码"  # type: ignore[attr-defined]


def test_read_message_keeps_the_signature_element() -> None:
    message = read_message(sample("CEB621"))
    assert message.signature is not None
    assert message.signature.startswith(b"<ds:Signature")
    assert message.source == sample("CEB621")


def test_read_message_accepts_any_prefix_and_a_bom() -> None:
    data = sample("CEB311").replace(b"ceb:", b"x:").replace(b"xmlns:ceb=", b"xmlns:x=")
    message = read_message(b"\xef\xbb\xbf" + data)
    assert message == read_message(sample("CEB311"))


def test_read_message_accepts_prefixless_receipt() -> None:
    receipt = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<CEB312Message xmlns="{CEB}" guid="4CE3A0F2-1B2C-4D5E-8F90-A1B2C3D4E5F6" version="1.0">'
        "<OrderReturn><guid>4CE3A0F2-1B2C-4D5E-8F90-A1B2C3D4E5F7</guid>"
        "<ebpCode>3301960001</ebpCode><ebcCode>3301960002</ebcCode>"
        "<orderNo>SD20240315000001</orderNo><returnStatus>120</returnStatus>"
        "<returnTime>20240315110000123</returnTime><returnInfo>[Code:2600;Desc:入库成功]</returnInfo>"
        "</OrderReturn></CEB312Message>"
    ).encode()
    message = read_message(receipt)
    assert message.message_type == "CEB312"
    assert message.documents[0].returnStatus == "120"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("document", "error"),
    [
        (b'<CEB311Message xmlns="http://example.com/ceb" guid="x"/>', WrongNamespace),
        (b'<CEB311Message guid="x"/>', WrongNamespace),
        (f'<CEB999Message xmlns="{CEB}"/>'.encode(), UnknownMessage),
        (f'<Order xmlns="{CEB}"/>'.encode(), UnknownMessage),
    ],
    ids=["other-namespace", "no-namespace", "unknown-code", "not-a-message"],
)
def test_read_message_rejects_unknown_roots(document: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        read_message(document)


def test_read_message_rejects_unexpected_type() -> None:
    with pytest.raises(UnknownMessage, match="expected a CEB411"):
        read_message(sample("CEB311"), expect=("CEB411",))


def _issues(data: bytes) -> set[tuple[str, str]]:
    with pytest.raises(SchemaViolation) as caught:
        read_message(data)
    return {(issue.path, issue.reason) for issue in caught.value.issues}


def _mutate(code: str, old: str, new: str) -> bytes:
    data = sample(code)
    assert data.count(old.encode()) == 1, old
    return data.replace(old.encode(), new.encode())


HEAD = "CEB311Message/Order[1]/OrderHead"
INV = "CEB621Message/Inventory[1]/InventoryHead"

# (message, old text, new text, expected path, expected reason)
SCHEMA_CASES = [
    (
        "CEB311",
        "<ceb:currency>142</ceb:currency>\n      <ceb:buyerRegNo>",
        "<ceb:currency>502</ceb:currency>\n      <ceb:buyerRegNo>",
        f"{HEAD}/currency",
        "schema.fixed",
    ),
    (
        "CEB311",
        "<ceb:goodsValue>298.00</ceb:goodsValue>",
        "<ceb:goodsValue>298.000001</ceb:goodsValue>",
        f"{HEAD}/goodsValue",
        "schema.decimal",
    ),
    (
        "CEB311",
        "<ceb:goodsValue>298.00</ceb:goodsValue>",
        "<ceb:goodsValue>12345678901234567890</ceb:goodsValue>",
        f"{HEAD}/goodsValue",
        "schema.decimal",
    ),
    (
        "CEB311",
        "<ceb:goodsValue>298.00</ceb:goodsValue>",
        "<ceb:goodsValue>二百</ceb:goodsValue>",
        f"{HEAD}/goodsValue",
        "schema.type",
    ),
    (
        "CEB311",
        "<ceb:appTime>20240315103000</ceb:appTime>",
        "<ceb:appTime>20241315103000</ceb:appTime>",
        f"{HEAD}/appTime",
        "schema.format",
    ),
    (
        "CEB311",
        "<ceb:appType>1</ceb:appType>",
        "<ceb:appType>4</ceb:appType>",
        f"{HEAD}/appType",
        "schema.enumeration",
    ),
    (
        "CEB311",
        "<ceb:orderNo>SD20240315000001</ceb:orderNo>",
        f"<ceb:orderNo>{'N' * 61}</ceb:orderNo>",
        f"{HEAD}/orderNo",
        "schema.length",
    ),
    (
        "CEB311",
        "<ceb:consigneeDistrict>330106</ceb:consigneeDistrict>",
        "<ceb:consigneeDistrict>3301</ceb:consigneeDistrict>",
        f"{HEAD}/consigneeDistrict",
        "schema.length",
    ),
    ("CEB311", "<ceb:buyerName>张三</ceb:buyerName>", "", f"{HEAD}/buyerName", "schema.required"),
    (
        "CEB311",
        "<ceb:buyerName>张三</ceb:buyerName>",
        "<ceb:buyerName></ceb:buyerName>",
        f"{HEAD}/buyerName",
        "schema.required",
    ),
    (
        "CEB311",
        "<ceb:buyerIdType>1</ceb:buyerIdType>",
        "<ceb:buyerIdType>2</ceb:buyerIdType>",
        f"{HEAD}/buyerIdType",
        "schema.fixed",
    ),
    (
        "CEB311",
        "<ceb:note>测试订单</ceb:note>",
        "<ceb:note>测试订单</ceb:note><ceb:extra>1</ceb:extra>",
        f"{HEAD}/extra",
        "schema.unexpected",
    ),
    (
        "CEB311",
        "<ceb:appType>1</ceb:appType>\n      <ceb:appTime>20240315103000</ceb:appTime>",
        "<ceb:appTime>20240315103000</ceb:appTime>\n      <ceb:appType>1</ceb:appType>",
        f"{HEAD}/appType",
        "schema.order",
    ),
    (
        "CEB311",
        "<ceb:gnum>2</ceb:gnum>",
        "<ceb:gnum>3</ceb:gnum>",
        "CEB311Message/Order[1]/OrderList[2]/gnum",
        "schema.sequence",
    ),
    (
        "CEB311",
        "<ceb:gnum>2</ceb:gnum>",
        "<ceb:gnum>x</ceb:gnum>",
        "CEB311Message/Order[1]/OrderList[2]/gnum",
        "schema.type",
    ),
    (
        "CEB311",
        'guid="6F9619FF-8B86-D011-B42D-00C04FC96401"',
        'guid="short"',
        "CEB311Message/@guid",
        "schema.length",
    ),
    (
        "CEB311",
        "<ceb:dxpMode>DXP</ceb:dxpMode>",
        "",
        "CEB311Message/BaseTransfer/dxpMode",
        "schema.required",
    ),
    (
        "CEB511",
        "<ceb:packNo>1</ceb:packNo>",
        "<ceb:packNo>2</ceb:packNo>",
        "CEB511Message/Logistics[1]/LogisticsHead/packNo",
        "schema.fixed",
    ),
    ("CEB621", "<ceb:trafNo>CA1234</ceb:trafNo>", "", f"{INV}/trafNo", "schema.required"),
    (
        "CEB621",
        "<ceb:tradeMode>9610</ceb:tradeMode>",
        "<ceb:tradeMode>1210</ceb:tradeMode>",
        f"{INV}/emsNo",
        "schema.required",
    ),
    (
        "CEB621",
        "<ceb:tradeMode>9610</ceb:tradeMode>",
        "<ceb:tradeMode>1210</ceb:tradeMode>",
        "CEB621Message/Inventory[1]/InventoryList[1]/itemRecordNo",
        "schema.required",
    ),
    (
        "CEB621",
        "<ceb:tradeMode>9610</ceb:tradeMode>",
        "<ceb:tradeMode>9710</ceb:tradeMode>",
        f"{INV}/tradeMode",
        "schema.enumeration",
    ),
    (
        "CEB621",
        "<ceb:declTime>20240315</ceb:declTime>",
        "<ceb:declTime>20240230</ceb:declTime>",
        f"{INV}/declTime",
        "schema.format",
    ),
    (
        "CEB603",
        "<ceb:fFlag>3</ceb:fFlag>",
        "<ceb:fFlag>1</ceb:fFlag>",
        "CEB603Message/Inventory[1]/InventoryHead/fFlag",
        "schema.fixed",
    ),
    (
        "CEB603",
        "<ceb:POD>FRA</ceb:POD>",
        "<ceb:POD>FR</ceb:POD>",
        "CEB603Message/Inventory[1]/InventoryHead/POD",
        "schema.length",
    ),
    (
        "CEB603",
        "<ceb:tradeMode>9610</ceb:tradeMode>",
        "<ceb:tradeMode>1210</ceb:tradeMode>",
        "CEB603Message/Inventory[1]/InventoryHead/iacCode",
        "schema.required",
    ),
    (
        "CEB303",
        "<ceb:orderType>E</ceb:orderType>",
        "<ceb:orderType>I</ceb:orderType>",
        "CEB303Message/Order[1]/OrderHead/orderType",
        "schema.enumeration",
    ),
    (
        "CEB607",
        "<ceb:appStatus>1</ceb:appStatus>",
        "<ceb:appStatus>2</ceb:appStatus>",
        "CEB607Message/WayBill[1]/WayBillHead/appStatus",
        "schema.signature_required",
    ),
    (
        "CEB607",
        "<ceb:msgSeqNo>1</ceb:msgSeqNo>",
        "<ceb:msgSeqNo>2</ceb:msgSeqNo>",
        "CEB607Message/WayBill[1]/WayBillHead/msgSeqNo",
        "schema.range",
    ),
    (
        "CEB701",
        "<ceb:summaryFlag>1</ceb:summaryFlag>",
        "<ceb:startTime>20240401000000</ceb:startTime>\n      <ceb:summaryFlag>1</ceb:summaryFlag>",
        "CEB701Message/SummaryApply[1]/SummaryApplyHead/endTime",
        "schema.required",
    ),
    (
        "CEB701",
        "<ceb:summaryFlag>1</ceb:summaryFlag>",
        "<ceb:startTime>20240430000000</ceb:startTime><ceb:endTime>20240401000000</ceb:endTime>"
        "<ceb:summaryFlag>1</ceb:summaryFlag>",
        "CEB701Message/SummaryApply[1]/SummaryApplyHead/endTime",
        "schema.range",
    ),
    (
        "CEB625",
        "<ceb:reason>羊毛袜尺码不合适，整单退货其中一项</ceb:reason>",
        "",
        "CEB625Message/InvtRefund[1]/InvtRefundHead/reason",
        "schema.required",
    ),
]


@pytest.mark.parametrize(("code", "old", "new", "path", "reason"), SCHEMA_CASES)
def test_read_message_reports_schema_issue(
    code: str, old: str, new: str, path: str, reason: str
) -> None:
    assert (path, reason) in _issues(_mutate(code, old, new))


def test_read_message_reports_signature_missing_on_import_inventory() -> None:
    data = sample("CEB621")
    start, end = data.index(b"<ds:Signature"), data.index(b"</ds:Signature>") + 15
    issues = _issues(data[:start] + data[end:])
    assert ("CEB621Message/Signature", "schema.required") in issues
    assert (f"{INV}/appStatus", "schema.signature_required") in issues


def test_read_message_reports_all_issues_at_once() -> None:
    data = _mutate("CEB311", "<ceb:appType>1</ceb:appType>", "<ceb:appType>9</ceb:appType>")
    data = data.replace(b"<ceb:freight>10.00</ceb:freight>", b"<ceb:freight>x</ceb:freight>")
    data = data.replace(b"<ceb:consignee>", b"<ceb:consignee2>").replace(
        b"</ceb:consignee>", b"</ceb:consignee2>"
    )
    with pytest.raises(SchemaViolation) as caught:
        read_message(data)
    issues = caught.value.issues
    assert {issue.message_type for issue in issues} == {"CEB311"}
    paths = {issue.path for issue in issues}
    assert {
        f"{HEAD}/appType",
        f"{HEAD}/freight",
        f"{HEAD}/consignee",
        f"{HEAD}/consignee2",
    } <= paths


def test_write_message_refuses_too_many_documents() -> None:
    summary = read_message(sample("CEB701"))
    doubled = CebMessage(
        "CEB701", summary.guid, summary.documents * 101, base_transfer=summary.base_transfer
    )
    with pytest.raises(SchemaViolation, match="documents"):
        write_message(doubled)


def test_supported_messages_cover_declarations_and_receipts() -> None:
    assert set(SAMPLES) < set(SUPPORTED_MESSAGES)
    assert {"CEB312", "CEB622", "CEB626", "CEB702", "CEB900"} < set(SUPPORTED_MESSAGES)
