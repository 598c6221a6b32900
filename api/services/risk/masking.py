"""Masking the personal fields of alert evidence (ID numbers, phones, addresses, names).

Customs and the regulator see them in clear; everyone else sees the rule, the sums and the
counts, with each personal value masked so that two masked values can still be told
apart when they differ at the ends (``3301**********1234``, ``138****5678``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["CLEAR_ROLES", "mask_evidence", "mask_value"]

#: Roles that read personal fields of the evidence in clear.
CLEAR_ROLES = frozenset({"customs", "regulator"})

#: Evidence keys holding personal data, and how many characters stay at each end.
_PERSONAL: Mapping[str, tuple[int, int]] = {
    "buyerIdNumber": (4, 4),
    "buyerIdNumbers": (4, 4),
    "payerIdNumber": (4, 4),
    "telephone": (3, 4),
    "buyerTelephone": (3, 4),
    "consigneeTelephone": (3, 4),
    "consigneeAddress": (6, 0),
    "buyerName": (1, 0),
    "consignee": (1, 0),
    "payerName": (1, 0),
}


def mask_value(value: str, keep: tuple[int, int]) -> str:
    """``value`` with all but ``keep`` (head, tail) characters replaced by ``*``.

    A value too short to keep both ends is masked whole but for its first character."""
    head, tail = keep
    if len(value) <= head + tail:
        return value[:1] + "*" * (len(value) - 1)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail :]


def _masked(value: Any, keep: tuple[int, int]) -> Any:
    if isinstance(value, str):
        return mask_value(value, keep)
    if isinstance(value, list):
        return [_masked(item, keep) for item in value]
    return value


def mask_evidence(value: Any) -> Any:
    """A copy of an evidence value with every personal field masked, at any depth."""
    if isinstance(value, dict):
        return {
            key: _masked(item, _PERSONAL[key]) if key in _PERSONAL else mask_evidence(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask_evidence(item) for item in value]
    return value
