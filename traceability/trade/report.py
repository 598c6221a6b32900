"""JSON form of the small report records (schema issues, rule failures, notices)."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def text_fields(record: DataclassInstance) -> dict[str, str]:
    """``{field: text}`` in field order; ``StrEnum`` fields give their value."""
    return {field.name: str(getattr(record, field.name)) for field in fields(record)}


class TextRecord:
    """Base of a dataclass report record whose JSON form is :func:`text_fields`."""

    __slots__ = ()

    def to_json_dict(self) -> dict[str, str]:
        """JSON-safe form with fixed keys (the field names)."""
        return text_fields(cast("DataclassInstance", self))
