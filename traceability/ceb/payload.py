"""The payload anchored for each business document of a CEB message.

A document that arrives as XML is anchored like a JSON envelope: ``docType``,
``party``, ``keyId``, ``issuedAt`` (the message's appTime), ``salt``
(``xml:<guid>:<n>``) and the canonical JSON of the parsed model. The service
builds it on ingest and the offline verifier rebuilds it from the XML bytes.
"""

from __future__ import annotations

from datetime import datetime
from types import MappingProxyType
from typing import Any, Final

from traceability.ceb.message import CebMessage
from traceability.ceb.models import ReturnApplication
from traceability.signing import DocType
from traceability.trade import DocumentKind, TradeDocument

__all__ = ["DOC_TYPE_OF_KIND", "doc_type_of", "xml_payload"]

#: Which docType each trade document kind is signed as.
DOC_TYPE_OF_KIND: Final = MappingProxyType(
    {
        DocumentKind.ORDER: DocType.ORDER,
        DocumentKind.PAYMENT: DocType.PAYMENT,
        DocumentKind.WAYBILL: DocType.WAYBILL,
        DocumentKind.INVENTORY: DocType.INVENTORY,
    }
)


def doc_type_of(document: TradeDocument | ReturnApplication) -> DocType:
    """The docType a document of a CEB message is signed as (a CEB625 is a ``return``)."""
    if isinstance(document, ReturnApplication):
        return DocType.RETURN
    return DOC_TYPE_OF_KIND[document.kind]


def xml_payload(
    message: CebMessage,
    index: int,
    document: TradeDocument | ReturnApplication,
    *,
    party: str,
    key_id: str,
) -> dict[str, Any]:
    """The payload whose hash is anchored for document ``index`` of ``message``."""
    app_time = getattr(document, "appTime", None)
    issued = app_time.isoformat() if isinstance(app_time, datetime) else ""
    return {
        "docType": doc_type_of(document).value,
        "party": party,
        "keyId": key_id,
        "issuedAt": issued,
        "salt": f"xml:{message.guid}:{index}",
        "document": document.to_json_dict(),
    }
