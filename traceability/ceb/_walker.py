"""Walk a parsed element against its spec, building a :data:`Record` and collecting issues.

Children are gathered by name, then their order is checked against the XSD
sequence, so one misplaced element gives one issue rather than an avalanche.
Every problem is collected, none stops the walk, so a sender sees all of them.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from lxml import etree

from traceability.ceb._values import check_value, is_numeric
from traceability.ceb.spec import CEB_NS, Field, Group, Node, Opaque, Record, RuleIssue

if TYPE_CHECKING:
    from lxml.etree import _Element

Issue = RuleIssue  # path here is absolute, from the root


def element_children(element: _Element) -> list[_Element]:
    """Element children only (comments and processing instructions are skipped)."""
    return [kid for kid in element if isinstance(kid.tag, str)]


def _qname(node: Node) -> str:
    namespace = node.namespace if isinstance(node, Opaque) else CEB_NS
    return f"{{{namespace}}}{node.name}"


def walk_group(element: _Element, spec: Group, path: str, issues: list[Issue]) -> Record:
    """Read ``element``'s children per ``spec`` into a record, appending issues."""
    _check_no_text(element, path, issues)
    positions = {_qname(node): place for place, node in enumerate(spec.children)}
    found: dict[str, list[_Element]] = {}
    last = -1
    for kid in element_children(element):
        place = positions.get(kid.tag)
        if place is None:
            issues.append(
                Issue(f"{path}/{_local(kid)}", "schema.unexpected", _unexpected(kid, spec))
            )
            continue
        if place < last:
            detail = f"out of order: must come before {spec.children[last].name}"
            issues.append(Issue(f"{path}/{_local(kid)}", "schema.order", detail))
        last = max(last, place)
        found.setdefault(str(kid.tag), []).append(kid)
    record: Record = {}
    for node in spec.children:
        _read_node(node, found.get(_qname(node), []), path, record, issues)
    return record


def _read_node(
    node: Node, matched: list[_Element], path: str, record: Record, issues: list[Issue]
) -> None:
    """Check the occurrence count of ``node`` and store what was read."""
    if isinstance(node, Field):
        _read_field(node, matched, path, record, issues)
        return
    _check_occurs(node, len(matched), path, issues)
    if isinstance(node, Opaque):
        if matched:
            # A copy declares only the namespaces it uses, so the kept bytes do not depend on
            # what the root happened to declare, and re-reading a written message gives them back.
            kept = copy.deepcopy(matched[0])
            record[node.name] = etree.tostring(kept, with_tail=False)
        return
    if node.max_occurs == 1:
        if matched:
            record[node.name] = walk_group(matched[0], node, f"{path}/{node.name}", issues)
        return
    # Past max_occurs the message is refused already: reading the surplus would only let
    # one request of 80,000 repeats buy 80,000 walks and their issues.
    record[node.name] = [
        walk_group(kid, node, f"{path}/{node.name}[{number}]", issues)
        for number, kid in enumerate(matched[: node.max_occurs], start=1)
    ]


def _read_field(
    spec: Field, matched: list[_Element], path: str, record: Record, issues: list[Issue]
) -> None:
    here = f"{path}/{spec.name}"
    if len(matched) > 1:
        issues.append(Issue(here, "schema.occurs", f"appears {len(matched)} times; at most once"))
    if not matched:
        if spec.required:
            issues.append(Issue(here, "schema.required", "required element is missing"))
        return
    element = matched[0]
    if element_children(element):
        issues.append(Issue(here, "schema.type", "a simple value must not contain elements"))
        return
    value = element.text or ""
    if is_numeric(spec.kind):
        value = value.strip()
    if value == "":
        # An empty optional element is read as absent; an empty required one is an error.
        if spec.required:
            issues.append(Issue(here, "schema.required", "required element is empty"))
        return
    issues.extend(Issue(here, reason, detail) for reason, detail in check_value(spec, value))
    record[spec.name] = value


def _check_occurs(node: Group | Opaque, count: int, path: str, issues: list[Issue]) -> None:
    here = f"{path}/{node.name}"
    if count < node.min_occurs:
        detail = "required element is missing" if count == 0 else f"at least {node.min_occurs}"
        issues.append(Issue(here, "schema.required", detail))
    elif count > node.max_occurs:
        issues.append(Issue(here, "schema.occurs", f"{count} found; at most {node.max_occurs}"))


def _check_no_text(element: _Element, path: str, issues: list[Issue]) -> None:
    texts = [element.text, *(kid.tail for kid in element)]
    if any(text is not None and text.strip() for text in texts):
        issues.append(Issue(path, "schema.type", "text is not allowed between elements here"))


def _local(element: _Element) -> str:
    return etree.QName(element).localname


def _unexpected(element: _Element, spec: Group) -> str:
    qname = etree.QName(element)
    if qname.namespace not in (CEB_NS, None):
        return f"element {qname.localname} in namespace {qname.namespace!r} is not allowed"
    if qname.namespace is None:
        return f"element {qname.localname} has no namespace; expected {CEB_NS}"
    return f"element {qname.localname} is not defined in {spec.name}"
