"""The official 2022-05 customs XSDs, loaded from the shared standards folder."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from lxml import etree

from tests.conftest import standards_dir
from traceability.ceb import message_spec

# The transport and terminal node schemas describe the DxpMsg wrappers, not business messages.
XSD_FILE_OF_FLOW = {
    "import": "海关跨境进口业务节点报文定义202205.xsd",
    "export": "海关跨境出口业务节点报文定义202205.xsd",
}


def _xsd_path(flow: str) -> Path:
    return standards_dir("ceb-xsd-202205") / XSD_FILE_OF_FLOW[flow]


@cache
def _schema(flow: str) -> etree.XMLSchema:
    # xmldsig-core-schema.xsd sits beside the CEB schemas, so the import resolves locally.
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(_xsd_path(flow)), parser))


def xsd_errors(message: bytes) -> list[str]:
    """Why the official XSD of the message's flow refuses ``message`` (empty: it accepts)."""
    root = etree.fromstring(message, etree.XMLParser(resolve_entities=False, no_network=True))
    code = etree.QName(root).localname.removesuffix("Message")
    schema = _schema(message_spec(code).flow)
    if schema.validate(root):
        return []
    return str(schema.error_log).splitlines()


@cache
def _globals(flow: str) -> tuple[dict[str, etree._Element], dict[str, etree._Element]]:
    root = etree.parse(str(_xsd_path(flow))).getroot()
    elements = {e.get("name", ""): e for e in root.findall(f"{XS}element")}
    types = {t.get("name", ""): t for t in root.findall(f"{XS}complexType")}
    return elements, types


XS = "{http://www.w3.org/2001/XMLSchema}"
UNBOUNDED_TEXT = "unbounded"


@dataclass(frozen=True)
class XsdChild:
    """One child of an XSD sequence: its name, occurrence bounds and declaration."""

    name: str
    min_occurs: int
    max_occurs: int | None  # None: unbounded
    declaration: etree._Element | None  # None: another namespace (ds:Signature)


def xsd_children(flow: str, path: tuple[str, ...]) -> list[XsdChild]:
    """The sequence of the element at ``path`` (root first, e.g. ``("CEB311Message", "Order")``)."""
    elements, types = _globals(flow)
    declaration: etree._Element | None = elements[path[0]]
    for name in path[1:]:
        assert declaration is not None
        step = next(c.declaration for c in _sequence(declaration, types) if c.name == name)
        declaration = _target(step, elements)
    assert declaration is not None
    return [
        replace(child, declaration=_target(child.declaration, elements))
        for child in _sequence(declaration, types)
    ]


def _sequence(declaration: etree._Element, types: dict[str, etree._Element]) -> list[XsdChild]:
    complex_type = declaration.find(f"{XS}complexType")
    type_name = declaration.get("type", "")
    if complex_type is None and type_name.startswith("ceb:"):
        complex_type = types[type_name.removeprefix("ceb:")]
    if complex_type is None:
        return []
    sequence = complex_type.find(f"{XS}sequence")
    children = []
    for kid in [] if sequence is None else sequence.findall(f"{XS}element"):
        high = kid.get("maxOccurs", "1")
        children.append(
            XsdChild(
                (kid.get("ref") or kid.get("name") or "").split(":")[-1],
                int(kid.get("minOccurs", "1")),
                None if high == UNBOUNDED_TEXT else int(high),
                kid,
            )
        )
    return children


def _target(
    declaration: etree._Element | None, elements: dict[str, etree._Element]
) -> etree._Element | None:
    """A local declaration itself, a ``ceb:`` reference's global one, ``None`` for ``ds:``."""
    if declaration is None:
        return None
    ref = declaration.get("ref")
    if ref is None:
        return declaration
    return elements[ref.removeprefix("ceb:")] if ref.startswith("ceb:") else None
