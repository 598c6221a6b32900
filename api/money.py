"""Amounts as the API and the CLI show them: always to the fen (分), "308.00", never "308".

Presentation only. Stored, signed, hashed and anchored content (documents, verdicts,
bundles' signed parts) keeps its own text: a verdict's hash is over its bytes.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = ["FEN", "to_fen"]

#: One fen, 0.01 of a yuan (and the cent of every currency the trades use).
FEN = Decimal("0.01")


def to_fen(value: Decimal | str | int) -> str:
    """``value`` rounded half up to two decimal places, as text.

    Text that is not a finite number is returned as it is: showing an amount never
    fails because of what a document held.
    """
    try:
        amount = Decimal(value)
        if not amount.is_finite():
            return str(value)
        return str(amount.quantize(FEN, rounding=ROUND_HALF_UP))
    except (InvalidOperation, TypeError, ValueError):  # not a number, or beyond precision
        return str(value)
