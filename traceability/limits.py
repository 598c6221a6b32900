"""Bounds checked before parsing untrusted JSON.

CPython's ``json`` decoder recurses once per nesting level, and importing
``py_ecc`` (through ``eth_account``) raises the recursion limit far above what
the C stack holds: a 200 KB body of ``[`` can then crash the process instead of
raising. Every JSON text that comes from outside is measured here first.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["MAX_JSON_DEPTH", "JsonTooDeep", "check_json_depth", "loads_bounded"]

#: Deepest nesting sandan accepts in any JSON it reads (EPCIS documents nest about 8).
MAX_JSON_DEPTH = 64

# A JSON string (escapes included) or one bracket: brackets inside strings do not count.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_OPEN = frozenset(b"[{")


class JsonTooDeep(ValueError):
    """A JSON text nests deeper than allowed."""

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        super().__init__(f"JSON nested deeper than {max_depth} levels")


def check_json_depth(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise :class:`JsonTooDeep` when ``text`` nests arrays/objects deeper than ``max_depth``.

    Only brackets outside strings count; the text need not be valid JSON (the parser
    that runs next reports that).
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return  # cannot be too deep: the common case costs two byte scans
    depth = 0
    for match in _TOKENS.finditer(data):
        token = match.group()
        if len(token) != 1:
            continue
        if token[0] in _OPEN:
            depth += 1
            if depth > max_depth:
                raise JsonTooDeep(max_depth)
        else:
            depth -= 1


def loads_bounded(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` after :func:`check_json_depth`."""
    check_json_depth(text, max_depth=max_depth)
    return json.loads(text)
