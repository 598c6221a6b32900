"""Documents: upload signed envelopes or signed CEB XML, and follow each one to its anchor.

The page never signs: a party signs with its own key (``sandan sign``, its ERP, a ukey) and
uploads what it signed, so the service stays unable to forge a party's document. The
upload goes through the very write path of ``POST /documents/bulk`` and
``POST /documents/xml``: same checks, same refusals, same rate budget.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import col, select
from starlette.datastructures import UploadFile

from api.db.models import DocumentRecord
from api.errors import ApiError, BadRequest, PermissionDenied
from api.services import bulk, ingest, xml_ingest
from api.services import documents as service
from api.services import portal_sessions as sessions
from api.services import trade_queries as queries
from api.web.deps import RuntimeDep, SessionDep
from api.web.pages.portal import kit
from api.web.ratelimit import check_rate

router = APIRouter(include_in_schema=False)

kit.add_text(
    en={
        "documents_title": "Documents",
        "upload_envelopes": "Upload signed envelopes",
        "upload_envelopes_help": "One envelope (JSON), a JSON array of envelopes, or NDJSON, "
        "as sandan sign or your own system writes them. The page never signs for you.",
        "envelope_file": "Envelope file",
        "upload_xml": "Upload a signed CEB XML message",
        "xml_file": "CEB XML file",
        "key_id": "Key id",
        "xml_signature": "Signature over the file's bytes (base64url)",
        "upload": "Upload",
        "results": "Results",
        "accepted": "accepted",
        "duplicate": "already stored",
        "refused": "refused",
        "line": "Line",
        "outcome": "Outcome",
        "result_detail": "Content hash, or why it was refused",
        "your_documents": "Your documents, newest first",
        "kind": "Kind",
        "received": "Received",
        "anchoring": "Anchoring",
        "anchored_in": "anchored, block {}",
        "pending_anchor": "waiting for its batch",
        "superseded": "superseded",
        "current": "current",
        "proof": "proof",
        "trade": "Trade",
        "no_file": "Choose a file to upload.",
    },
    zh={
        "documents_title": "单证",
        "upload_envelopes": "上传已签名的单证信封",
        "upload_envelopes_help": "单个信封（JSON）、信封的 JSON 数组或 NDJSON，"
        "由 sandan sign 或贵方系统生成。本页从不代为签名。",
        "envelope_file": "信封文件",
        "upload_xml": "上传已签名的 CEB XML 报文",
        "xml_file": "CEB XML 文件",
        "key_id": "密钥编号",
        "xml_signature": "对文件字节的签名（base64url）",
        "upload": "上传",
        "results": "结果",
        "accepted": "已接收",
        "duplicate": "已存在",
        "refused": "被拒绝",
        "line": "行",
        "outcome": "结果",
        "result_detail": "内容哈希或拒绝原因",
        "your_documents": "贵方单证（最新在前）",
        "kind": "类型",
        "received": "接收时间",
        "anchoring": "上链",
        "anchored_in": "已上链，区块 {}",
        "pending_anchor": "等待批次上链",
        "superseded": "已被替代",
        "current": "现行",
        "proof": "证明",
        "trade": "交易",
        "no_file": "请选择要上传的文件。",
    },
)

_LISTED = 50


@router.get("/portal/documents", response_class=HTMLResponse)
def documents_page(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """The upload forms and the party's own documents with their anchoring status."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    try:
        kit.party_of(signed_in)
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    return _render(request, session, runtime, signed_in, results=None)


@router.post("/portal/documents", response_class=HTMLResponse)
async def upload_envelopes(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """Store each uploaded envelope through the bulk write path; show each outcome."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()  # the body of a caller without a session is never read
    try:
        party = kit.party_of(signed_in)
        _, content = await _upload(request, signed_in, "envelopes")
        lines = _envelope_lines(content, limit=runtime.settings.max_bulk_documents)
        check_rate(request, party.code, cost=len(lines))
        outcome = bulk.submit_many(session=session, runtime=runtime, party=party, lines=lines)
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    status = 201 if outcome.accepted else 422
    results = [
        {
            "line": r.line,
            "ok": r.error is None,
            "created": r.status == 201,
            "hash": r.content_hash,
            "error": None if r.error is None else f"{r.error.field or ''}: {r.error.message}",
        }
        for r in outcome.results
    ]
    return _render(request, session, runtime, signed_in, results=results, status=status)


@router.post("/portal/documents/xml", response_class=HTMLResponse)
async def upload_xml(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """Store a signed CEB XML message through the path of ``POST /documents/xml``."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    try:
        party = kit.party_of(signed_in)
        fields, content = await _upload(request, signed_in, "xml")
        check_rate(request, party.code)
        stored = xml_ingest.submit_xml(
            session=session,
            runtime=runtime,
            party=party,
            signature=xml_ingest.XmlSignature(
                key_id=fields.get("keyId", "")[:128], signature=fields.get("signature", "")[:256]
            ),
            body=content,
        )
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    results = [
        {"line": n, "ok": True, "created": d.created, "hash": d.content_hash, "error": None}
        for n, d in enumerate(stored, start=1)
    ]
    return _render(request, session, runtime, signed_in, results=results, status=201)


@router.get("/portal/documents/{content_hash}/proof")
def proof_download(
    content_hash: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The Merkle proof of ``GET /documents/{hash}/proof``, as a file to keep."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    try:
        # The operator reads any proof, as with the admin token on the API route.
        reader = None if signed_in.operator else kit.party_of(signed_in)
        record = queries.require_readable_document(
            session=session, party=reader, content_hash=content_hash
        )
        anchor = ingest.require_anchor(session=session, record=record)
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    return kit.download(
        anchor.model_dump_json(by_alias=True, indent=2),
        filename=f"proof-{record.content_hash[:16]}.json",
    )


async def _upload(
    request: Request, signed_in: sessions.SignedIn, file_field: str
) -> tuple[dict[str, str], bytes]:
    """The form's text fields and the uploaded file's bytes, once the CSRF token matched
    (the body guard bounds the whole request already)."""
    text = kit.TEXT[kit.language(request)]
    try:
        async with request.form(max_files=1, max_fields=4, max_part_size=64 * 1024) as form:
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            if not sessions.csrf_matches(signed_in, fields.get("csrf")):
                raise PermissionDenied(text["bad_form"], field="csrf")
            upload = form.get(file_field)
            content = await upload.read() if isinstance(upload, UploadFile) else b""
    except ApiError:
        raise
    except Exception as exc:  # malformed multipart: the parser's own errors vary
        raise BadRequest(f"the form could not be read: {exc}", field="body") from exc
    if not content.strip():
        raise BadRequest(text["no_file"], field=file_field)
    return fields, content


def _envelope_lines(content: bytes, *, limit: int) -> list[bytes]:
    """NDJSON lines from one envelope, a JSON array of envelopes, or NDJSON itself."""
    try:
        whole = orjson.loads(content)
    except orjson.JSONDecodeError:
        return ingest.split_ndjson(content, limit=limit)  # NDJSON, or refused line by line
    items = whole if isinstance(whole, list) else [whole]
    return ingest.split_ndjson(b"\n".join(orjson.dumps(item) for item in items), limit=limit)


def _render(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    signed_in: sessions.SignedIn,
    *,
    results: list[dict[str, Any]] | None,
    status: int = 200,
) -> HTMLResponse:
    text = kit.TEXT[kit.language(request)]
    party = kit.party_of(signed_in)
    zone = ZoneInfo(runtime.settings.zone_timezone)
    records = session.exec(
        select(DocumentRecord)
        .where(DocumentRecord.party_code == party.code)
        .order_by(col(DocumentRecord.id).desc())
        .limit(_LISTED)
    ).all()
    listed = []
    for record in records:
        public = service.document_public(session=session, record=record, created=False)
        listed.append(
            {
                "public": public,
                "received": public.received_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            }
        )
    return kit.page(request, "portal/documents.html", status=status, signed_in=signed_in,
                    current="documents", title=text["documents_title"], results=results,
                    documents=listed)  # fmt: skip
