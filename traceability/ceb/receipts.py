"""Receipts (回执) carrying sandan's verdicts back in the customs format.

Each declaration has its receipt type (CEB311 → CEB312, ... CEB701 → CEB702);
a message that cannot be read at all is answered with CEB900. Status codes are
the customs ones (CEB note §6). Receipt fields are copied from the declared
document by name; fields only the e-port assigns (``preNo``, ``invtNo``...)
come from ``assigned``. Nothing here reads the clock or invents randomness
unless asked: pass ``now`` and, for reproducible guids, ``new_guid``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from traceability.ceb._registry import MODELS
from traceability.ceb.errors import CebError, SchemaIssue, SchemaViolation
from traceability.ceb.message import CebMessage, message_spec
from traceability.ceb.models import MessageReturn
from traceability.trade.models import CHINA_TZ, CebModel

__all__ = [
    "RECEIPT_FOR",
    "STATUS_MEANING",
    "CustomsStatus",
    "build_format_receipt",
    "build_receipt",
    "receipt_time",
    "status_for_verdict",
]

RECEIPT_FOR: dict[str, str] = {
    "CEB311": "CEB312",
    "CEB411": "CEB412",
    "CEB511": "CEB512",
    "CEB621": "CEB622",
    "CEB623": "CEB624",
    "CEB625": "CEB626",
    "CEB303": "CEB304",
    "CEB403": "CEB404",
    "CEB505": "CEB506",
    "CEB603": "CEB604",
    "CEB605": "CEB606",
    "CEB607": "CEB608",
    "CEB701": "CEB702",
}
"""The receipt message type answering each declaration type."""

# XML 1.0 forbids most C0 controls and unpaired surrogates; CEB900 quotes raw input.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class CustomsStatus(StrEnum):
    """Customs ``returnStatus`` codes (2022-05 XSD documentation)."""

    SAVED = "1"  # 电子口岸已暂存
    DECLARING = "2"  # 电子口岸申报中
    SENT = "3"  # 发送海关成功
    SEND_FAILED = "4"  # 发送海关失败
    REJECTED = "100"  # 海关退单
    ACCEPTED = "120"  # 海关入库
    MANUAL_REVIEW = "300"  # 人工审核
    CONCLUDED = "399"  # 海关审结
    INSPECTION = "500"  # 查验
    DETAINED_CLEARANCE = "501"  # 扣留移送通关
    DETAINED_ANTI_SMUGGLING = "502"  # 扣留移送缉私
    DETAINED_LEGAL = "503"  # 扣留移送法规
    DETAINED_OTHER = "599"  # 其它扣留
    RETURNED = "700"  # 退运
    RELEASED = "800"  # 放行
    CLOSED = "899"  # 结关
    FORMAT_ERROR = "-1"  # [I] a negative code: the message failed the format check


STATUS_MEANING: dict[str, str] = {
    CustomsStatus.SAVED: "电子口岸已暂存",
    CustomsStatus.DECLARING: "电子口岸申报中",
    CustomsStatus.SENT: "发送海关成功",
    CustomsStatus.SEND_FAILED: "发送海关失败",
    CustomsStatus.REJECTED: "海关退单",
    CustomsStatus.ACCEPTED: "海关入库",
    CustomsStatus.MANUAL_REVIEW: "人工审核",
    CustomsStatus.CONCLUDED: "海关审结",
    CustomsStatus.INSPECTION: "查验",
    CustomsStatus.DETAINED_CLEARANCE: "扣留移送通关",
    CustomsStatus.DETAINED_ANTI_SMUGGLING: "扣留移送缉私",
    CustomsStatus.DETAINED_LEGAL: "扣留移送法规",
    CustomsStatus.DETAINED_OTHER: "其它扣留",
    CustomsStatus.RETURNED: "退运",
    CustomsStatus.RELEASED: "放行",
    CustomsStatus.CLOSED: "结关",
}
"""What each non-negative status code means, in the XSD documentation's words."""


def status_for_verdict(verdict: str) -> CustomsStatus:
    """[I] sandan's verdict as a receipt status: match → 120 accepted, otherwise 100 rejected."""
    return CustomsStatus.ACCEPTED if verdict == "match" else CustomsStatus.REJECTED


def receipt_time(now: datetime) -> str:
    """C17 ``YYYYMMDDhhmmssSSS`` in China time from an aware ``now``."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(CHINA_TZ)
    return local.strftime("%Y%m%d%H%M%S") + f"{local.microsecond // 1000:03d}"


def _uuid_upper() -> str:
    return str(uuid.uuid4()).upper()


def build_receipt(
    declaration: CebMessage,
    *,
    status: CustomsStatus | str,
    info: str,
    now: datetime,
    assigned: Mapping[str, str] | None = None,
    new_guid: Callable[[], str] = _uuid_upper,
) -> CebMessage:
    """Answer every document of ``declaration`` with ``status`` and ``info`` (returnInfo)."""
    receipt_type = RECEIPT_FOR.get(declaration.message_type)
    if receipt_type is None:
        raise CebError(f"{declaration.message_type} is not a declaration sandan answers")
    model = MODELS[receipt_type]
    outcome = {"returnStatus": str(status), "returnTime": receipt_time(now), "returnInfo": info}
    returns = tuple(
        _receipt_document(model, receipt_type, document, outcome, assigned or {}, new_guid())
        for document in declaration.documents
    )
    return CebMessage(receipt_type, new_guid(), returns, version=declaration.version)


def _receipt_document(
    model: type[CebModel],
    receipt_type: str,
    document: CebModel,
    outcome: Mapping[str, str],
    assigned: Mapping[str, str],
    guid: str,
) -> CebModel:
    source = document.to_json_dict()
    wanted = {info.alias or name for name, info in model.model_fields.items()}
    data: dict[str, Any] = {key: value for key, value in source.items() if key in wanted}
    data.update({key: value for key, value in assigned.items() if key in wanted})
    data.update(outcome, guid=guid)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        spec = message_spec(receipt_type)
        issues = tuple(
            SchemaIssue(
                receipt_type,
                f"{spec.root}/{spec.business.name}/" + "/".join(str(p) for p in error["loc"]),
                "schema.model",
                f"{error['msg']} (pass e-port assigned values in `assigned`)",
            )
            for error in exc.errors(include_url=False)
        )
        raise SchemaViolation(issues) from exc


def build_format_receipt(
    original: bytes,
    error: CebError,
    *,
    now: datetime,
    ori_cop_msg_id: str,
    ori_message_type: str = "Unknown",
    new_guid: Callable[[], str] = _uuid_upper,
) -> CebMessage:
    """CEB900: the original message failed the format check; quote it and say why."""
    text = _NOT_XML.sub("\ufffd", original.decode("utf-8", errors="replace"))
    detail = str(error)
    if isinstance(error, SchemaViolation):
        detail = "; ".join(f"{i.path}: {i.detail}" for i in error.issues)
    returned = MessageReturn(
        guid=new_guid(),
        returnStatus=CustomsStatus.FORMAT_ERROR.value,
        returnInfo=f"[{error.reason}] {detail}"[:5000],
        returnTime=receipt_time(now),
        oriCopMsgId=ori_cop_msg_id,
        oriMessageType=ori_message_type[:15] or "Unknown",
        oriBizMessage=text,
    )
    return CebMessage("CEB900", new_guid(), (returned,))
