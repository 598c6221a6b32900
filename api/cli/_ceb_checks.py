"""What ``sandan ceb check`` does with a folder of CEB files: load, validate, match,
verify signatures. Imported by the command when it runs, so ``sandan --help`` does not
load the XML and matching stack."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import typer

from traceability.ceb import (
    CebError,
    CebMessage,
    SchemaViolation,
    read_message,
    verify_xml_signature,
)
from traceability.errors import TraceabilityError
from traceability.trade.fields import CebModel
from traceability.trade.inputs import MatchContext, TradeDocuments
from traceability.trade.matching import match_trade

#: file name → (accepted message types, required)
FILES: dict[str, tuple[frozenset[str], bool]] = {
    "order.xml": (frozenset({"CEB311", "CEB303"}), True),
    "payment.xml": (frozenset({"CEB411", "CEB403"}), True),
    "logistics.xml": (frozenset({"CEB511", "CEB505"}), True),
    "inventory.xml": (frozenset({"CEB621", "CEB603"}), False),
}
FILE_OF_KIND = {
    "order": "order.xml",
    "payment": "payment.xml",
    "waybill": "logistics.xml",
    "inventory": "inventory.xml",
}


def reason(
    rule: str,
    file: str | None,
    message: str,
    *,
    field: str | None = None,
    expected: str | None = None,
    actual: str | None = None,
) -> dict[str, str | None]:
    return {
        "rule": rule,
        "file": file,
        "field": field,
        "expected": expected,
        "actual": actual,
        "message": message,
    }


@dataclass
class _Loaded:
    """What reading the folder produced."""

    messages: dict[str, CebMessage] = field(default_factory=dict)
    #: The trade's own document of each file (a message may carry up to 100).
    chosen: dict[str, CebModel] = field(default_factory=dict)
    raw: dict[str, bytes] = field(default_factory=dict)
    reasons: list[dict[str, str | None]] = field(default_factory=list)


def _read_bytes(folder: Path, name: str, max_bytes: int, loaded: _Loaded) -> bytes | None:
    """Read ``folder/name`` if it is a regular file inside ``folder``; record why not."""
    path = folder / name
    if not path.exists():
        if FILES[name][1]:
            loaded.reasons.append(reason("input.missing_file", name, f"{name} is missing"))
        return None
    resolved = path.resolve()
    if resolved.parent != folder or not resolved.is_file():
        detail = f"{name} must be a regular file inside the folder (links outside are refused)"
        loaded.reasons.append(reason("input.not_a_file", name, detail))
        return None
    with resolved.open("rb") as handle:
        return handle.read(max_bytes + 1)  # one byte over lets the parser name the limit


def load_folder(folder: Path, max_bytes: int) -> _Loaded:
    loaded = _Loaded()
    for name, (expect, _required) in FILES.items():
        data = _read_bytes(folder, name, max_bytes, loaded)
        if data is None:
            continue
        loaded.raw[name] = data
        try:
            message = read_message(data, max_bytes=max_bytes, expect=expect)
        except SchemaViolation as exc:
            loaded.reasons.extend(
                reason(i.reason, name, i.detail, field=i.path) for i in exc.issues
            )
            continue
        except CebError as exc:
            loaded.reasons.append(reason(f"xml.{exc.reason}", name, str(exc)))
            continue
        loaded.messages[name] = message
    return loaded


# --- batched messages: the trade's own document among up to 100 ----------------------

#: Fields that name a document or what it settles: two business nodes of one message must
#: not share any (one payment transaction pays one order, one waybill carries one order).
IDENTITY_FIELDS = ("guid", "orderNo", "payTransactionId", "payNo", "logisticsNo", "copNo", "invtNo")


def select_trade(loaded: _Loaded, order_no: str | None) -> None:
    """Pick the trade's document in each file and check the others for duplicates of it.

    The trade is ``order_no`` or, by default, the order file's only order. A file with one
    document gives that document (the matching rules judge it); in a batched file the
    trade's document is the one with the trade's orderNo (an export waybill has none: the
    one with the inventory's logisticsNo).
    """
    key = order_no if order_no is not None else _only_order_no(loaded)
    if key is None:
        return
    for name in FILES:  # inventory before the export waybill that needs its logisticsNo
        if name != "logistics.xml":
            _select(loaded, name, key)
    _select(loaded, "logistics.xml", key)


def _only_order_no(loaded: _Loaded) -> str | None:
    message = loaded.messages.get("order.xml")
    if message is None:
        return None
    if len(message.documents) == 1:
        return str(getattr(message.documents[0], "orderNo", ""))
    numbers = ", ".join(str(getattr(d, "orderNo", "?")) for d in message.documents)
    detail = (
        f"order.xml holds {len(message.documents)} orders ({numbers}): name one with --order-no"
    )
    loaded.reasons.append(reason("input.ambiguous_trade", "order.xml", detail, field="orderNo"))
    return None


def _select(loaded: _Loaded, name: str, order_no: str) -> None:
    message = loaded.messages.get(name)
    if message is None:
        return
    documents = message.documents
    if len(documents) == 1:
        loaded.chosen[name] = documents[0]
        return
    field_name, wanted = "orderNo", order_no
    if "orderNo" not in type(documents[0]).model_fields:  # CEB505: linked by logisticsNo
        inventory = loaded.chosen.get("inventory.xml")
        field_name, wanted = "logisticsNo", str(getattr(inventory, "logisticsNo", ""))
        if inventory is None:
            detail = f"{name} holds {len(documents)} waybills without orderNo; an inventory.xml "
            detail += "names the trade's logisticsNo"
            loaded.reasons.append(reason("input.ambiguous_trade", name, detail))
            return
    matching = [n for n, d in enumerate(documents) if getattr(d, field_name, None) == wanted]
    if not matching:
        detail = f"none of the {len(documents)} documents in {name} has {field_name} {wanted}"
        loaded.reasons.append(
            reason("input.trade_not_in_message", name, detail, field=field_name, expected=wanted)
        )
        return
    loaded.chosen[name] = documents[matching[0]]
    _check_duplicates(loaded, name, message, matching[0])


def _check_duplicates(loaded: _Loaded, name: str, message: CebMessage, own: int) -> None:
    """The duplicate rules across a batch: no other node may repeat the trade's identity."""
    document = message.documents[own]
    for field_name in IDENTITY_FIELDS:
        value = getattr(document, field_name, None)
        if value is None:
            continue
        for number, other in enumerate(message.documents):
            if number != own and getattr(other, field_name, None) == value:
                detail = (
                    f"{name} carries {field_name} {value} twice (nodes {own + 1}, {number + 1})"
                )
                loaded.reasons.append(
                    reason(
                        f"duplicate.{field_name}",
                        name,
                        detail,
                        field=_node_path(message, number, field_name),
                        actual=str(value),
                    )
                )


def _node_path(message: CebMessage, index: int, field_name: str) -> str:
    """``CEB511Message/Logistics[2]/LogisticsHead/logisticsNo``."""
    layout = message.documents[index].xml_layout  # type: ignore[attr-defined]
    head = f"/{layout.head}" if layout.head else ""
    return f"{message.message_type}Message/{layout.element}[{index + 1}]{head}/{field_name}"


def trade_documents(loaded: _Loaded) -> TradeDocuments:
    """The documents chosen from the folder's files (see :func:`select_trade`)."""
    return TradeDocuments(
        order=loaded.chosen.get("order.xml"),  # type: ignore[arg-type]
        payment=loaded.chosen.get("payment.xml"),  # type: ignore[arg-type]
        waybill=loaded.chosen.get("logistics.xml"),  # type: ignore[arg-type]
        inventory=loaded.chosen.get("inventory.xml"),  # type: ignore[arg-type]
    )


def match_files(loaded: _Loaded, prior_annual: Decimal | None) -> tuple[str, list[dict[str, Any]]]:
    try:
        documents = trade_documents(loaded)
        context = MatchContext(prior_annual_total=prior_annual, now=datetime.now(UTC))
        verdict = match_trade(documents, context=context)
    except TraceabilityError as exc:
        return "invalid", [reason(f"input.{exc.reason}", None, str(exc))]
    if verdict.missing:
        reasons = [
            reason("input.missing_document", FILE_OF_KIND[kind], f"{kind} is needed to match")
            for kind in verdict.missing
        ]
        return "invalid", reasons
    reasons = [
        reason(
            failure.rule,
            FILE_OF_KIND.get(str(failure.document)),
            failure.message,
            field=failure.field,
            expected=failure.expected,
            actual=failure.actual,
        )
        for failure in verdict.failures
    ]
    return str(verdict.status), reasons


def check_signatures(loaded: _Loaded, certs: list[Path]) -> dict[str, dict[str, str | None]]:
    """Verify each readable file against every given certificate; the first that verifies wins."""
    pems = [(str(path), path.read_bytes()) for path in certs]
    results: dict[str, dict[str, str | None]] = {}
    for name, data in loaded.raw.items():
        report: dict[str, str | None] = {"outcome": "bad_certificate", "detail": "no --cert given"}
        for cert_name, pem in pems:
            try:
                result = verify_xml_signature(data, pem)
            except CebError as exc:
                report = {"outcome": "unreadable", "detail": str(exc)}
                break
            report = {"outcome": result.outcome, "detail": result.detail, "certificate": cert_name}
            if result.valid:
                break
        results[name] = report
    return results


def parse_amount(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise typer.BadParameter(f"not a decimal amount: {value!r}") from exc
    if not amount.is_finite() or amount < 0:
        raise typer.BadParameter("the prior annual total must be a non-negative amount")
    return amount
