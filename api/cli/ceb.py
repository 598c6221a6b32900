"""``sandan ceb``: check a trade's CEB XML files, and convert one message to JSON.

``sandan ceb check DIR`` reads ``order.xml``, ``payment.xml`` (CEB411, or CEB403
for export), ``logistics.xml`` and, when present, ``inventory.xml``; prints
``{"verdict": "match"|"mismatch"|"invalid", "reasons": [...]}`` and exits 0, 1
or 2. ``invalid`` means a file cannot be accepted alone (unsafe, not
well-formed, wrong message, schema violation); ``mismatch`` means the valid
documents disagree. Signature checks (``--verify-signatures``) are reported per
file under ``"signatures"`` and never change the verdict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer

from traceability.ceb import (
    DEFAULT_MAX_BYTES,
    CebError,
    CebMessage,
    SchemaViolation,
    read_message,
    verify_xml_signature,
)
from traceability.errors import TraceabilityError
from traceability.trade.inputs import MatchContext, TradeDocuments
from traceability.trade.matching import match_trade

EXIT_MATCH, EXIT_MISMATCH, EXIT_INVALID = 0, 1, 2

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


def _reason(
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
            loaded.reasons.append(_reason("input.missing_file", name, f"{name} is missing"))
        return None
    resolved = path.resolve()
    if resolved.parent != folder or not resolved.is_file():
        detail = f"{name} must be a regular file inside the folder (links outside are refused)"
        loaded.reasons.append(_reason("input.not_a_file", name, detail))
        return None
    with resolved.open("rb") as handle:
        return handle.read(max_bytes + 1)  # one byte over lets the parser name the limit


def _load(folder: Path, max_bytes: int) -> _Loaded:
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
                _reason(i.reason, name, i.detail, field=i.path) for i in exc.issues
            )
            continue
        except CebError as exc:
            loaded.reasons.append(_reason(f"xml.{exc.reason}", name, str(exc)))
            continue
        if len(message.documents) != 1:
            detail = f"{name} must hold exactly one document, not {len(message.documents)}"
            loaded.reasons.append(_reason("input.single_document", name, detail))
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


def _match(loaded: _Loaded, prior_annual: Decimal | None) -> tuple[str, list[dict[str, Any]]]:
    try:
        documents = _documents(loaded)
        context = MatchContext(prior_annual_total=prior_annual, now=datetime.now(UTC))
        verdict = match_trade(documents, context=context)
    except TraceabilityError as exc:
        return "invalid", [_reason(f"input.{exc.reason}", None, str(exc))]
    if verdict.missing:
        reasons = [
            _reason("input.missing_document", FILE_OF_KIND[kind], f"{kind} is needed to match")
            for kind in verdict.missing
        ]
        return "invalid", reasons
    reasons = [
        _reason(
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


def _signatures(loaded: _Loaded, certs: list[Path]) -> dict[str, dict[str, str | None]]:
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


def _parse_amount(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise typer.BadParameter(f"not a decimal amount: {value!r}") from exc
    if not amount.is_finite() or amount < 0:
        raise typer.BadParameter("the prior annual total must be a non-negative amount")
    return amount


def _emit(payload: dict[str, Any]) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))


def check(
    directory: Annotated[Path, typer.Argument(help="Folder with order.xml, payment.xml, ...")],
    prior_annual: Annotated[
        str | None, typer.Option(help="Buyer's customs value used this year (CNY).")
    ] = None,
    verify_signatures: Annotated[
        bool, typer.Option("--verify-signatures", help="Verify each file's ds:Signature.")
    ] = False,
    cert: Annotated[
        list[Path] | None, typer.Option(help="Sender certificate (PEM); repeat for several.")
    ] = None,
    max_bytes: Annotated[int, typer.Option(help="Largest accepted file.")] = DEFAULT_MAX_BYTES,
) -> None:
    """Validate a trade's CEB files and run the three-document rules."""
    amount = _parse_amount(prior_annual)
    folder = directory.resolve()
    if not folder.is_dir():
        reason = _reason("input.not_a_directory", None, f"{directory} is not a directory")
        _emit({"verdict": "invalid", "reasons": [reason]})
        raise typer.Exit(EXIT_INVALID)
    loaded = _load(folder, max_bytes)
    if loaded.reasons:
        verdict, reasons = "invalid", loaded.reasons
    else:
        verdict, reasons = _match(loaded, amount)
    payload: dict[str, Any] = {"verdict": verdict, "reasons": reasons}
    if verify_signatures:
        payload["signatures"] = _signatures(loaded, cert or [])
    _emit(payload)
    codes = {"match": EXIT_MATCH, "mismatch": EXIT_MISMATCH}
    raise typer.Exit(codes.get(verdict, EXIT_INVALID))


def convert(
    file: Annotated[Path, typer.Argument(help="One CEB XML message.")],
    max_bytes: Annotated[int, typer.Option(help="Largest accepted file.")] = DEFAULT_MAX_BYTES,
) -> None:
    """Print one CEB message, parsed and checked, as JSON."""
    if not file.is_file():
        typer.secho(f"sandan: {file} is not a readable file", err=True, fg=typer.colors.RED)
        raise typer.Exit(EXIT_INVALID)
    with file.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    try:
        message = read_message(data, max_bytes=max_bytes)
    except CebError as exc:
        issues = [i.as_dict() for i in exc.issues] if isinstance(exc, SchemaViolation) else []
        _emit({"error": exc.reason, "message": str(exc), "issues": issues})
        raise typer.Exit(EXIT_INVALID) from exc
    _emit(message.to_json_dict())


def register(app: typer.Typer) -> None:
    """Add the ``ceb`` command group to the ``sandan`` app."""
    group = typer.Typer(help="China customs CEB XML messages.", no_args_is_help=True)
    group.command("check")(check)
    group.command("convert")(convert)
    app.add_typer(group, name="ceb")
