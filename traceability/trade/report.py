"""JSON form of the small report records (schema issues, rule failures, notices)."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def text_fields(record: DataclassInstance) -> dict[str, str]:
    """``{field: text}`` in field order; ``StrEnum`` fields give their value."""
    return {field.name: str(getattr(record, field.name)) for field in fields(record)}
