"""Read and write whole CEB messages: bytes ↔ :class:`CebMessage` of typed models.

Reading never trusts the bytes: :func:`~traceability.ceb.safe_xml.parse_xml`
refuses unsafe input first; the root is looked up by namespace and local name
(never by prefix); then every element is checked against its spec and every
issue is reported at once in one :class:`~traceability.ceb.errors.SchemaViolation`.
Writing puts elements in schema order with the ``ceb`` prefix and a UTF-8
declaration, then reads its own output back, so it cannot emit what it would refuse.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lxml import etree
from pydantic import ValidationError

from traceability.ceb._mapping import to_model, unflatten
from traceability.ceb._registry import MODELS, SPECS
from traceability.ceb._walker import walk_group
from traceability.ceb.errors import (
    CebError,
    SchemaIssue,
    SchemaViolation,
    UnknownMessage,
    WrongNamespace,
)
from traceability.ceb.models import BaseSubscribe, BaseTransfer
from traceability.ceb.safe_xml import DEFAULT_MAX_BYTES, parse_xml
from traceability.ceb.spec import CEB_NS, DS_NS, Field, Group, MessageSpec, Opaque, Record
from traceability.ceb.spec import RuleIssue as Issue
from traceability.trade.code_lists import explain_error

if TYPE_CHECKING:
    from lxml.etree import _Element

    from traceability.trade.models import CebModel

__all__ = [
    "SUPPORTED_MESSAGES",
    "CebMessage",
    "message_spec",
    "read_message",
    "write_message",
]

SUPPORTED_MESSAGES: tuple[str, ...] = tuple(sorted(SPECS))
"""Every message type sandan reads and writes, e.g. ``"CEB311"``."""


@dataclass(frozen=True)
class CebMessage:
    """One CEB message: its envelope attributes, typed documents and kept raw parts."""

    message_type: str
    guid: str
    documents: tuple[CebModel, ...]
    version: str = "1.0"
    base_transfer: BaseTransfer | None = None
    base_subscribe: tuple[BaseSubscribe, ...] = ()
    extend_message: bytes | None = None
    #: The ds:Signature element as lxml serialises it; verify against ``source``.
    signature: bytes | None = None
    #: The bytes exactly as received (``None`` for a message built in memory).
    source: bytes | None = field(default=None, compare=False, repr=False)

    def to_json_dict(self) -> dict[str, Any]:
        """The message as JSON-ready data (documents in their canonical JSON form)."""
        data: dict[str, Any] = {
            "message_type": self.message_type,
            "guid": self.guid,
            "version": self.version,
            "documents": [document.to_json_dict() for document in self.documents],
            "signed": self.signature is not None,
        }
        if self.base_transfer is not None:
            data["BaseTransfer"] = self.base_transfer.to_json_dict()
        if self.base_subscribe:
            data["BaseSubscribe"] = [item.to_json_dict() for item in self.base_subscribe]
        # Kept verbatim so that write_message re-emits them: a signature re-serialised any
        # other way would no longer verify.
        if self.extend_message is not None:
            data["ExtendMessage"] = self.extend_message.decode("utf-8")
        if self.signature is not None:
            data["Signature"] = self.signature.decode("utf-8")
        return data

    @classmethod
    def from_json_dict(cls, data: object) -> CebMessage:
        """The message :meth:`to_json_dict` printed; :class:`SchemaViolation` names each bad key."""
        return _from_json(data)


def message_spec(message_type: str) -> MessageSpec:
    """The spec of ``message_type`` (``"CEB311"``); :class:`UnknownMessage` otherwise."""
    try:
        return SPECS[message_type]
    except KeyError:
        raise UnknownMessage(f"unsupported CEB message type {message_type!r}") from None


def read_message(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    expect: Collection[str] | None = None,
) -> CebMessage:
    """Parse, check and type one CEB message; ``expect`` limits the accepted types."""
    root = parse_xml(data, max_bytes=max_bytes)
    spec = _spec_of(root, expect)
    issues: list[Issue] = []
    guid, version = _root_attributes(root, spec.root, issues)
    body = walk_group(root, Group(spec.root, spec.children), spec.root, issues)
    documents = _documents(spec, body, issues)
    if issues:
        raise SchemaViolation(
            tuple(SchemaIssue(spec.code, i.path, i.reason, i.detail) for i in issues)
        )
    return _assemble(spec.code, guid, version, body, documents, data)


def _spec_of(root: _Element, expect: Collection[str] | None) -> MessageSpec:
    qname = etree.QName(root)
    code = qname.localname.removesuffix("Message")
    if qname.namespace != CEB_NS:
        raise WrongNamespace(
            f"root {qname.localname} is in namespace {qname.namespace!r}; expected {CEB_NS!r}"
        )
    if not qname.localname.endswith("Message") or code not in SPECS:
        raise UnknownMessage(f"unsupported CEB message root {qname.localname!r}")
    if expect is not None and code not in expect:
        wanted = ", ".join(sorted(expect))
        raise UnknownMessage(f"expected a {wanted} message, got {code}")
    return SPECS[code]


def _root_attributes(root: _Element, path: str, issues: list[Issue]) -> tuple[str, str]:
    guid = root.get("guid")
    version = root.get("version", "1.0")
    if guid is None:
        issues.append(Issue(f"{path}/@guid", "schema.required", "required attribute is missing"))
    elif len(guid) != 36:
        detail = f"must be exactly 36 characters, got {len(guid)}"
        issues.append(Issue(f"{path}/@guid", "schema.length", detail))
    if not 1 <= len(version) <= 10:
        issues.append(Issue(f"{path}/@version", "schema.length", "must be 1 to 10 characters"))
    return guid or "", version


def _documents(spec: MessageSpec, body: Record, issues: list[Issue]) -> list[CebModel]:
    """Apply the conditional rules, then type each business element as its model."""
    name = spec.business.name
    found = body.get(name)
    records = [found] if isinstance(found, dict) else found
    if not isinstance(records, list):
        return []
    documents: list[CebModel] = []
    for number, record in enumerate(records, start=1):
        prefix = _business_path(spec, number)
        for rule in spec.rules:
            issues.extend(
                Issue(f"{prefix}/{i.path}", i.reason, i.detail) for i in rule(record, body)
            )
    if issues:
        return []  # typed models would only repeat what is already reported
    for number, record in enumerate(records, start=1):
        prefix = _business_path(spec, number)
        document, problems = to_model(MODELS[spec.code], record, spec.business, prefix)
        issues.extend(problems)
        if document is not None:
            documents.append(document)
    return documents


def _business_path(spec: MessageSpec, number: int) -> str:
    """``CEB311Message/Order[2]``; no index for a business element that occurs once."""
    index = f"[{number}]" if spec.business.max_occurs > 1 else ""
    return f"{spec.root}/{spec.business.name}{index}"


def _assemble(
    code: str, guid: str, version: str, body: Record, documents: list[CebModel], data: bytes
) -> CebMessage:
    transfer = body.get("BaseTransfer")
    subscribe = body.get("BaseSubscribe")
    extend = body.get("ExtendMessage")
    signature = body.get("Signature")
    return CebMessage(
        message_type=code,
        guid=guid,
        version=version,
        documents=tuple(documents),
        base_transfer=BaseTransfer.model_validate(transfer) if isinstance(transfer, dict) else None,
        base_subscribe=tuple(
            BaseSubscribe.model_validate(item)
            for item in (subscribe or [])
            if isinstance(item, dict)
        ),
        extend_message=extend if isinstance(extend, bytes) else None,
        signature=signature if isinstance(signature, bytes) else None,
        source=data,
    )


# --- from JSON (what ``sandan ceb convert`` prints) ------------------------------

_JSON_KEYS = frozenset(
    {"message_type", "guid", "version", "documents", "signed", "BaseTransfer", "BaseSubscribe"}
    | {"ExtendMessage", "Signature"}
)


def _from_json(data: object) -> CebMessage:
    if not isinstance(data, dict):
        raise SchemaViolation((SchemaIssue("", "$", "json.type", "must be a JSON object"),))
    code = data.get("message_type")
    if not isinstance(code, str):
        detail = "must name the message type, e.g. CEB311"
        raise SchemaViolation((SchemaIssue("", "message_type", "json.required", detail),))
    spec = message_spec(code)
    issues: list[SchemaIssue] = [
        SchemaIssue(code, str(key), "json.unexpected", "not a key of a converted message")
        for key in data
        if key not in _JSON_KEYS
    ]
    texts = {key: data.get(key) for key in ("guid", "version", "ExtendMessage", "Signature")}
    for key, value in texts.items():
        if value is not None and not isinstance(value, str):
            issues.append(SchemaIssue(code, key, "json.type", "must be a string"))
    if data.get("signed", data.get("Signature") is not None) != (data.get("Signature") is not None):
        detail = "signed must say whether the message carries its Signature"
        issues.append(SchemaIssue(code, "signed", "json.signature", detail))
    documents = _json_models(code, MODELS[code], data.get("documents"), "documents", issues)
    transfer = data.get("BaseTransfer")
    transfers = _json_models(code, BaseTransfer, [transfer], "BaseTransfer", issues)
    subscribe = _json_models(
        code, BaseSubscribe, data.get("BaseSubscribe", []), "BaseSubscribe", issues
    )
    opaque = {
        key: _json_opaque(code, key, value, issues)
        for key, value in texts.items()
        if key in ("ExtendMessage", "Signature") and isinstance(value, str)
    }
    if issues:
        raise SchemaViolation(tuple(issues))
    return CebMessage(
        message_type=spec.code,
        guid=str(texts["guid"] or ""),
        version=str(texts["version"] or "1.0"),
        documents=tuple(documents),
        base_transfer=next((t for t in transfers if isinstance(t, BaseTransfer)), None),
        base_subscribe=tuple(item for item in subscribe if isinstance(item, BaseSubscribe)),
        extend_message=opaque.get("ExtendMessage"),
        signature=opaque.get("Signature"),
    )


def _json_models(
    code: str, model: type[CebModel], items: object, key: str, issues: list[SchemaIssue]
) -> list[CebModel]:
    """Validate each JSON object of ``items`` as ``model``; ``None`` items are skipped."""
    if not isinstance(items, list):
        issues.append(SchemaIssue(code, key, "json.type", "must be a list"))
        return []
    models: list[CebModel] = []
    for number, item in enumerate(items):
        if item is None:
            continue
        here = f"{key}[{number}]" if key != "BaseTransfer" else key
        try:
            models.append(model.model_validate(item))
        except ValidationError as exc:
            issues.extend(
                SchemaIssue(
                    code, ".".join([here, *map(str, e["loc"])]), "json.model", explain_error(e)
                )
                for e in exc.errors(include_url=False)
            )
    return models


def _json_opaque(code: str, key: str, text: str, issues: list[SchemaIssue]) -> bytes | None:
    """One ``ds:Signature`` or ``ExtendMessage`` element as text, checked for its name."""
    namespace = DS_NS if key == "Signature" else CEB_NS
    data = text.encode("utf-8")
    try:
        element = parse_xml(data)
    except CebError as exc:
        issues.append(SchemaIssue(code, key, "json.xml", str(exc)))
        return None
    if etree.QName(element) != etree.QName(namespace, key):
        detail = f"must be one {{{namespace}}}{key} element, not {element.tag}"
        issues.append(SchemaIssue(code, key, "json.xml", detail))
        return None
    return data


# --- writing -------------------------------------------------------------------


def write_message(message: CebMessage, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Write ``message`` as UTF-8 XML in schema order; the output is read back and checked."""
    spec = message_spec(message.message_type)
    count = len(message.documents)
    if not spec.business.min_occurs <= count <= spec.business.max_occurs:
        detail = f"{count} documents; {spec.code} takes {spec.business.min_occurs} to "
        detail += f"{spec.business.max_occurs}"
        issue = SchemaIssue(spec.code, f"{spec.root}/{spec.business.name}", "schema.occurs", detail)
        raise SchemaViolation((issue,))
    try:
        root = etree.Element(
            f"{{{CEB_NS}}}{spec.root}",
            nsmap={"ceb": CEB_NS},
            attrib={"guid": message.guid, "version": message.version},
        )
        _build(root, _body_record(spec, message), Group(spec.root, spec.children))
    # lxml refuses control characters and other non-XML text, in the root's attributes too
    except ValueError as exc:
        issue = SchemaIssue(spec.code, spec.root, "schema.type", f"not writable as XML: {exc}")
        raise SchemaViolation((issue,)) from exc
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    read_message(data, max_bytes=max_bytes, expect=(spec.code,))
    return data


def _body_record(spec: MessageSpec, message: CebMessage) -> Record:
    business = spec.business
    records = [unflatten(doc.to_json_dict(), business) for doc in message.documents]
    # A business element that occurs once (CEB900 MessageReturn) is a record, not a list.
    body: Record = {business.name: records[0] if business.max_occurs == 1 and records else records}
    if message.base_transfer is not None:
        body["BaseTransfer"] = _leaves(message.base_transfer)
    if message.base_subscribe:
        body["BaseSubscribe"] = [_leaves(item) for item in message.base_subscribe]
    if message.extend_message is not None:
        body["ExtendMessage"] = message.extend_message
    if message.signature is not None:
        body["Signature"] = message.signature
    return body


def _leaves(model: CebModel) -> Record:
    return {key: str(value) for key, value in model.to_json_dict().items()}


def _build(parent: _Element, record: Record, spec: Group) -> None:
    for node in spec.children:
        value = record.get(node.name)
        if value is None:
            continue
        if isinstance(node, Opaque) and isinstance(value, bytes):
            parent.append(parse_xml(value))
        elif isinstance(node, Field) and isinstance(value, str):
            etree.SubElement(parent, f"{{{CEB_NS}}}{node.name}").text = value
        elif isinstance(node, Group) and isinstance(value, dict):
            _build(etree.SubElement(parent, f"{{{CEB_NS}}}{node.name}"), value, node)
        elif isinstance(node, Group) and isinstance(value, list):
            for item in value:
                _build(etree.SubElement(parent, f"{{{CEB_NS}}}{node.name}"), item, node)
