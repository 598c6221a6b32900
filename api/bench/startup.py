"""CPU time a CLI command pays before it does anything: ``sandan --help`` and friends.

Each command runs as a fresh child process; its cost is the user + system CPU time the
kernel charges to it (``getrusage(RUSAGE_CHILDREN)`` before and after), which does not
grow when other processes load the machine the way wall time does. Best of 3.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from api.bench.context import BenchContext
from api.bench.metric import Metric, at_most

__all__ = ["COMMANDS", "REPEATS", "child_cpu_seconds", "run", "sandan_command"]

GROUP = "startup"
#: Metric name → the arguments after ``sandan``.
COMMANDS: dict[str, tuple[str, ...]] = {
    "startup.help": ("--help",),
    "startup.verify_help": ("verify", "--help"),
    "startup.dl_parse": ("dl", "parse", "https://id.gs1.org/01/09506000134352/10/ABC123"),
}
REPEATS = 3
#: Issue 15, item 5.
TARGET = at_most(0.5)


def sandan_command() -> list[str]:
    """The installed console script beside this interpreter, else the same entry point."""
    script = Path(sys.executable).with_name("sandan")
    if script.is_file():
        return [str(script)]
    found = shutil.which("sandan")
    if found:
        return [found]
    return [sys.executable, "-c", "from api.cli import main; main()"]


def child_cpu_seconds(argv: Sequence[str]) -> float:
    """Run ``argv`` to completion; return the user + system CPU seconds it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(
        list(argv), stdin=subprocess.DEVNULL, capture_output=True, timeout=120, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        error = completed.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise RuntimeError(f"{' '.join(argv[-3:])} exited {completed.returncode}: {error}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run(
    ctx: BenchContext,
    *,
    commands: dict[str, tuple[str, ...]] | None = None,
    repeats: int = REPEATS,
) -> list[Metric]:
    """Best-of-``repeats`` child CPU time of each command in ``commands``."""
    chosen = COMMANDS if commands is None else commands
    sandan = sandan_command()
    ctx.progress.start("startup: CLI commands", total=len(chosen) * repeats)
    metrics = []
    for name, args in chosen.items():
        samples = []
        for _ in range(repeats):
            samples.append(child_cpu_seconds([*sandan, *args]))
            ctx.progress.advance()
        notes = (
            f"`sandan {' '.join(args)}`: user+sys CPU of the child, best of {repeats} "
            f"(worst {max(samples):.2f} s)"
        )
        metrics.append(Metric(name, min(samples), "s CPU", TARGET, notes=notes, group=GROUP))
    return metrics
