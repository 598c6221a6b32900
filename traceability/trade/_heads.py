"""The four fields every CEB declaration head starts with, as model bases.

``guid``, ``appType``, ``appTime``, ``appStatus`` open each declared head, in
this order (2022-05 XSD). Import heads write ``appStatus`` as ``C..3``, export
heads as ``C1``; both take the values 1 and 2.
"""

# ruff: noqa: N815  - attribute names are the CEB element names (mixedCase by design)

from __future__ import annotations

from typing import Annotated, Literal

from traceability.trade._fields import CebModel, CebTime, Guid
from traceability.trade._xml import XmlForm

AppType = Literal["1", "2", "3"]
"""1 新增 (new), 2 变更 (change), 3 删除 (delete)."""
AppStatus = Literal["1", "2"]
"""1 暂存 (saved), 2 申报 (declared)."""


class ImportDeclared(CebModel):
    """Start of an import declaration head (appStatus ``C..3``)."""

    guid: Guid
    appType: AppType
    appTime: CebTime
    appStatus: Annotated[AppStatus, XmlForm(max_length=3)]


class ExportDeclared(CebModel):
    """Start of an export declaration head (appStatus ``C1``)."""

    guid: Guid
    appType: AppType
    appTime: CebTime
    appStatus: AppStatus
