"""China customs cross-border e-commerce (CEB) XML messages: read, check, write, sign.

* :func:`read_message` / :func:`write_message`: bytes ↔ :class:`CebMessage` of typed models,
  for the import (CEB311/411/511/621/623/625), export (CEB303/403/505/603/605/607/701)
  and receipt (CEB312…CEB900, CEB624/606) messages in :data:`SUPPORTED_MESSAGES`;
* :func:`parse_xml`: the hardened parser every read goes through;
* :func:`verify_xml_signature` / :func:`sign_xml`: enveloped XML-DSig (RSA-SHA1, C14N);
* :func:`build_receipt` / :func:`build_format_receipt`: answers with customs status codes;
* :func:`build_summary_application`: CEB701 from released export inventories;
* :func:`outgoing_message`: one stored document as the message sandan sends for its party.
"""

from traceability.ceb.errors import (
    CebError,
    DocumentTooLarge,
    ForbiddenDoctype,
    ForbiddenEntity,
    ForbiddenExternalReference,
    InvalidSummary,
    MalformedXml,
    SchemaIssue,
    SchemaViolation,
    UnknownMessage,
    UnsafeXml,
    WrongNamespace,
)
from traceability.ceb.message import (
    SUPPORTED_MESSAGES,
    CebMessage,
    message_spec,
    read_message,
    write_message,
)
from traceability.ceb.outgoing import base_transfer, needs_party_signature, outgoing_message
from traceability.ceb.receipts import (
    RECEIPT_FOR,
    STATUS_MEANING,
    CustomsStatus,
    build_format_receipt,
    build_receipt,
    receipt_time,
    status_for_verdict,
)
from traceability.ceb.safe_xml import DEFAULT_MAX_BYTES, parse_xml
from traceability.ceb.signature import (
    SignatureResult,
    certificate_key_fingerprint,
    sign_xml,
    verify_xml_signature,
)
from traceability.ceb.spec import CEB_NS, DS_NS
from traceability.ceb.summary import (
    ReleasedByCustoms,
    ReleasedInventory,
    build_summary_application,
)

__all__ = [
    "CEB_NS",
    "DEFAULT_MAX_BYTES",
    "DS_NS",
    "RECEIPT_FOR",
    "STATUS_MEANING",
    "SUPPORTED_MESSAGES",
    "CebError",
    "CebMessage",
    "CustomsStatus",
    "DocumentTooLarge",
    "ForbiddenDoctype",
    "ForbiddenEntity",
    "ForbiddenExternalReference",
    "InvalidSummary",
    "MalformedXml",
    "ReleasedByCustoms",
    "ReleasedInventory",
    "SchemaIssue",
    "SchemaViolation",
    "SignatureResult",
    "UnknownMessage",
    "UnsafeXml",
    "WrongNamespace",
    "base_transfer",
    "build_format_receipt",
    "build_receipt",
    "build_summary_application",
    "certificate_key_fingerprint",
    "message_spec",
    "needs_party_signature",
    "outgoing_message",
    "parse_xml",
    "read_message",
    "receipt_time",
    "sign_xml",
    "status_for_verdict",
    "verify_xml_signature",
    "write_message",
]
