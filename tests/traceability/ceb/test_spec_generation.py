"""The message specs generated from the models: pinned snapshot, field-kind table, stricter cases.

After an intended schema change, rewrite the snapshot with
``PYTHONPATH=. python -m tests.traceability.ceb.test_spec_generation`` and review the diff.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, ClassVar, Literal

import pytest
from pydantic import Field as ModelField

from tests.traceability.ceb.conftest import DATA, sample
from traceability.ceb import SchemaViolation, message_spec, read_message
from traceability.ceb._generate import field_node, model_group
from traceability.ceb._registry import SPECS
from traceability.ceb._rules import RULE_NAMES, bind
from traceability.ceb.spec import UNBOUNDED, Field, Group, Kind, Node, Opaque
from traceability.trade.fields import (
    T60,
    CebDate,
    CebModel,
    CebTime,
    Dec19_5,
    Fixed3,
    Guid,
    Int5,
    Int9,
    PortCode,
)
from traceability.trade.modes import TradeMode
from traceability.trade.xml_form import XmlForm, XmlLayout

SNAPSHOT = DATA / "specs.json"


def _node(node: Node) -> dict[str, Any]:
    if isinstance(node, Field):
        return {
            "field": node.name,
            "kind": node.kind.value,
            "length": [node.min_length, node.max_length],
            "required": node.required,
            "fixed": node.fixed,
            "choices": list(node.choices),
            "digits": node.digits,
        }
    if isinstance(node, Group):
        children = [_node(child) for child in node.children]
        return {
            "group": node.name,
            "occurs": [node.min_occurs, node.max_occurs],
            "children": children,
        }
    return {
        "opaque": node.name,
        "namespace": node.namespace,
        "occurs": [node.min_occurs, node.max_occurs],
    }


def _rule_name(rule: object) -> str:
    name = getattr(rule, "__qualname__", "").split(".")[0]
    cells = getattr(rule, "__closure__", None) or ()
    return name + "".join(f"({cell.cell_contents})" for cell in cells)


def specs_json() -> dict[str, Any]:
    """Every generated spec as plain JSON: names, kinds, lengths, occurs, rules by name."""
    return {
        code: {
            "title": spec.title,
            "flow": spec.flow,
            "kind": spec.kind,
            "children": [_node(node) for node in spec.children],
            "rules": [_rule_name(rule) for rule in spec.rules],
        }
        for code, spec in sorted(SPECS.items())
    }


@pytest.mark.parametrize("code", sorted(SPECS))
def test_generated_spec_matches_snapshot(code: str) -> None:
    pinned = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert set(pinned) == set(SPECS)
    assert specs_json()[code] == pinned[code]


# --- the generator, one model field kind at a time ----------------------------------


class _Line(CebModel):
    gnum: Int5


# (annotation, default, expected leaf) for a field named "x"
FIELD_CASES: list[tuple[Any, Any, Field]] = [
    (T60, ..., Field("x", Kind.TEXT, 60, 1)),
    (T60 | None, None, Field("x", Kind.TEXT, 60, 1, required=False)),
    (Fixed3, ..., Field("x", Kind.TEXT, 3, 3)),
    (Guid, ..., Field("x", Kind.TEXT, 36, 36)),
    (PortCode, ..., Field("x", Kind.TEXT, 4, 3)),
    (str, ..., Field("x")),
    (Dec19_5, ..., Field("x", Kind.DECIMAL)),
    (Dec19_5 | None, None, Field("x", Kind.DECIMAL, required=False)),
    (Int9, ..., Field("x", Kind.INT, digits=9)),
    (Int5, ..., Field("x", Kind.INT, digits=5)),
    (CebTime, ..., Field("x", Kind.DATETIME, 14, 14)),
    (CebDate | None, None, Field("x", Kind.DATE, 8, 8, required=False)),
    (Literal["I"], ..., Field("x", Kind.TEXT, 1, 1, fixed="I")),
    (Literal["142"], ..., Field("x", Kind.TEXT, 3, 3, fixed="142")),
    (Literal["1", "2", "3"], ..., Field("x", Kind.TEXT, 1, 1, choices=("1", "2", "3"))),
    (TradeMode, ..., Field("x", Kind.TEXT, 4, 1, choices=("9610", "1210", "9710", "9810"))),
    (
        Annotated[Literal["1", "2"], XmlForm(fixed="1")],
        ...,
        Field("x", Kind.TEXT, 1, 1, fixed="1"),
    ),
    (Annotated[Int9, XmlForm(fixed="1")], ..., Field("x", Kind.INT, digits=9, fixed="1")),
    (
        Annotated[Literal["ALL", "DATA"], XmlForm(max_length=100)],
        ...,
        Field("x", Kind.TEXT, 100, 1, choices=("ALL", "DATA")),
    ),
    (
        Annotated[TradeMode, XmlForm(choices=("9610",))],
        ...,
        Field("x", Kind.TEXT, 4, 1, choices=("9610",)),
    ),
    (
        Annotated[str, XmlForm("status", max_length=10)],
        ...,
        Field("x", Kind.STATUS, 10, 1),
    ),
    (Annotated[str, XmlForm("millis", 17, 17)], ..., Field("x", Kind.MILLIS, 17, 17)),
]


@pytest.mark.parametrize(("annotation", "default", "expected"), FIELD_CASES)
def test_field_node_maps_model_field_kind(annotation: Any, default: Any, expected: Field) -> None:
    model = type("M", (CebModel,), {"__annotations__": {"x": annotation}, "x": ModelField(default)})
    assert field_node("x", model.model_fields["x"]) == expected


# (list field, expected occurs)
LIST_CASES: list[tuple[Any, tuple[int, int]]] = [
    (ModelField(alias="L", min_length=1, max_length=99), (1, 99)),
    (ModelField(alias="L", min_length=1), (1, UNBOUNDED)),
    (ModelField(alias="L", default=()), (0, UNBOUNDED)),
]


@pytest.mark.parametrize(("info", "occurs"), LIST_CASES)
def test_field_node_maps_list_field_to_repeated_group(info: Any, occurs: tuple[int, int]) -> None:
    model = type("M", (CebModel,), {"__annotations__": {"lines": tuple[_Line, ...]}, "lines": info})
    node = field_node("L", model.model_fields["lines"])
    assert node == Group("L", (Field("gnum", Kind.INT, digits=5),), *occurs)


class _Doc(CebModel):
    xml_layout: ClassVar[XmlLayout] = XmlLayout("Doc", "DocHead", occurs=(1, 7))

    no: T60
    lines: tuple[_Line, ...] = ModelField(alias="DocList", min_length=1, max_length=2)


class _FlatDoc(CebModel):
    xml_layout: ClassVar[XmlLayout] = XmlLayout("Flat")

    no: T60


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (
            _Doc,
            Group(
                "Doc",
                (
                    Group("DocHead", (Field("no", Kind.TEXT, 60, 1),)),
                    Group("DocList", (Field("gnum", Kind.INT, digits=5),), 1, 2),
                ),
                1,
                7,
            ),
        ),
        (_FlatDoc, Group("Flat", (Field("no", Kind.TEXT, 60, 1),), 1, 100)),
    ],
    ids=["head-and-list", "flat"],
)
def test_model_group_follows_the_layout(model: type[CebModel], expected: Group) -> None:
    assert model_group(model) == expected


def test_model_group_refuses_a_model_without_layout() -> None:
    with pytest.raises(TypeError, match="no xml_layout"):
        model_group(_Line)


def test_field_node_refuses_an_unmarked_custom_type() -> None:
    model = type("M", (CebModel,), {"__annotations__": {"x": int}})
    with pytest.raises(TypeError, match="mark the type with XmlForm"):
        field_node("x", model.model_fields["x"])


def test_bind_knows_every_rule_name_and_refuses_others() -> None:
    business = message_spec("CEB621").business
    assert {"consecutive_gnum", "signature_when_declared"} <= RULE_NAMES
    with pytest.raises(ValueError, match="unknown CEB rule"):
        bind("no_such_rule", business)


def test_every_declaration_tail_has_transfer_subscribe_extension_and_signature() -> None:
    for spec in SPECS.values():
        names = [node.name for node in spec.tail]
        if spec.kind == "receipt":
            assert names == []
        else:
            assert sorted(names) == ["BaseSubscribe", "BaseTransfer", "ExtendMessage", "Signature"]
            assert all(isinstance(node, Opaque) for node in spec.tail[2:])


# --- where the old tables and the models disagreed, the stricter rule holds -----------


def _leaf(code: str, *path: str) -> Field:
    node: Node = message_spec(code).business
    for name in path:
        assert isinstance(node, Group)
        node = next(child for child in node.children if child.name == name)
    assert isinstance(node, Field)
    return node


@pytest.mark.parametrize(
    ("code", "path", "expected"),
    [
        # import XSD says xs:int; the models said Int5 (at most 5 digits)
        ("CEB311", ("OrderList", "gnum"), Field("gnum", Kind.INT, digits=5)),
        ("CEB621", ("InventoryList", "gnum"), Field("gnum", Kind.INT, digits=5)),
        ("CEB625", ("InvtRefundList", "gnum"), Field("gnum", Kind.INT, digits=5)),
        # import XSD says C..3; the model said Fixed3
        (
            "CEB621",
            ("InventoryList", "tradeCountry"),
            Field("tradeCountry", Kind.TEXT, 3, 3, required=False),
        ),
        # the table said C..32; the receipt model (shared with CEB512) said C..60
        ("CEB506", ("logisticsNo",), Field("logisticsNo", Kind.TEXT, 32, 1)),
    ],
    ids=["import-order-gnum", "import-inventory-gnum", "return-gnum", "tradeCountry", "CEB506"],
)
def test_generated_spec_takes_the_stricter_rule(
    code: str, path: tuple[str, ...], expected: Field
) -> None:
    assert _leaf(code, *path) == expected


def test_read_message_rejects_six_digit_import_gnum() -> None:
    data = sample("CEB311").replace(b"<ceb:gnum>1</ceb:gnum>", b"<ceb:gnum>100001</ceb:gnum>", 1)
    with pytest.raises(SchemaViolation) as caught:
        read_message(data)
    found = {(issue.path, issue.reason) for issue in caught.value.issues}
    assert ("CEB311Message/Order[1]/OrderList[1]/gnum", "schema.length") in found


def test_read_message_rejects_long_export_logistics_no_in_receipt() -> None:
    data = (DATA / "receipts" / "CEB506.xml").read_bytes()
    long_no = re.sub(rb"(logisticsNo>)[^<]*(<)", rb"\1" + b"L" * 33 + rb"\2", data, count=1)
    with pytest.raises(SchemaViolation) as caught:
        read_message(long_no)
    assert {issue.reason for issue in caught.value.issues} == {"schema.length"}


def render(value: Any, indent: str = "") -> str:
    """JSON with one line per field, so that a schema change is a one-line diff."""
    inner = indent + "  "
    if isinstance(value, dict) and "field" not in value:
        items = [f"{inner}{json.dumps(k)}: {render(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(value, list) and any(isinstance(item, dict) for item in value):
        items = [f"{inner}{render(item, inner)}" for item in value]
        return "[\n" + ",\n".join(items) + f"\n{indent}]"
    return json.dumps(value, ensure_ascii=False)


if __name__ == "__main__":
    SNAPSHOT.write_text(render(specs_json()) + "\n", encoding="utf-8")
