"""The statistics dashboard (统计监测): what ``GET /stats`` gives, as bar charts and tables.

The charts are inline SVG drawn here, on the server: the page runs no script (its policy
is ``default-src 'none'``), and each chart is also a table. The exports are the page's
own (``/portal/stats.csv``, ``/portal/stats.json``), signed in by the session cookie, as a
browser cannot send the API's bearer; they answer exactly what ``GET /stats.csv`` and
``GET /stats`` answer the same viewer with the same filters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.db.models import PartyRecord
from api.errors import ApiError
from api.services import portal_sessions as sessions
from api.services import stats as service
from api.stats_schemas import GROUP_BY, StatsPublic
from api.web.deps import RuntimeDep, SessionDep
from api.web.pages.portal import kit

router = APIRouter(include_in_schema=False)

#: The query parameters of ``GET /stats`` the dashboard's filter form sends back.
FILTERS = ("groupBy", "periodStart", "periodEnd", "mode", "direction", "country", "party")
_CHART_WIDTH = 320  # viewBox units: the SVG scales to the page's width, 360 px or more
_ROW = 30

kit.add_text(
    en={
        "stats": "Statistics",
        "stats_scope_zone": "Every trade of the zone.",
        "stats_scope_own": "Your own trades only.",
        "stats_filters": "Filters",
        "stats_group_by": "Group by",
        "stats_period_start": "From (date or date-time)",
        "stats_period_end": "To (inclusive date)",
        "stats_direction": "Direction",
        "stats_country": "Country code",
        "stats_party": "Party code",
        "stats_any": "any",
        "stats_apply": "Show",
        "stats_export": "Export",
        "stats_trades": "Trades",
        "stats_match_rate": "Match rate",
        "stats_pending": "Pending",
        "stats_values": "Value",
        "stats_currency": "Currency",
        "stats_group": "Group",
        "stats_not_recorded": "not recorded",
        "stats_chart_trades": "Trades per group",
        "stats_reasons": "Top mismatch reasons",
        "stats_no_reasons": "No mismatched trade.",
        "stats_times": "Times",
        "stats_measure": "Measure",
        "stats_count": "Count",
        "stats_median": "Median",
        "stats_p90": "90th percentile",
        "stats_max": "Longest",
        "stats_order_to_release": "Order to release",
        "stats_order_to_settlement": "Order to settlement",
        "stats_anchoring_lag": "Document stored to anchored",
        "stats_outbox": "Outbox (not yet anchored)",
        "stats_lane": "Lane",
        "stats_waiting": "Waiting for a batch",
        "stats_in_flight": "In a batch, unconfirmed",
        "stats_chapters_note": "A trade with lines of several HS chapters counts in each.",
        "group_mode": "mode",
        "group_direction": "direction",
        "group_country": "country",
        "group_hsChapter": "HS chapter",
        "group_party": "party",
        "group_day": "day",
        "group_week": "week",
        "group_month": "month",
    },
    zh={
        "stats": "统计监测",
        "stats_scope_zone": "全区交易。",
        "stats_scope_own": "仅本企业的交易。",
        "stats_filters": "筛选",
        "stats_group_by": "分组",
        "stats_period_start": "起始（日期或日期时间）",
        "stats_period_end": "截止（含当日）",
        "stats_direction": "进出口",
        "stats_country": "国家（地区）代码",
        "stats_party": "企业代码",
        "stats_any": "全部",
        "stats_apply": "查询",
        "stats_export": "导出",
        "stats_trades": "交易笔数",
        "stats_match_rate": "三单相符率",
        "stats_pending": "待齐",
        "stats_values": "货值",
        "stats_currency": "币制",
        "stats_group": "分组",
        "stats_not_recorded": "未记载",
        "stats_chart_trades": "各组交易笔数",
        "stats_reasons": "主要不符原因",
        "stats_no_reasons": "没有三单不符的交易。",
        "stats_times": "时效",
        "stats_measure": "指标",
        "stats_count": "笔数",
        "stats_median": "中位数",
        "stats_p90": "90 分位",
        "stats_max": "最长",
        "stats_order_to_release": "下单至放行",
        "stats_order_to_settlement": "下单至结算",
        "stats_anchoring_lag": "单证入库至上链",
        "stats_outbox": "待上链队列",
        "stats_lane": "通道",
        "stats_waiting": "等待打包",
        "stats_in_flight": "已打包未确认",
        "stats_chapters_note": "一笔交易的商品分属多个 HS 章时，在每一章各计一次。",
        "group_mode": "监管方式",
        "group_direction": "进出口",
        "group_country": "国家（地区）",
        "group_hsChapter": "HS 章",
        "group_party": "企业",
        "group_day": "日",
        "group_week": "周",
        "group_month": "月",
    },
)


def _viewer(signed_in: sessions.SignedIn) -> PartyRecord | None:
    """The viewer ``GET /stats`` would see: ``None`` for the operator (the admin token)."""
    return None if signed_in.operator else signed_in.party


def _figures(
    request: Request, session: SessionDep, runtime: RuntimeDep, signed_in: sessions.SignedIn
) -> StatsPublic:
    """What ``GET /stats`` answers the signed-in viewer with this page's query."""
    query = {name: request.query_params.get(name) or None for name in FILTERS}
    zone = runtime.settings.zone
    filters = service.stats_filters(
        zone=zone,
        period_start=query["periodStart"],
        period_end=query["periodEnd"],
        mode=query["mode"],
        direction=query["direction"],
        country=query["country"],
        party=query["party"],
    )
    return service.stats(
        session=session,
        viewer=_viewer(signed_in),
        filters=filters,
        group_by=service.group_by_of(query["groupBy"]),
        zone=zone,
    )


def bars(items: Sequence[tuple[str, int]]) -> dict[str, Any]:
    """A horizontal bar chart of ``(label, count)``: each row's label, then its bar."""
    top = max((n for _, n in items), default=0) or 1
    rows = [
        {"label": label, "count": n, "y": i * _ROW, "width": max(1, round(n / top * 260))}
        for i, (label, n) in enumerate(items)
    ]
    return {"width": _CHART_WIDTH, "height": max(_ROW, len(rows) * _ROW), "rows": rows}


def duration(seconds: int | None) -> str:
    """Whole seconds as ``[N d ]hh:mm:ss`` (the same in both languages); ``—`` for none."""
    if seconds is None:
        return "—"
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    days, rest = divmod(seconds, 86400)
    clock = f"{rest // 3600:02}:{rest % 3600 // 60:02}:{rest % 60:02}"
    return f"{sign}{days} d {clock}" if days else f"{sign}{clock}"


def _context(request: Request, figures: StatsPublic) -> dict[str, Any]:
    text = kit.TEXT[kit.language(request)]
    query = {n: request.query_params[n] for n in FILTERS if request.query_params.get(n)}
    shown = [(g.key or text["stats_not_recorded"], g) for g in figures.groups]
    return {
        "figures": figures,
        "groups": shown,
        "query": query,
        "group_by_options": GROUP_BY,
        "export": urlencode(query),
        "trades_chart": bars([(label, g.trades) for label, g in shown]),
        "reasons_chart": bars([(r.rule, r.trades) for r in figures.mismatch_reasons]),
        "currency": kit.currency_label,
        "duration": duration,
        "times": [
            ("stats_order_to_release", figures.order_to_release),
            ("stats_order_to_settlement", figures.order_to_settlement),
        ]
        + ([("stats_anchoring_lag", figures.anchoring.lag)] if figures.anchoring else []),
    }


@router.get("/portal/stats", response_class=HTMLResponse)
def stats_page(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """The dashboard: the filters, the charts with their tables, links to the exports."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    text = kit.TEXT[kit.language(request)]
    try:
        figures = _figures(request, session, runtime, signed_in)
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    return kit.page(request, "portal/stats.html", signed_in=signed_in, current="stats",
                    title=text["stats"], **_context(request, figures))  # fmt: skip


@router.get("/portal/stats.json")
def stats_json(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """``GET /stats`` for the signed-in viewer, by its session."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    try:
        figures = _figures(request, session, runtime, signed_in)
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    return JSONResponse(figures.model_dump(mode="json", by_alias=True))


@router.get("/portal/stats.csv")
def stats_csv(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """``GET /stats.csv`` for the signed-in viewer, by its session."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    try:
        figures = _figures(request, session, runtime, signed_in)
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    return kit.download(
        service.csv_table(figures),
        filename="sandan-stats.csv",
        media_type="text/csv; charset=utf-8",
    )
