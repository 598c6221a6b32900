"""The workbench (线上综合服务平台) for people: sign-in at ``/``, then each role's pages.

Server-rendered with Jinja2, one inlined stylesheet allowed by its hash, no script, and
nothing from another host (:mod:`api.web.pages.portal.kit`). Each module holds one role's
pages; every page reads through the same service as its API route and answers with the
same status.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.web.pages.portal import (
    bank,
    bank_receipts,
    customs,
    documents,
    inbox,
    operator,
    signin,
    stats,
    trades,
)
from api.web.pages.portal.kit import PAGE_WRITES, SESSION_COOKIE, is_page_write

__all__ = ["PAGE_WRITES", "SESSION_COOKIE", "is_page_write", "router"]

router = APIRouter(include_in_schema=False)
for _module in (signin, documents, trades, customs, bank, bank_receipts, operator, stats, inbox):
    router.include_router(_module.router)
