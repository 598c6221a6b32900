"""Render a ``sandan bench --json`` document as the Markdown tables of docs/bench.md.

    sandan bench --json > run.json && python scripts/bench_markdown.py run.json

Prints the run's heading line and one table of every metric, in run order, with the
value formatted as the bench's own table shows it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _value(value: float | None) -> str:
    if value is None:
        return "not measured"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:.3g}"


def _target(target: dict[str, Any] | None) -> str:
    if not target:
        return ""
    sign = "≤" if target["direction"] == "at_most" else "≥"
    return f"{sign} {target['limit']:,}"


def render(report: dict[str, Any]) -> str:
    """The heading line and the table of ``report``."""
    machine = report["machine"]
    heading = (
        f"{report['mode']} run {report['startedAt']} on {machine['cpu']}, {machine['cores']} "
        f"cores, {machine['memoryMiB']:,} MiB, Python {machine['python']}, anvil "
        f"{machine['anvil']}, PostgreSQL {machine['postgres']}"
    )
    rows = [
        "| metric | value | unit | target | met | notes |",
        "| --- | ---: | --- | --- | --- | --- |",
    ]
    for metric in report["metrics"]:
        met = {True: "yes", False: "**no**", None: ""}[metric.get("met")]
        notes = str(metric.get("notes", "")).replace("|", "/")
        rows.append(
            f"| {metric['name']} | {_value(metric['value'])} | {metric['unit']} | "
            f"{_target(metric.get('target'))} | {met} | {notes} |"
        )
    return heading + "\n\n" + "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the Markdown of the JSON report named by the first argument."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python scripts/bench_markdown.py RUN.json", file=sys.stderr)
        return 2
    print(render(json.loads(Path(args[0]).read_text(encoding="utf-8"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
