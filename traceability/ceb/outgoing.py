"""The messages sandan sends on a party's behalf: one stored document, one CEB message.

A stored trade document (however it arrived: a JSON envelope or CEB XML) is written
back as the declaration message of its type, alone in its message, with the
transmitting party's ``BaseTransfer``. A type whose XSD requires ``ds:Signature``
(CEB621, CEB623, CEB625, and
CEB605/607 once declared, appStatus 2) is only written with the party's own signature over the
bytes: sandan never signs for a party, so such a message is relayed as the party
signed it (see :func:`needs_party_signature`).
"""

from __future__ import annotations

from traceability.ceb.message import CebMessage, message_spec
from traceability.ceb.models import BaseTransfer
from traceability.ceb.spec import Opaque
from traceability.trade.fields import CebModel
from traceability.trade.xml_form import XmlLayout

__all__ = ["base_transfer", "needs_party_signature", "outgoing_message"]

#: The transport the 2022-05 XSD fixes for BaseTransfer.dxpMode (中国电子口岸数据交换平台).
DXP_MODE = "DXP"


def needs_party_signature(message_type: str, document: CebModel) -> bool:
    """Whether ``document`` can only be sent as ``message_type`` with ds:Signature: the XSD
    requires it (minOccurs 1), or it documents that appStatus 2 (申报) does."""
    spec = message_spec(message_type)
    if any(
        isinstance(node, Opaque) and node.name == "Signature" and node.min_occurs >= 1
        for node in spec.tail
    ):
        return True
    layout = getattr(type(document), "xml_layout", None)
    rules = layout.rules if isinstance(layout, XmlLayout) else ()
    return "signature_when_declared" in rules and getattr(document, "appStatus", None) == "2"


def base_transfer(code: str, name: str, dxp_id: str) -> BaseTransfer:
    """The transmitting company (copCode, copName) and its data-exchange user number."""
    return BaseTransfer(copCode=code, copName=name, dxpMode=DXP_MODE, dxpId=dxp_id)


def outgoing_message(
    message_type: str, document: CebModel, *, guid: str, transfer: BaseTransfer
) -> CebMessage:
    """``document`` alone in a ``message_type`` message sent by ``transfer``'s company."""
    message_spec(message_type)  # UnknownMessage for a type sandan does not write
    return CebMessage(message_type, guid, (document,), base_transfer=transfer)
