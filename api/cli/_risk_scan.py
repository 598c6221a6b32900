"""What ``sandan risk scan`` does with a directory of trade folders: read each trade as
``sandan ceb check`` does, build its risk record, run the engine. Imported when the
command runs (and by the bench), so ``sandan --help`` stays cheap."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from api.cli._ceb_checks import load_folder, reason, select_trade, trade_documents
from traceability.errors import TraceabilityError
from traceability.risk import RiskThresholds, RiskTrade, risk_trade
from traceability.trade.models import TradeKey

__all__ = ["FolderProblem", "ReadResult", "parse_thresholds", "read_trades"]


@dataclass(frozen=True)
class FolderProblem:
    """Why (part of) one trade folder could not be read."""

    folder: str
    file: str | None
    rule: str
    message: str

    def __str__(self) -> str:
        where = f"{self.folder}/{self.file}" if self.file else self.folder
        return f"{where}: {self.rule}: {self.message}"


@dataclass
class ReadResult:
    """The trades read from a directory, and the problems met on the way."""

    trades: list[RiskTrade] = field(default_factory=list)
    problems: list[FolderProblem] = field(default_factory=list)


def read_trades(directory: Path, max_bytes: int) -> ReadResult:
    """Read every sub-folder of ``directory`` (sorted by name) as one trade.

    A folder whose order cannot be read is skipped; a broken payment, logistics or
    inventory file is reported and the trade is scanned without it (its order alone
    carries the buyer, the values and the lines). Files beside the folders and hidden
    folders are ignored. An orderNo already read in another folder is reported, and the
    first folder's trade kept.
    """
    result = ReadResult()
    seen: dict[TradeKey, str] = {}
    folders = [p for p in directory.iterdir() if p.is_dir() and not p.name.startswith(".")]
    for folder in sorted(folders, key=lambda p: p.name):
        trade = _read_one(folder, max_bytes, result.problems)
        if trade is None:
            continue
        if trade.key in seen:
            detail = f"trade {trade.trade} was already read from folder {seen[trade.key]}"
            result.problems.append(
                FolderProblem(folder.name, None, "input.duplicate_trade", detail)
            )
            continue
        seen[trade.key] = folder.name
        result.trades.append(trade)
    return result


def _read_one(folder: Path, max_bytes: int, problems: list[FolderProblem]) -> RiskTrade | None:
    loaded = load_folder(folder.resolve(), max_bytes)
    if "order.xml" in loaded.messages:
        select_trade(loaded, None)
    problems.extend(
        FolderProblem(folder.name, r["file"], str(r["rule"]), str(r["message"]))
        for r in loaded.reasons
    )
    if "order.xml" not in loaded.chosen:
        if not loaded.reasons:  # pragma: no cover - load_folder names a missing order
            problems.append(FolderProblem(folder.name, "order.xml", "input.no_order", "no order"))
        return None
    try:
        return risk_trade(trade_documents(loaded))
    except TraceabilityError as exc:
        refusal = reason(f"input.{exc.reason}", None, str(exc))
        problems.append(FolderProblem(folder.name, None, str(refusal["rule"]), str(exc)))
        return None


def parse_thresholds(pairs: list[str]) -> RiskThresholds:
    """``["single_limit=6000", "shared_phone_min_buyers=4"]`` → :class:`RiskThresholds`.

    Raises ``ValueError`` naming the setting for an unknown name or a bad value.
    """
    types = {f.name: f.type for f in dataclasses.fields(RiskThresholds)}
    changes: dict[str, Decimal | int] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or name not in types:
            known = ", ".join(sorted(types))
            raise ValueError(f"unknown threshold {name!r} (NAME=VALUE; known: {known})")
        try:
            changes[name] = Decimal(text) if types[name] in (Decimal, "Decimal") else int(text)
        except (InvalidOperation, ValueError) as exc:
            raise ValueError(f"threshold {name}: not a number: {text!r}") from exc
    try:
        return RiskThresholds(**changes)  # type: ignore[arg-type]
    except TraceabilityError as exc:
        raise ValueError(f"threshold {exc}") from exc
