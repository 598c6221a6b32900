"""How the risk rules compare addresses, telephone numbers and ID numbers.

Two spellings of one address or number must fall into one group, or splitting an
order across "１号楼" and "1号楼" would hide it. Addresses are NFKC-folded
(full-width → half-width), case-folded, and stripped of whitespace and
punctuation; telephone numbers keep their digits and lose the +86 / 0086 prefix.
"""

from __future__ import annotations

import unicodedata

__all__ = ["normalise_address", "normalise_id_number", "normalise_phone", "normalise_text"]

_MOBILE_DIGITS = 11


def normalise_address(address: str | None) -> str | None:
    """The comparable form of an address; None for a missing or blank one.

    >>> normalise_address("浙江省杭州市 西湖区，文三路９０号（A座）")
    '浙江省杭州市西湖区文三路90号a座'
    """
    return normalise_text(address)


def normalise_text(text: str | None) -> str | None:
    """NFKC, case-folded, without whitespace or punctuation (addresses, goods names)."""
    if text is None:
        return None
    folded = unicodedata.normalize("NFKC", text).casefold()
    # Punctuation (P*), separators (Z*) and control characters carry no location.
    kept = "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PZC")
    return kept or None


def normalise_phone(phone: str | None) -> str | None:
    """The comparable form of a telephone number: digits only, no country code.

    >>> normalise_phone("+86 138-0013-8000")
    '13800138000'
    """
    if phone is None:
        return None
    text = unicodedata.normalize("NFKC", phone).strip()
    digits = "".join(ch for ch in text if ch.isascii() and ch.isdigit())
    if text.startswith("+86"):
        digits = digits[2:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == _MOBILE_DIGITS + 2 and digits.startswith("861"):
        digits = digits[2:]  # 86 written without the plus before a mobile number
    return digits or None


def normalise_id_number(number: str | None) -> str | None:
    """An ID number without surrounding spaces, its check letter upper-case (x → X)."""
    if number is None:
        return None
    text = unicodedata.normalize("NFKC", number).strip().upper()
    return text or None
