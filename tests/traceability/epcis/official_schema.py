"""The official EPCIS 2.0 JSON Schema (GS1), loaded from the shared standards folder."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource

STANDARD = Path("/work/shared/standards/epcis-2.0")
ROOT = STANDARD / "EPCIS-JSON-Schema.json"


@cache
def _validator() -> jsonschema.Draft7Validator:
    resources = []
    for path in [ROOT, *sorted((STANDARD / "JSON-Schema").rglob("*.json"))]:
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    registry: Registry[Any] = Registry().with_resources(resources)
    root = json.loads(ROOT.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(
        root, registry=registry, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


def schema_errors(document: Any) -> list[str]:
    """Why the official schema refuses ``document`` (empty when it accepts it)."""
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '$'}: {e.message}"
        for e in _validator().iter_errors(document)
    ]
