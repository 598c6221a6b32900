"""Conditional rules the XSD states in its documentation rather than in its structure.

Each rule takes one business element (for example one ``Inventory``) and the
whole message, and yields :class:`RuleIssue` values whose paths are relative to
the business element. Sources: the 2022-05 XSD documentation ([S]) or our
inference ([I]), as listed in docs/ceb.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from traceability.ceb.spec import Group, Record, Rule, RuleIssue

BONDED_MODES = ("1210",)
DIRECT_IMPORT_MODE = "9610"


def text(record: Record, name: str) -> str | None:
    """The text of a leaf, or ``None`` when absent."""
    value = record.get(name)
    return value if isinstance(value, str) else None


def child(record: Record, name: str) -> Record:
    """A single child group (empty when absent)."""
    value = record.get(name)
    return value if isinstance(value, dict) else {}


def children(record: Record, name: str) -> list[Record]:
    """A repeated child group (empty when absent)."""
    value = record.get(name)
    return value if isinstance(value, list) else []


def _missing(path: str, why: str) -> RuleIssue:
    return RuleIssue(path, "schema.required", f"required: {why}")


def consecutive_gnum(list_name: str) -> Rule:
    """[S] ``gnum`` runs 1, 2, 3... over the lines ("从1开始连续序号")."""

    def rule(business: Record, _message: Record) -> Iterator[RuleIssue]:
        for index, line in enumerate(children(business, list_name), start=1):
            gnum = text(line, "gnum")
            if gnum is not None and gnum.strip().lstrip("+").lstrip("0") != str(index):
                yield RuleIssue(
                    f"{list_name}[{index}]/gnum",
                    "schema.sequence",
                    f"gnum must be {index} (consecutive from 1), got {gnum!r}",
                )

    return rule


def import_inventory_mode(business: Record, _message: Record) -> Iterable[RuleIssue]:
    """[S] 1210 bonded imports need emsNo/areaCode/areaName/itemRecordNo and country 142;
    9610 direct imports need trafNo/voyageNo/billNo ("保税模式必填", "直购进口必填")."""
    head = child(business, "InventoryHead")
    mode = text(head, "tradeMode")
    issues: list[RuleIssue] = []
    if mode in BONDED_MODES:
        for name in ("emsNo", "areaCode", "areaName"):
            if text(head, name) is None:
                issues.append(_missing(f"InventoryHead/{name}", f"bonded import {mode}"))
        if text(head, "country") not in (None, "142"):
            issues.append(
                RuleIssue("InventoryHead/country", "schema.fixed", "bonded import country is 142")
            )
        for index, line in enumerate(children(business, "InventoryList"), start=1):
            if text(line, "itemRecordNo") is None:
                path = f"InventoryList[{index}]/itemRecordNo"
                issues.append(_missing(path, f"bonded import {mode}"))
    elif mode == DIRECT_IMPORT_MODE:
        for name in ("trafNo", "voyageNo", "billNo"):
            if text(head, name) is None:
                issues.append(_missing(f"InventoryHead/{name}", "direct import 9610"))
    return issues


def signature_when_declared(head_name: str | None) -> Rule:
    """[S] appStatus 2 (申报) needs the Signature element ("填写2时,Signature节点必须填写");
    ``head_name`` None: the fields sit in the business element itself (CEB605)."""

    def rule(business: Record, message: Record) -> Iterator[RuleIssue]:
        head = business if head_name is None else child(business, head_name)
        if text(head, "appStatus") == "2" and "Signature" not in message:
            yield RuleIssue(
                "appStatus" if head_name is None else f"{head_name}/appStatus",
                "schema.signature_required",
                "appStatus 2 (declared) requires the ds:Signature element",
            )

    return rule


def export_inventory_mode(business: Record, _message: Record) -> Iterable[RuleIssue]:
    """[S] special-area exports (1210) need iacCode/iacName and, per line, itemRecordNo."""
    head = child(business, "InventoryHead")
    mode = text(head, "tradeMode")
    if mode not in BONDED_MODES:
        return []
    issues = [
        _missing(f"InventoryHead/{name}", f"special-area export {mode}")
        for name in ("iacCode", "iacName")
        if text(head, name) is None
    ]
    for index, line in enumerate(children(business, "InventoryList"), start=1):
        if text(line, "itemRecordNo") is None:
            path = f"InventoryList[{index}]/itemRecordNo"
            issues.append(_missing(path, f"special-area export {mode}"))
    return issues


def summary_time_pair(business: Record, _message: Record) -> Iterable[RuleIssue]:
    """[S] startTime/endTime come as a pair and end ≥ start.

    ("填写须成对，结束时间须大于等于开始时间")
    """
    head = child(business, "SummaryApplyHead")
    start, end = text(head, "startTime"), text(head, "endTime")
    if (start is None) != (end is None):
        missing = "endTime" if end is None else "startTime"
        return [_missing(f"SummaryApplyHead/{missing}", "startTime and endTime come as a pair")]
    if start is not None and end is not None and end < start:
        return [
            RuleIssue("SummaryApplyHead/endTime", "schema.range", "endTime is before startTime")
        ]
    return []


def waybill_group_mode(business: Record, _message: Record) -> Iterable[RuleIssue]:
    """[S] msgSeqNo lies within 1..msgCount (split messages are numbered from 1, no gaps)."""
    return _seq_within_count(child(business, "WayBillHead"), "WayBillHead")


def summary_seq(business: Record, _message: Record) -> Iterable[RuleIssue]:
    """[S] the summary application's msgSeqNo lies within 1..msgCount."""
    return _seq_within_count(child(business, "SummaryApplyHead"), "SummaryApplyHead")


def _seq_within_count(head: Record, head_name: str) -> list[RuleIssue]:
    count, seq = text(head, "msgCount"), text(head, "msgSeqNo")
    if count is None or seq is None or not count.isdigit() or not seq.isdigit():
        return []  # absent or not integers: the field checks already reported it
    if not 1 <= int(seq) <= int(count):
        detail = f"msgSeqNo {seq} is outside 1..msgCount ({count})"
        return [RuleIssue(f"{head_name}/msgSeqNo", "schema.range", detail)]
    return []


def _group_name(business: Group, *, repeated: bool) -> str:
    """The name of the business element's one head group, or of its one repeated group."""
    (name,) = (
        node.name
        for node in business.children
        if isinstance(node, Group) and (node.max_occurs > 1) is repeated
    )
    return name


def _head_name(business: Group) -> str | None:
    """The business element's head group, or None when its fields sit in it directly."""
    heads = [n for n in business.children if isinstance(n, Group) and n.max_occurs == 1]
    return _group_name(business, repeated=False) if heads else None


_BY_NAME: dict[str, Callable[[Group], Rule]] = {
    "consecutive_gnum": lambda business: consecutive_gnum(_group_name(business, repeated=True)),
    "signature_when_declared": lambda business: signature_when_declared(_head_name(business)),
    "import_inventory_mode": lambda _business: import_inventory_mode,
    "export_inventory_mode": lambda _business: export_inventory_mode,
    "summary_time_pair": lambda _business: summary_time_pair,
    "waybill_group_mode": lambda _business: waybill_group_mode,
    "summary_seq": lambda _business: summary_seq,
}
RULE_NAMES = frozenset(_BY_NAME)
"""The names an ``XmlLayout.rules`` entry may take."""


def bind(name: str, business: Group) -> Rule:
    """The rule ``name`` applied to ``business`` (list and head names taken from its children)."""
    try:
        return _BY_NAME[name](business)
    except KeyError:
        raise ValueError(f"unknown CEB rule {name!r}; known: {sorted(_BY_NAME)}") from None
