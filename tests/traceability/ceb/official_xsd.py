"""The official 2022-05 customs XSDs, loaded from the shared standards folder."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

from traceability.ceb import message_spec

STANDARD = Path("/work/shared/standards/ceb-xsd-202205")
# The transport and terminal node schemas describe the DxpMsg wrappers, not business messages.
XSD_OF_FLOW = {
    "import": STANDARD / "海关跨境进口业务节点报文定义202205.xsd",
    "export": STANDARD / "海关跨境出口业务节点报文定义202205.xsd",
}


@cache
def _schema(flow: str) -> etree.XMLSchema:
    # xmldsig-core-schema.xsd sits beside the CEB schemas, so the import resolves locally.
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(XSD_OF_FLOW[flow]), parser))


def xsd_errors(message: bytes) -> list[str]:
    """Why the official XSD of the message's flow refuses ``message`` (empty: it accepts)."""
    root = etree.fromstring(message, etree.XMLParser(resolve_entities=False, no_network=True))
    code = etree.QName(root).localname.removesuffix("Message")
    schema = _schema(message_spec(code).flow)
    if schema.validate(root):
        return []
    return [f"{error.line}: {error.message}" for error in schema.error_log]
