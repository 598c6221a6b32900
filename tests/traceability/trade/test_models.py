"""CEB document models: field validation names the field, mode fields, JSON form, trade key."""

import hashlib
from typing import Any

import pytest
from pydantic import ValidationError

from traceability.errors import InvalidDocument, TraceabilityError
from traceability.trade import (
    DOCUMENT_MODELS,
    ExportInventory,
    ImportInventory,
    ImportOrder,
    ImportPayment,
    InvalidTradeKey,
    TradeKey,
    TradeMode,
    UnknownMessageType,
    parse_document,
    trade_id,
)
from traceability.trade.samples import (
    ExportTerms,
    ImportTerms,
    export_inventory_json,
    export_order_json,
    export_receipt_json,
    export_waybill_json,
    import_inventory_json,
    import_order_json,
    import_payment_json,
    import_waybill_json,
)

SAMPLES = {
    "CEB311": import_order_json(ImportTerms()),
    "CEB411": import_payment_json(ImportTerms()),
    "CEB511": import_waybill_json(ImportTerms()),
    "CEB621": import_inventory_json(ImportTerms()),
    "CEB303": export_order_json(ExportTerms()),
    "CEB403": export_receipt_json(ExportTerms()),
    "CEB505": export_waybill_json(ExportTerms()),
    "CEB603": export_inventory_json(ExportTerms()),
}


def _locs(exc: ValidationError) -> list[tuple[Any, ...]]:
    return [error["loc"] for error in exc.errors()]


@pytest.mark.parametrize("message_type", sorted(SAMPLES))
def test_parse_document_round_trips_json(message_type: str) -> None:
    document = parse_document(message_type, SAMPLES[message_type])
    assert type(document) is DOCUMENT_MODELS[message_type]
    assert document.message_type == message_type
    again = parse_document(message_type, document.to_json_dict())
    assert again == document
    assert again.to_json_dict() == document.to_json_dict()


def test_parse_document_rejects_unknown_message_type() -> None:
    with pytest.raises(UnknownMessageType) as info:
        parse_document("CEB999", {})
    assert isinstance(info.value, InvalidDocument)
    assert isinstance(info.value, TraceabilityError)


@pytest.mark.parametrize(
    ("message_type", "changes", "loc"),
    [
        ("CEB311", {"goodsValue": 808.0}, ("goodsValue",)),
        ("CEB311", {"freight": "1e2"}, ("freight",)),
        ("CEB311", {"discount": "-1"}, ("discount",)),
        ("CEB311", {"taxTotal": "0.000001"}, ("taxTotal",)),
        ("CEB311", {"currency": "502"}, ("currency",)),  # import currency fixed to 142
        ("CEB311", {"orderNo": "x" * 61}, ("orderNo",)),
        ("CEB311", {"orderNo": ""}, ("orderNo",)),
        ("CEB311", {"ebpCode": "1" * 19}, ("ebpCode",)),
        ("CEB311", {"guid": "SHORT"}, ("guid",)),
        ("CEB311", {"appTime": "2025-03-01"}, ("appTime",)),
        ("CEB311", {"orderType": "E"}, ("orderType",)),
        ("CEB311", {"buyerIdType": "3"}, ("buyerIdType",)),
        ("CEB311", {"acturalPaid": None}, ("acturalPaid",)),  # required
        ("CEB311", {"actualPaid": "1"}, ("actualPaid",)),  # the CEB name is acturalPaid
        ("CEB411", {"amountPaid": "1.234567"}, ("amountPaid",)),
        ("CEB411", {"payTime": "20250231000000"}, ("payTime",)),
        ("CEB511", {"packNo": 0}, ("packNo",)),
        ("CEB511", {"weight": True}, ("weight",)),
        ("CEB621", {"declTime": "2025031"}, ("declTime",)),
        ("CEB303", {"orderType": "I"}, ("orderType",)),
        ("CEB303", {"currency": "50"}, ("currency",)),
        ("CEB403", {"charge": 0.1}, ("charge",)),
        ("CEB505", {"logisticsNo": "x" * 33}, ("logisticsNo",)),
        ("CEB603", {"POD": "AB"}, ("POD",)),
        ("CEB603", {"fFlag": "1"}, ("fFlag",)),
    ],
)
def test_model_validation_error_names_the_field(
    message_type: str, changes: dict[str, Any], loc: tuple[Any, ...]
) -> None:
    data = dict(SAMPLES[message_type])
    for name, value in changes.items():
        if value is None:
            del data[name]
        else:
            data[name] = value
    with pytest.raises(ValidationError) as info:
        parse_document(message_type, data)
    assert loc in _locs(info.value)


def test_model_validation_error_names_the_line_field() -> None:
    data = import_order_json(ImportTerms())
    data["OrderList"][1]["qty"] = 2.5
    with pytest.raises(ValidationError) as info:
        ImportOrder.model_validate(data)
    assert ("OrderList", 1, "qty") in _locs(info.value)


@pytest.mark.parametrize("message_type", ["CEB311", "CEB621"])
def test_model_rejects_gnum_gaps(message_type: str) -> None:
    data = dict(SAMPLES[message_type])
    list_name = "OrderList" if message_type == "CEB311" else "InventoryList"
    data[list_name] = [dict(line) for line in data[list_name]]
    data[list_name][1]["gnum"] = 3
    with pytest.raises(ValidationError, match="gnum must be 2"):
        parse_document(message_type, data)


def test_model_rejects_empty_order_list() -> None:
    data = import_order_json(ImportTerms())
    data["OrderList"] = []
    with pytest.raises(ValidationError) as info:
        ImportOrder.model_validate(data)
    assert ("OrderList",) in _locs(info.value)


@pytest.mark.parametrize(
    ("mode", "missing", "line_field"),
    [
        (TradeMode.BONDED, "emsNo", False),
        (TradeMode.BONDED, "areaCode", False),
        (TradeMode.BONDED, "areaName", False),
        (TradeMode.BONDED, "itemRecordNo", True),
        (TradeMode.RETAIL, "trafNo", False),
        (TradeMode.RETAIL, "voyageNo", False),
        (TradeMode.RETAIL, "billNo", False),
    ],
)
def test_import_inventory_requires_mode_fields(
    mode: TradeMode, missing: str, line_field: bool
) -> None:
    data = import_inventory_json(ImportTerms(mode=mode))
    if line_field:
        data["InventoryList"] = [dict(line) for line in data["InventoryList"]]
        del data["InventoryList"][0][missing]
    else:
        del data[missing]
    with pytest.raises(ValidationError, match=f"{missing} is required for tradeMode {mode.value}"):
        ImportInventory.model_validate(data)


def test_import_inventory_rejects_export_only_mode() -> None:
    data = import_inventory_json(ImportTerms())
    data["tradeMode"] = "9710"
    with pytest.raises(ValidationError, match="not an import mode"):
        ImportInventory.model_validate(data)


def test_export_inventory_requires_special_area_fields() -> None:
    data = export_inventory_json(ExportTerms(mode=TradeMode.BONDED))
    del data["iacCode"]
    with pytest.raises(ValidationError, match="iacCode is required for tradeMode 1210"):
        ExportInventory.model_validate(data)


def test_models_are_frozen() -> None:
    payment = ImportPayment.model_validate(import_payment_json(ImportTerms()))
    with pytest.raises(ValidationError):
        payment.amountPaid = payment.amountPaid  # type: ignore[misc]


def test_to_json_dict_writes_canonical_decimals_and_c14_times() -> None:
    data = import_order_json(ImportTerms())
    data["goodsValue"] = "808.00"
    data["freight"] = 20
    order = ImportOrder.model_validate(data).to_json_dict()
    assert order["goodsValue"] == "808"
    assert order["freight"] == "20"
    assert order["appTime"] == "20250301100300"
    assert order["OrderList"][1]["price"] == "119.5"
    assert "note" not in order  # absent optional fields are omitted, never null


def test_trade_id_is_sha256_of_ebp_code_slash_order_no() -> None:
    order = ImportOrder.model_validate(import_order_json(ImportTerms()))
    expected = hashlib.sha256(b"3301960A01/SD20250301000001").digest()
    assert trade_id(order) == expected
    assert len(trade_id(order)) == 32
    payment = ImportPayment.model_validate(import_payment_json(ImportTerms()))
    assert trade_id(payment) == expected
    assert str(TradeKey.of(order)) == "3301960A01/SD20250301000001"


@pytest.mark.parametrize(("ebp_code", "order_no"), [("A/B", "1"), ("", "1"), ("A", "")])
def test_trade_key_rejects_ambiguous_parts(ebp_code: str, order_no: str) -> None:
    with pytest.raises(InvalidTradeKey):
        TradeKey(ebp_code, order_no)


def test_json_schema_describes_decimals_as_strings() -> None:
    schema = ImportOrder.model_json_schema()
    assert schema["properties"]["goodsValue"]["type"] == "string"
    assert schema["properties"]["appTime"]["pattern"] == "^[0-9]{14}$"
    assert "OrderList" in schema["properties"]
