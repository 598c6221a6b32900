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
        if len(message.documents) != 1:
            detail = f"{name} must hold exactly one document, not {len(message.documents)}"
            loaded.reasons.append(reason("input.single_document", name, detail))
            continue
        loaded.messages[name] = message
    return loaded


def _documents(loaded: _Loaded) -> TradeDocuments:
    def one(name: str) -> Any:
        message = loaded.messages.get(name)
        return message.documents[0] if message is not None else None

    return TradeDocuments(
        order=one("order.xml"),
        payment=one("payment.xml"),
        waybill=one("logistics.xml"),
        inventory=one("inventory.xml"),
    )


def match_files(loaded: _Loaded, prior_annual: Decimal | None) -> tuple[str, list[dict[str, Any]]]:
    try:
        documents = _documents(loaded)
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
