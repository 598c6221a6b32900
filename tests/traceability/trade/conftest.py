"""Helpers for the trade tests: alter one document of a sample trade and re-validate it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from traceability.trade import DOCUMENT_MODELS, TradeDocuments


def alter(docs: TradeDocuments, kind: str, **changes: Any) -> TradeDocuments:
    """Return ``docs`` with document ``kind`` rebuilt from its JSON plus ``changes``.

    A change whose value is ``None`` removes the field; ``OrderList`` /
    ``InventoryList`` line changes are given as ``{"lines": {gnum: {field: value}}}``.
    """
    document = getattr(docs, kind)
    data = document.to_json_dict()
    line_changes = changes.pop("lines", {})
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    list_name = "OrderList" if kind == "order" else "InventoryList"
    for gnum, fields in line_changes.items():
        data[list_name][gnum - 1].update(fields)
    rebuilt = DOCUMENT_MODELS[document.message_type].model_validate(data)
    parts = {name: getattr(docs, name) for name in ("order", "payment", "waybill", "inventory")}
    parts[kind] = rebuilt
    return TradeDocuments(**parts)


def without(docs: TradeDocuments, *kinds: str) -> TradeDocuments:
    """Return ``docs`` without the documents named in ``kinds``."""
    parts = {name: getattr(docs, name) for name in ("order", "payment", "waybill", "inventory")}
    for kind in kinds:
        parts[kind] = None
    return TradeDocuments(**parts)


@pytest.fixture(name="alter")
def alter_fixture() -> Callable[..., TradeDocuments]:
    """The :func:`alter` helper."""
    return alter


@pytest.fixture(name="without")
def without_fixture() -> Callable[..., TradeDocuments]:
    """The :func:`without` helper."""
    return without
