"""Elements shared by every CEB data message: the declared head's first four fields,
the transfer and subscription blocks, the signature and the extension."""

from __future__ import annotations

from traceability.ceb.spec import (
    DS_NS,
    Field,
    Node,
    Opaque,
    c,
    dt14,
    group,
    one_of,
    v,
)

APP_TYPES = ("1", "2", "3")  # 1 新增, 2 变更, 3 删除
APP_STATUSES = ("1", "2")  # 1 暂存, 2 申报


def declared_head_start(*, status_length: int) -> tuple[Field, ...]:
    """``guid``, ``appType``, ``appTime``, ``appStatus``: the start of every declared head."""
    return (
        c("guid", 36),
        one_of("appType", *APP_TYPES),
        dt14("appTime"),
        one_of("appStatus", *APP_STATUSES, n=status_length),
    )


BASE_TRANSFER = group(
    "BaseTransfer",
    v("copCode", 18),
    v("copName", 100),
    c("dxpMode", 3),
    v("dxpId", 30),
    v("note", 1000, opt=True),
)

BASE_SUBSCRIBE = group(
    "BaseSubscribe",
    one_of("status", "ALL", "DATA", "RET", n=100),
    c("dxpMode", 3),
    v("dxpAddress", 100),
    v("note", 1000, opt=True),
    occurs=(0, 5),
)

EXTEND_MESSAGE = Opaque("ExtendMessage")


def signature(*, required: bool) -> Opaque:
    """The enveloped XML-DSig element, ``1..1`` where the schema requires it."""
    return Opaque("Signature", DS_NS, 1 if required else 0, 1)


def import_tail(*, signature_required: bool = False) -> tuple[Node, ...]:
    """Import data messages: transfer, subscriptions, extension, then signature."""
    return (BASE_TRANSFER, BASE_SUBSCRIBE, EXTEND_MESSAGE, signature(required=signature_required))


def export_tail() -> tuple[Node, ...]:
    """Export data messages: transfer, subscriptions, signature, then extension."""
    return (BASE_TRANSFER, BASE_SUBSCRIBE, signature(required=False), EXTEND_MESSAGE)
