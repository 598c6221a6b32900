"""Validation helpers shared by the document models (goods lines, mode fields)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class _Line(Protocol):
    @property
    def gnum(self) -> int: ...


def check_gnums(lines: Sequence[_Line], list_name: str) -> None:
    """Require gnum 1, 2, 3, … in order: CEB "从1开始连续序号" (customs error -621027)."""
    for expected, line in enumerate(lines, start=1):
        if line.gnum != expected:
            raise ValueError(
                f"{list_name}[{expected - 1}].gnum must be {expected} "
                f"(consecutive from 1), got {line.gnum}"
            )


def check_required(
    document: object,
    lines: Sequence[object],
    head_fields: tuple[str, ...],
    line_fields: tuple[str, ...],
    mode: str,
) -> None:
    """Raise ``ValueError`` naming the first mode-required field that is absent."""
    for name in head_fields:
        if getattr(document, name) is None:
            raise ValueError(f"{name} is required for tradeMode {mode}")
    for line in lines:
        for name in line_fields:
            if getattr(line, name) is None:
                gnum = getattr(line, "gnum", "?")
                raise ValueError(
                    f"InventoryList[gnum={gnum}].{name} is required for tradeMode {mode}"
                )
