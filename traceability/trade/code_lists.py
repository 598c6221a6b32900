"""The customs code lists CEB fields take, and what their codes mean: one table.

CEB fields such as ``currency`` or ``unit`` hold codes of the customs code set
《JGS-20 海关业务代码集》 (currency, country/region and unit-of-measure codes), and
``buyerIdType`` / ``payerIdType`` the CEB's own identity-type list. A bare code tells a
person little ("Input should be '142'"), so both the error messages of the document
models (:func:`explain_error`) and their JSON Schema descriptions (:func:`describe_field`)
read the meanings from :data:`CODE_LISTS`. The lists here are the codes sandan's users
meet most, for the message; the authority is the customs code set itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "CODE_LISTS",
    "FIELD_CODE_LIST",
    "CodeList",
    "code_list_of",
    "describe_field",
    "explain_code",
    "explain_error",
]


@dataclass(frozen=True, slots=True)
class CodeList:
    """A list of codes, what each means, and where the CEB narrows it."""

    title: str
    """What a value is, as a message names it ("a customs currency code")."""
    source: str
    codes: Mapping[str, str]
    narrowed: Mapping[frozenset[str], str]
    """Subsets some messages fix the field to, and for what ("for import retail")."""

    def meaning(self, code: str) -> str:
        """``"142 (CNY)"``, or the bare code when the table does not list it."""
        name = self.codes.get(code)
        return f"{code} ({name})" if name else code

    def examples(self) -> str:
        """The listed codes with their meanings, comma-separated."""
        return ", ".join(self.meaning(code) for code in self.codes)


CODE_LISTS: Final[Mapping[str, CodeList]] = {
    "currency": CodeList(
        title="a customs currency code",
        source="JGS-20 货币代码",
        codes={
            "142": "CNY",
            "502": "USD",
            "300": "EUR",
            "303": "GBP",
            "110": "HKD",
            "116": "JPY",
            "501": "CAD",
            "601": "AUD",
        },
        narrowed={frozenset({"142"}): "for import retail"},
    ),
    "country": CodeList(
        title="a customs country (region) code",
        source="JGS-20 国家（地区）代码表",
        codes={
            "142": "China",
            "110": "Hong Kong",
            "116": "Japan",
            "133": "Korea",
            "303": "United Kingdom",
            "304": "Germany",
            "305": "France",
            "501": "Canada",
            "502": "United States",
            "601": "Australia",
            "609": "New Zealand",
        },
        narrowed={},
    ),
    "unit": CodeList(
        title="a customs unit-of-measure code",
        source="JGS-20 计量单位代码",
        codes={
            "001": "台 set/machine",
            "006": "套 set",
            "007": "个 piece",
            "011": "件 item",
            "035": "千克 kilogram",
            "036": "克 gram",
        },
        narrowed={},
    ),
    "idType": CodeList(
        title="an identity document type",
        source="CEB 证件类型",
        codes={"1": "身份证 resident identity card", "2": "其它 other"},
        narrowed={},
    ),
}
"""Every code list, by name."""

FIELD_CODE_LIST: Final[Mapping[str, str]] = {
    "currency": "currency",
    "fCurrency": "currency",
    "iCurrency": "currency",
    "country": "country",
    "tradeCountry": "country",
    "unit": "unit",
    "unit1": "unit",
    "unit2": "unit",
    "buyerIdType": "idType",
    "payerIdType": "idType",
}
"""The code list each CEB field (by element name) takes its value from."""

_QUOTED = re.compile(r"'([^']*)'")


def code_list_of(field: str) -> CodeList | None:
    """The code list the CEB field ``field`` takes, if any."""
    name = FIELD_CODE_LIST.get(field)
    return CODE_LISTS[name] if name else None


def describe_field(field: str) -> str | None:
    """A JSON Schema description of a code-list field: the list and its codes."""
    codes = code_list_of(field)
    if codes is None:
        return None
    return f"{codes.title.capitalize()} ({codes.source}), e.g. {codes.examples()}."


def explain_error(error: Mapping[str, Any]) -> str:
    """The message of one pydantic error of a document model, saying what a code means.

    ``error`` is one item of ``ValidationError.errors()``. For a field that takes a code
    list, the message names the list, the codes allowed (with their meaning) and the value
    sent; any other error keeps pydantic's message.
    """
    loc = error.get("loc", ())
    field = str(loc[-1]) if loc else ""
    codes = code_list_of(field)
    message = str(error.get("msg", "invalid"))
    if codes is None or error.get("type") not in _CODE_ERRORS:
        return message
    choices = None
    if error.get("type") == "literal_error":
        choices = _QUOTED.findall(str((error.get("ctx") or {}).get("expected", "")))
    return explain_code(field, choices, error.get("input")) or message


def explain_code(field: str, choices: Sequence[str] | None, got: object) -> str | None:
    """``"currency must be a customs currency code: 142 (CNY) for import retail; got 'CNY'"``:
    the message for a wrong value of a code-list field (``choices``: the codes allowed
    there, ``None`` for any of the list), or ``None`` if ``field`` takes no code list."""
    codes = code_list_of(field)
    if codes is None:
        return None
    if choices:
        allowed = " or ".join(codes.meaning(code) for code in choices)
        why = codes.narrowed.get(frozenset(choices))
        allowed = f"{allowed} {why}" if why else allowed
    else:
        width = len(next(iter(codes.codes)))
        allowed = f"{width} character{'s' if width > 1 else ''}, e.g. {codes.examples()}"
    return f"{field} must be {codes.title}: {allowed}; got {got!r}"


# The pydantic error types a wrong code raises: a Literal's choices, or the 3-character rule.
_CODE_ERRORS: Final = frozenset(
    {"literal_error", "string_too_short", "string_too_long", "string_type"}
)
