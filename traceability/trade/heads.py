"""The four fields every CEB declaration head starts with, as model bases.

``guid``, ``appType``, ``appTime``, ``appStatus`` open each declared head, in
this order (2022-05 XSD). Import heads write ``appStatus`` as ``C..3``, export
heads as ``C1``; both take the values 1 and 2. Only leading fields can be shared
this way: a model's field order is its XML element order.
"""

# ruff: noqa: N815  - attribute names are the CEB element names (mixedCase by design)

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from traceability.trade.fields import T18, T60, T100, CebModel, CebTime, Dec19_5, Guid
from traceability.trade.xml_form import XmlForm

AppType = Literal["1", "2", "3"]
"""1 新增 (new), 2 变更 (change), 3 删除 (delete)."""
AppStatus = Literal["1", "2"]
"""1 暂存 (saved), 2 申报 (declared)."""


ImportAppStatus = Annotated[AppStatus, XmlForm(max_length=3)]
"""appStatus as import heads write it (``C..3``)."""


class ExportDeclared(CebModel):
    """Start of an export declaration head (appStatus ``C1``)."""

    message_type: ClassVar[str]
    """The CEB message type a concrete declaration is sent as (``"CEB303"``...)."""

    guid: Guid
    appType: AppType
    appTime: CebTime
    appStatus: AppStatus


class ImportDeclared(ExportDeclared):
    """Start of an import declaration head: the same fields, appStatus ``C..3``."""

    appStatus: ImportAppStatus


class OrderHeadStart(ExportDeclared):
    """The first fields of both OrderHeads; each direction narrows ``orderType``.

    An import order also overrides ``appStatus`` with :data:`ImportAppStatus`
    (a field keeps its place when a subclass redeclares it).
    """

    orderType: str
    orderNo: T60
    ebpCode: T18
    ebpName: T100
    ebcCode: T18
    ebcName: T100
    goodsValue: Dec19_5
    freight: Dec19_5
