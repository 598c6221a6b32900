"""Build each message's :class:`Group` tree from its pydantic model: one source for the schema.

A model field becomes a :class:`Field` (element order = field order):

| model field | Field |
| --- | --- |
| ``Annotated[str, StringConstraints(min, max)]`` (``T60``, ``Fixed3``) | text, those lengths |
| ``Literal["I"]`` | text, fixed ``"I"``, exactly its length |
| ``Literal["1", "2"]``, a ``StrEnum`` | text, those choices, 1 to the longest |
| a type marked ``XmlForm(kind)`` (``Dec19_5``, ``CebTime``, ``Int9``) | that kind |
| ``X | None = None`` | optional |
| ``tuple[Item, ...] = Field(alias="OrderList", min_length, max_length)`` | repeated group |

An :class:`~traceability.trade.xml_form.XmlForm` in the field's metadata overrides
what the type says; the model's ``xml_layout`` names the elements around the fields.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from dataclasses import replace
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from annotated_types import MaxLen, MinLen
from pydantic import BaseModel, StringConstraints
from pydantic.fields import FieldInfo

from traceability.ceb import _rules
from traceability.ceb.models import BaseSubscribe, BaseTransfer
from traceability.ceb.spec import (
    DS_NS,
    UNBOUNDED,
    Field,
    Group,
    Kind,
    MessageSpec,
    Node,
    Opaque,
)
from traceability.trade.fields import CebModel
from traceability.trade.xml_form import XmlForm, XmlLayout

__all__ = ["build_spec", "field_node", "model_group"]

Flow = Literal["import", "export"]
MessageKind = Literal["declaration", "receipt"]


def build_spec(
    code: str, title: str, flow: Flow, kind: MessageKind, model: type[CebModel]
) -> MessageSpec:
    """The spec of message ``code`` whose business element is ``model``."""
    layout = _layout(model)
    business = model_group(model)
    rules = tuple(_rules.bind(name, business) for name in layout.rules)
    tail = _tail(flow, layout) if kind == "declaration" else ()
    return MessageSpec(code, title, flow, kind, business, tail, rules)


def model_group(model: type[BaseModel]) -> Group:
    """The element of ``model`` per its ``xml_layout``, children in field order."""
    layout = _layout(model)
    nodes = tuple(_nodes(model))
    if layout.head is not None:
        leaves = tuple(node for node in nodes if isinstance(node, Field))
        lists = tuple(node for node in nodes if not isinstance(node, Field))
        nodes = (Group(layout.head, leaves), *lists)
    return Group(layout.element, nodes, *layout.occurs)


def _layout(model: type[BaseModel]) -> XmlLayout:
    layout = getattr(model, "xml_layout", None)
    if not isinstance(layout, XmlLayout):
        raise TypeError(f"{model.__name__} has no xml_layout")
    return layout


def _nodes(model: type[BaseModel]) -> Iterator[Node]:
    for name, info in model.model_fields.items():
        yield field_node(info.alias or name, info)


def _tail(flow: Flow, layout: XmlLayout) -> tuple[Node, ...]:
    """Import: transfer, subscriptions, extension, signature; export swaps the last two."""
    signature = Opaque("Signature", DS_NS, 1 if layout.signature_required else 0, 1)
    blocks = (model_group(BaseTransfer), model_group(BaseSubscribe))
    extension = Opaque("ExtendMessage")
    if flow == "import":
        return (*blocks, extension, signature)
    return (*blocks, signature, extension)


# --- one field ---------------------------------------------------------------------


def field_node(name: str, info: FieldInfo) -> Field | Group:
    """The element of one model field: a leaf, or a repeated group for a list of models."""
    annotation, metadata = _unwrap(info.annotation, list(info.metadata))
    required = info.is_required()
    if get_origin(annotation) is tuple:
        item = get_args(annotation)[0]
        return _list_group(name, item, metadata)
    leaf = replace(_from_type(name, annotation, metadata), required=required)
    for form in (m for m in metadata if isinstance(m, XmlForm)):  # inner types first
        leaf = _apply(leaf, form)
    return leaf


def _unwrap(annotation: Any, metadata: list[Any]) -> tuple[Any, list[Any]]:
    """Strip ``| None`` and ``Annotated``, collecting the metadata on the way."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            metadata = [*metadata, *extra]
        elif origin in (Union, types.UnionType):
            arms = [arm for arm in get_args(annotation) if arm is not type(None)]
            if len(arms) != 1:
                raise TypeError(f"unsupported union {annotation!r}")
            annotation = arms[0]
        else:
            return annotation, metadata


def _list_group(name: str, item: Any, metadata: list[Any]) -> Group:
    low = next((m.min_length for m in metadata if isinstance(m, MinLen)), 0)
    high = next((m.max_length for m in metadata if isinstance(m, MaxLen)), UNBOUNDED)
    return Group(name, tuple(_nodes(item)), low, high)


def _from_type(name: str, annotation: Any, metadata: list[Any]) -> Field:
    """What the Python type alone says about the element."""
    if get_origin(annotation) is Literal:
        return _choices(name, tuple(str(value) for value in get_args(annotation)))
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return _choices(name, tuple(str(member.value) for member in annotation))
    if annotation is str:
        bounds = [m for m in metadata if isinstance(m, StringConstraints)]
        low = next((b.min_length for b in bounds if b.min_length is not None), 1)
        high = next((b.max_length for b in bounds if b.max_length is not None), None)
        return Field(name, Kind.TEXT, high, low)
    if any(isinstance(m, XmlForm) and m.kind is not None for m in metadata):
        return Field(name)  # the marker names the kind
    raise TypeError(f"{name}: no CEB form for {annotation!r}; mark the type with XmlForm")


def _choices(name: str, values: tuple[str, ...]) -> Field:
    longest = max(len(value) for value in values)
    if len(values) == 1:
        return Field(name, Kind.TEXT, longest, longest, fixed=values[0])
    return Field(name, Kind.TEXT, longest, 1, choices=values)


def _apply(leaf: Field, form: XmlForm) -> Field:
    """Overlay what the field's ``XmlForm`` states on what its type said."""
    if form.kind is not None:
        leaf = replace(leaf, kind=Kind(form.kind))
    if form.max_length is not None:
        leaf = replace(leaf, max_length=form.max_length)
    if form.min_length is not None:
        leaf = replace(leaf, min_length=form.min_length)
    if form.digits is not None:
        leaf = replace(leaf, digits=form.digits)
    if form.fixed is not None:
        leaf = replace(leaf, fixed=form.fixed, choices=())
    if form.choices is not None:
        leaf = replace(leaf, choices=form.choices)
    return leaf
