"""Submitting signed CEB XML messages: the same path as JSON envelopes, from XML bytes.

The party signs the XML bytes exactly as it sends them (detached signature in
the ``Sandan-Signature`` header, key in ``Sandan-Key-Id``). sandan parses the
message safely, and each business document in it becomes one stored document
whose *payload* is built like a JSON envelope's: ``docType``, ``party``,
``keyId``, ``issuedAt`` (the message's appTime), ``salt`` (``xml:<guid>:<n>``)
and the canonical JSON of the parsed model. That payload's SHA-256 is what is
anchored; the XML bytes and their signature are kept beside it, so a verifier
re-parses the XML, rebuilds the payload and checks both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from api.config import ApiSettings
from api.db.models import PartyRecord
from api.errors import UnprocessableContent
from api.returns_schemas import ReturnPublic
from api.runtime import Runtime
from api.schemas import DocumentPublic
from api.services import documents as service
from api.services import keys as key_service
from api.services import returns as return_service
from api.services import submission
from api.services.certificates import check_certificate
from traceability import DigestProfile, PartyKey, SignedBytes, content_hash, verify_signer
from traceability.ceb import CebMessage, SchemaViolation, read_message, verify_xml_signature
from traceability.ceb.models import ReturnApplication
from traceability.ceb.payload import doc_type_of, xml_payload
from traceability.limits import MAX_REPORTED_ISSUES
from traceability.signing import b64url_decode
from traceability.trade import DOCUMENT_MODELS, TradeDocument

#: The messages ``POST /documents/xml`` takes: the trade documents and the import return
#: application (CEB625), which is judged as a return (:mod:`api.services.returns`).
ACCEPTED_MESSAGES = frozenset(DOCUMENT_MODELS) | {"CEB625"}


@dataclass(frozen=True)
class XmlSignature:
    """The detached signature of an XML submission, from the request headers."""

    key_id: str
    signature: str


def _verify_signer(
    session: Session,
    context: service.WriteContext,
    party: PartyRecord,
    signature: XmlSignature,
    documents: list[TradeDocument] | list[ReturnApplication],
    body: bytes,
) -> PartyKey:
    """The checks every signed submission meets (:func:`traceability.verify_signer`), over
    the XML bytes, with each business document's type and appTime as its claims."""
    try:
        raw = b64url_decode(signature.signature)
    except ValueError as exc:
        raise UnprocessableContent(
            "signature is not base64url", field="Sandan-Signature", code="malformed_envelope"
        ) from exc
    claims = tuple((doc_type_of(d), d.appTime) for d in documents)
    signed = SignedBytes(party.code, signature.key_id, None, body, raw, claims)
    directory = key_service.registry_for(session=session, party_code=party.code)
    _, key = verify_signer(signed, directory, now=context.now, max_clock_skew=context.max_skew)
    return key


def _parse(body: bytes, max_bytes: int) -> CebMessage:
    try:
        return read_message(body, max_bytes=max_bytes, expect=ACCEPTED_MESSAGES)
    except SchemaViolation as exc:
        raise UnprocessableContent(
            exc.message,
            field=exc.field,
            code="schema_violation",
            # A hostile message can hold any number of issues: list the first ones, count all.
            extra={
                "issues": [issue.as_dict() for issue in exc.issues[:MAX_REPORTED_ISSUES]],
                "issueCount": len(exc.issues),
                # The shape every other 422 lists its problems in (api.web.errors).
                "errors": [
                    {"field": issue.path, "message": issue.detail}
                    for issue in exc.issues[:MAX_REPORTED_ISSUES]
                ],
                "errorCount": len(exc.issues),
            },
        ) from exc


def _trade_documents(message: CebMessage) -> list[TradeDocument]:
    documents: list[TradeDocument] = []
    for document in message.documents:
        assert isinstance(document, DOCUMENT_MODELS[message.message_type])
        documents.append(document)  # type: ignore[arg-type]
    return documents


def check_xml_signature(
    party: PartyRecord, message: CebMessage, body: bytes, *, settings: ApiSettings, now: datetime
) -> str:
    """The ds:Signature outcome: ``valid``, ``missing`` or ``unverified`` (no certificate).

    A signature that fails against the registered certificate is refused outright:
    the message was altered or signed by someone else. With trusted CAs configured, the
    registered certificate must still chain to one and be within its validity period.
    """
    if message.signature is None:
        return "missing"
    if party.xml_certificate is None:
        return "unverified"
    check_certificate(
        party.xml_certificate.encode("ascii"), settings=settings, at=now, field="ds:Signature"
    )
    result = verify_xml_signature(
        body, party.xml_certificate.encode("ascii"), max_bytes=len(body) + 1
    )
    if not result.valid:
        raise UnprocessableContent(
            f"ds:Signature does not verify with the registered certificate: {result.detail}",
            field="ds:Signature",
            code="xml_signature_invalid",
            extra={"outcome": result.outcome},
        )
    return "valid"


def submit_xml(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    signature: XmlSignature,
    body: bytes,
) -> list[DocumentPublic | ReturnPublic]:
    """Parse, verify and store every business document of a signed CEB message (a CEB625's
    return applications are judged as returns: :mod:`api.services.returns`)."""
    message = _parse(body, runtime.settings.max_body_bytes)
    if message.message_type == "CEB625":
        return [*_submit_returns(session, runtime, party, signature, message, body)]
    documents = _trade_documents(message)
    context = submission.context_of(runtime)
    key = _verify_signer(session, context, party, signature, documents, body)
    xml_signature = check_xml_signature(
        party, message, body, settings=runtime.settings, now=context.now
    )
    prepared = []
    for index, trade_document in enumerate(documents):
        service.check_strings(trade_document.to_json_dict(), f"documents[{index}]")
        service.check_signer_named(party.code, trade_document)
        prepared.append(
            _prepare(message, index, trade_document, key, signature, body, context.digest)
        )
    decisions = submission.submit(session=session, submissions=prepared, context=context)
    return [
        submission.document_result(session=session, decision=decision).model_copy(
            update={"xml_signature": xml_signature}
        )
        for decision in decisions
    ]


def _prepare(
    message: CebMessage,
    index: int,
    document: TradeDocument,
    key: PartyKey,
    signature: XmlSignature,
    body: bytes,
    digest: DigestProfile,
) -> service.Submission:
    """Document ``index`` of the message as a submission, its payload built like a JSON one's."""
    payload = xml_payload(message, index, document, party=key.party_code, key_id=key.key_id)
    envelope = {
        "source": "ceb-xml",
        "messageType": message.message_type,
        "index": index,
        "payload": payload,
        "alg": key.alg.value,
        "signature": signature.signature,
    }
    return service.Submission(
        party=payload["party"],
        key_id=payload["keyId"],
        salt=payload["salt"],
        envelope_json=json.dumps(envelope, ensure_ascii=False),
        document=document,
        content_hash=content_hash(payload, digest).hex(),
        key=key,
        issued_at=document.appTime,
        source_xml=body.decode("utf-8"),
    )


def _submit_returns(
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    signature: XmlSignature,
    message: CebMessage,
    body: bytes,
) -> list[ReturnPublic]:
    """A CEB625 message: each return application judged as a return, signed like any XML."""
    applications = [d for d in message.documents if isinstance(d, ReturnApplication)]
    context = submission.context_of(runtime)
    key = _verify_signer(session, context, party, signature, applications, body)
    xml_signature = check_xml_signature(
        party, message, body, settings=runtime.settings, now=context.now
    )
    prepared = []
    for index, application in enumerate(applications):
        prefix = f"documents[{index}]"
        service.check_strings(application.to_json_dict(), prefix)
        return_service.check_submitter(party.code, application, prefix)
        payload = xml_payload(message, index, application, party=key.party_code, key_id=key.key_id)
        envelope = {
            "source": "ceb-xml",
            "messageType": message.message_type,
            "index": index,
            "xmlSignature": xml_signature,
            "payload": payload,
            "alg": key.alg.value,
            "signature": signature.signature,
        }
        prepared.append(
            return_service.ReturnSubmission(
                party=payload["party"],
                key_id=payload["keyId"],
                salt=payload["salt"],
                content_hash=content_hash(payload, context.digest).hex(),
                application=application,
                envelope_json=json.dumps(envelope, ensure_ascii=False),
                key=key,
                issued_at=application.appTime,
                source_xml=body.decode("utf-8"),
            )
        )
    return return_service.submit_returns(
        session=session, runtime=runtime, submissions=prepared, now=context.now
    )
