"""How ``sandan bench`` looks to people: progress bars on stderr and the final table."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.bench import BenchReport, Metric


class ProgressBars:
    """One overall bar (benches done) and one line for the current step, on stderr."""

    def __init__(self, benches: int) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._overall = self._progress.add_task("sandan bench", total=benches)
        self._step = self._progress.add_task("starting", total=None)

    def __enter__(self) -> ProgressBars:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def start(self, description: str, total: float | None = None) -> None:
        """Show a new step."""
        self._progress.reset(self._step, description=description, total=total)

    def advance(self, amount: float = 1.0) -> None:
        """Move the current step on."""
        self._progress.advance(self._step, amount)

    def bench_done(self, name: str) -> None:
        """Count one bench finished."""
        self._progress.advance(self._overall)
        self._progress.console.print(f"[dim]{name} done[/]")


def _value(metric: Metric) -> str:
    if metric.value is None:
        return "—"
    value = metric.value
    return (
        f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}" if value < 1 else f"{value:,.1f}"
    )


def _met(metric: Metric) -> str:
    return {True: "[green]yes[/]", False: "[red]NO[/]", None: ""}[metric.met]


def render_table(report: BenchReport) -> None:
    """Print the machine line and one row per metric."""
    console = Console()
    if not console.is_terminal:  # a pipe or a file: room for the notes column
        console = Console(width=220)
    machine = report.machine
    console.print(
        f"[bold]sandan bench ({'quick' if report.quick else 'full'})[/] on {machine['cpu']}, "
        f"{machine['cores']} cores, {machine['memoryMiB']:,} MiB, Python {machine['python']}, "
        f"{machine['anvil']}, {machine['postgres']}"
    )
    table = Table(show_lines=False)
    for column in ("metric", "value", "unit", "target", "met", "notes"):
        table.add_column(
            column,
            overflow="fold",
            no_wrap=column != "notes",
            justify="right" if column == "value" else "left",
        )
    for metric in report.metrics:
        target = metric.target.describe() if metric.target else ""
        table.add_row(metric.name, _value(metric), metric.unit, target, _met(metric), metric.notes)
    console.print(table)
