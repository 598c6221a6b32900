"""Move between a spec-shaped record (head and list elements) and a model's flat JSON.

The models follow the trade-model convention: a business element's single
child groups (``OrderHead``) are flattened into the document, repeated ones
(``OrderList``) stay lists under their own name.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from traceability.ceb.spec import Field, Group, Record
from traceability.ceb.spec import RuleIssue as Issue
from traceability.trade.code_lists import explain_error
from traceability.trade.models import CebModel


def flatten(record: Record, spec: Group) -> dict[str, Any]:
    """Merge single child groups into one dict; keep repeated groups as lists."""
    flat: dict[str, Any] = {}
    for node in spec.children:
        if node.name not in record:
            continue
        value = record[node.name]
        if isinstance(node, Group) and node.max_occurs == 1 and isinstance(value, dict):
            flat.update(value)
        else:
            flat[node.name] = value
    return flat


def unflatten(flat: dict[str, Any], spec: Group) -> Record:
    """Rebuild the spec-shaped record from a model's JSON (values become text)."""
    record: Record = {}
    for node in spec.children:
        if isinstance(node, Field):
            if flat.get(node.name) is not None:
                record[node.name] = str(flat[node.name])
        elif isinstance(node, Group) and node.max_occurs == 1:
            record[node.name] = unflatten(flat, node)
        elif isinstance(node, Group):
            record[node.name] = [unflatten(item, node) for item in flat.get(node.name, [])]
    return record


def to_model(
    model: type[CebModel], record: Record, spec: Group, path: str
) -> tuple[CebModel | None, list[Issue]]:
    """Validate one business record as ``model``; pydantic errors become issues."""
    try:
        return model.model_validate(flatten(record, spec)), []
    except ValidationError as exc:
        issues = [
            Issue(_error_path(spec, path, error["loc"]), "schema.model", explain_error(error))
            for error in exc.errors(include_url=False)
        ]
        return None, issues


def _error_path(spec: Group, path: str, loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic ``loc`` on the flat JSON back into an element path."""
    if not loc:
        return path
    head, *rest = loc
    for node in spec.children:
        if node.name == head and isinstance(node, Group):
            index = f"[{rest[0] + 1}]" if rest and isinstance(rest[0], int) else ""
            tail = "/".join(str(part) for part in rest[1:])
            return f"{path}/{head}{index}" + (f"/{tail}" if tail else "")
        if (
            isinstance(node, Group)
            and node.max_occurs == 1
            and any(child.name == head for child in node.children)
        ):
            return f"{path}/{node.name}/{head}"
    return f"{path}/{head}"
