"""Bounds checked before parsing untrusted input, and caps on what is reported back.

CPython's ``json`` decoder recurses once per nesting level, and so do pydantic,
RFC 8785 canonicalisation and ``repr`` on what it returns: a 200 KB body of
``[`` must be refused before any of them sees it. Every JSON text that comes
from outside is measured here first (:func:`check_json_depth`), by a scan that
never recurses. Problem lists sent back to a caller hold their first
:data:`MAX_REPORTED_ISSUES` entries and the total count, so a hostile input cannot
turn into a response many times its size.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = [
    "MAX_JSON_DEPTH",
    "MAX_REPORTED_ISSUES",
    "JsonTooDeep",
    "check_json_depth",
    "loads_bounded",
]

#: Deepest nesting sandan accepts in any JSON it reads (EPCIS documents nest about 8).
MAX_JSON_DEPTH = 64

#: How many problems one response lists; the total count is reported beside them.
MAX_REPORTED_ISSUES = 100

# A JSON string (escapes included): brackets inside strings do not count. A JSON string
# never holds a raw line break, so a string never crosses one: an unterminated quote on one
# NDJSON line cannot hide the brackets of the next.
# (Written as an unrolled loop: runs of plain bytes in one step, not one alternation a byte.)
_STRING = re.compile(rb'"[^"\\\n]*(?:\\[^\n][^"\\\n]*)*"')
# Every byte but the four brackets, deleted by bytes.translate once strings are gone.
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPEN = frozenset(b"[{")


class JsonTooDeep(ValueError):
    """A JSON text nests deeper than allowed."""

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        super().__init__(f"JSON nested deeper than {max_depth} levels")


def check_json_depth(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise :class:`JsonTooDeep` when ``text`` nests arrays/objects deeper than ``max_depth``.

    Only brackets outside strings count; the text need not be valid JSON (the parser
    that runs next reports that). A closing bracket never takes the depth below zero,
    so the bound also holds for every line or other piece of ``text`` parsed on its own
    (NDJSON): no piece can nest deeper than the whole measures at that point.
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return  # cannot be too deep: the common case costs two byte scans
    # Strings out and every other byte but brackets deleted, both at C speed: the loop
    # below then only walks the brackets (a few per line of an NDJSON body).
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    if len(brackets) <= max_depth:
        return
    depth = 0
    for byte in brackets:
        if byte in _OPEN:
            depth += 1
            if depth > max_depth:
                raise JsonTooDeep(max_depth)
        elif depth:
            depth -= 1


def loads_bounded(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` after :func:`check_json_depth`."""
    check_json_depth(text, max_depth=max_depth)
    return json.loads(text)
