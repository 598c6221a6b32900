"""The official EPCIS 2.0 JSON Schema (GS1), loaded from the shared standards folder.

The schema leans on the ``uri`` and ``date-time`` formats (a document's top-level
property names must be URIs, for one); jsonschema checks them only with optional
packages, so both are checked here, as RFC 3986 and RFC 3339 define them.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from typing import Any

import jsonschema
from referencing import Registry, Resource

from tests.conftest import standards_dir

#: RFC 3986 absolute URI: a scheme, a colon, then no spaces or controls.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s\x00-\x1f\x7f<>\"{}|\\^`]*")
#: RFC 3339 date-time: a date, T, a time and a zone (Z or an offset).
_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")

FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or _URI.fullmatch(value) is not None


@FORMATS.checks("date-time")
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if _DATE_TIME.fullmatch(value) is None:
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


@cache
def _validator() -> jsonschema.Draft7Validator:
    standard = standards_dir("epcis-2.0")  # ../shared/standards (skipped where absent)
    root_path = standard / "EPCIS-JSON-Schema.json"
    resources = []
    for path in [root_path, *sorted((standard / "JSON-Schema").rglob("*.json"))]:
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    registry: Registry[Any] = Registry().with_resources(resources)
    root = json.loads(root_path.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(root, registry=registry, format_checker=FORMATS)


def schema_errors(document: Any) -> list[str]:
    """Why the official schema refuses ``document`` (empty when it accepts it)."""
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '$'}: {e.message}"
        for e in _validator().iter_errors(document)
    ]
