"""Parse untrusted XML without ever letting the document steer the parser.

Two layers, on purpose:

1. Before lxml sees a byte, the size is checked and the prolog (everything
   before the root start tag) is scanned: any DOCTYPE is refused, with a
   distinct error for entity declarations, external identifiers and plain
   DOCTYPEs. CEB messages are defined by XSDs and never need a DTD.
2. The lxml parser itself is configured to load no DTD, resolve no entity,
   touch no network and keep libxml2's size limits, and a resolver refuses any
   URI. This only matters if layer 1 had a bug, but then it still holds.
3. The parsed tree is measured without recursion: more elements or deeper
   nesting than the limits is refused before any code walks it (libxml2 builds
   the tree iteratively and stops at 256 levels itself; CEB messages nest about
   eight, a ds:Signature included).

Only UTF-8 is accepted (with or without a BOM): the CEB specification uses
UTF-8 and a single encoding keeps the prolog scan honest.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lxml import etree

from traceability.ceb.errors import (
    DocumentTooLarge,
    ForbiddenDoctype,
    ForbiddenEntity,
    ForbiddenExternalReference,
    MalformedXml,
)

if TYPE_CHECKING:
    from lxml.etree import _Element

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_DEPTH", "DEFAULT_MAX_ELEMENTS", "parse_xml"]

#: 4 MiB: a full CEB message (100 documents of 99 lines) stays far below it.
DEFAULT_MAX_BYTES = 4 * 1024 * 1024
#: Deepest element nesting accepted (CEB messages nest about 8 levels).
DEFAULT_MAX_DEPTH = 32
#: Most elements accepted: a full CEB message (100 documents of 99 lines) has about 120,000.
DEFAULT_MAX_ELEMENTS = 200_000

_BOM = b"\xef\xbb\xbf"
_XML_DECL = re.compile(rb"<\?xml\s[^?]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_EXTERNAL_ID = re.compile(r"\b(SYSTEM|PUBLIC)\b")


class _RefuseAll(etree.Resolver):
    """Resolver that refuses every external URI lxml might ask for."""

    # lxml calls resolve(url, public_id, context); lxml-stubs omit the context.
    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:  # type: ignore[override]
        raise ForbiddenExternalReference(f"external reference refused: {system_url!r}")


def _make_parser() -> etree.XMLParser:
    """Build a parser that loads nothing from outside the given bytes."""
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        collect_ids=False,
    )
    parser.resolvers.add(_RefuseAll())
    return parser


def parse_xml(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_elements: int = DEFAULT_MAX_ELEMENTS,
) -> _Element:
    """Parse untrusted UTF-8 XML bytes into an element tree root, refusing unsafe input."""
    if len(data) > max_bytes:
        raise DocumentTooLarge(f"document has {len(data)} bytes; the limit is {max_bytes}")
    body = data[len(_BOM) :] if data.startswith(_BOM) else data
    _check_encoding(body)
    text = _decode(body)
    _check_prolog(text)
    try:
        root = etree.fromstring(body, parser=_make_parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedXml(f"not well-formed XML: {exc}") from exc
    _check_no_dtd_survived(root)
    _check_shape(root, max_depth, max_elements)
    return root


def _check_shape(root: _Element, max_depth: int, max_elements: int) -> None:
    """Refuse more than ``max_elements`` nodes or nesting deeper than ``max_depth``, iteratively."""
    depth = count = 0
    for event, _node in etree.iterwalk(root, events=("start", "end")):
        if event == "end":
            depth -= 1
            continue
        depth += 1
        count += 1
        if depth > max_depth:
            raise DocumentTooLarge(f"elements nested deeper than {max_depth} levels")
        if count > max_elements:
            raise DocumentTooLarge(f"more than {max_elements} XML elements")


def _check_encoding(body: bytes) -> None:
    """Refuse a declared encoding other than UTF-8."""
    match = _XML_DECL.match(body)
    if match is not None and match.group(1).lower() not in (b"utf-8", b"utf8"):
        declared = match.group(1).decode("ascii")
        raise MalformedXml(f"encoding {declared!r} is not accepted; CEB messages are UTF-8")


def _decode(body: bytes) -> str:
    """Decode strictly as UTF-8 so the prolog scan sees what the parser will see."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedXml(f"not valid UTF-8 at byte {exc.start}") from exc


def _check_prolog(text: str) -> None:
    """Walk the prolog (declaration, comments, PIs) up to the root and refuse a DOCTYPE."""
    pos = 0
    end = len(text)
    while pos < end:
        if text[pos] in " \t\r\n":
            pos += 1
        elif text.startswith("<?", pos):
            pos = _skip_past(text, pos, "?>")
        elif text.startswith("<!--", pos):
            pos = _skip_past(text, pos + 4, "-->")
        elif text.startswith("<!DOCTYPE", pos) or text.startswith("<!doctype", pos):
            _refuse_doctype(text[pos:])
        else:
            return  # the root start tag, or junk that the parser will report


def _skip_past(text: str, start: int, terminator: str) -> int:
    """Return the index after ``terminator``, or the end when it is missing."""
    found = text.find(terminator, start)
    return len(text) if found < 0 else found + len(terminator)


def _refuse_doctype(doctype: str) -> None:
    """Raise the most specific error for a DOCTYPE found in the prolog."""
    subset_start = doctype.find("[")
    head_end = doctype.find(">")
    has_subset = subset_start >= 0 and (head_end < 0 or subset_start < head_end)
    head = doctype[: subset_start if has_subset else max(head_end, 0)]
    subset = doctype[subset_start:] if has_subset else ""
    # External first: an XXE is an entity declaration too, but the sharper name helps.
    if _EXTERNAL_ID.search(head) or _EXTERNAL_ID.search(subset):
        raise ForbiddenExternalReference("external DTD or entity reference is forbidden")
    if "<!ENTITY" in subset:
        raise ForbiddenEntity("entity declarations are forbidden (DOCTYPE with <!ENTITY>)")
    raise ForbiddenDoctype("DOCTYPE declarations are forbidden in CEB messages")


def _check_no_dtd_survived(root: _Element) -> None:
    """Defence in depth: refuse a tree that still carries a DTD or entity nodes."""
    docinfo = root.getroottree().docinfo
    if docinfo.public_id or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise ForbiddenDoctype("DOCTYPE declarations are forbidden in CEB messages")
    for _ in root.iter(etree.Entity):
        raise ForbiddenEntity("entity references are forbidden")
