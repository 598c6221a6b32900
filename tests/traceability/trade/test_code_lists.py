"""Code-list fields say what their codes mean, in errors and in the JSON Schema."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from traceability.trade import parse_document, samples
from traceability.trade.code_lists import (
    CODE_LISTS,
    FIELD_CODE_LIST,
    describe_field,
    explain_error,
)
from traceability.trade.models import DOCUMENT_MODELS


def _messages(message_type: str, document: dict) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        parse_document(message_type, document)
    return {".".join(map(str, e["loc"])): explain_error(e) for e in caught.value.errors()}


def test_import_currency_error_names_the_code_and_its_currency() -> None:
    order = samples.import_order_json(samples.ImportTerms())
    messages = _messages("CEB311", {**order, "currency": "CNY"})
    assert messages["currency"] == (
        "currency must be a customs currency code: 142 (CNY) for import retail; got 'CNY'"
    )


def test_export_currency_error_lists_codes_with_their_meaning() -> None:
    order = samples.export_order_json(samples.ExportTerms())
    messages = _messages("CEB303", {**order, "currency": "US"})
    assert messages["currency"].startswith("currency must be a customs currency code: 3 characters")
    assert "502 (USD)" in messages["currency"]
    assert messages["currency"].endswith("got 'US'")


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("buyerIdType", "9", "1 (身份证 resident identity card) or 2 (其它 other)"),
        ("buyerIdType", 1, "got 1"),
    ],
)
def test_id_type_error_says_what_each_code_is(field: str, value: object, needle: str) -> None:
    order = samples.import_order_json(samples.ImportTerms())
    message = _messages("CEB311", {**order, field: value})[field]
    assert message.startswith(f"{field} must be an identity document type")
    assert needle in message


def test_unit_and_country_errors_of_a_line_name_the_code_list() -> None:
    order = samples.import_order_json(samples.ImportTerms())
    line = {**order["OrderList"][0], "unit": "个", "country": "CN"}
    messages = _messages("CEB311", {**order, "OrderList": [line, *order["OrderList"][1:]]})
    assert "customs unit-of-measure code" in messages["OrderList.0.unit"]
    assert "035 (千克 kilogram)" in messages["OrderList.0.unit"]
    assert "142 (China)" in messages["OrderList.0.country"]


def test_other_errors_keep_their_message() -> None:
    order = samples.import_order_json(samples.ImportTerms())
    messages = _messages("CEB311", {**order, "orderNo": ""})
    assert messages["orderNo"] == "String should have at least 1 character"


def test_every_code_list_field_is_described_in_every_schema_that_has_it() -> None:
    assert set(FIELD_CODE_LIST.values()) == set(CODE_LISTS)
    seen = 0
    for model in DOCUMENT_MODELS.values():
        schema = model.model_json_schema(by_alias=True, mode="validation")
        for props in [
            schema["properties"],
            *(d["properties"] for d in schema.get("$defs", {}).values() if "properties" in d),
        ]:
            for name, prop in props.items():
                if name in FIELD_CODE_LIST:
                    assert prop["description"] == describe_field(name)
                    seen += 1
    assert seen > 20
