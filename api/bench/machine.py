"""The machine a bench ran on: CPU, cores, memory, Python, anvil, PostgreSQL."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import Any

__all__ = ["describe_machine"]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_mib() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def _version_of(command: list[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    out = (done.stdout or done.stderr).strip().splitlines()
    return out[0] if out else None


def describe_machine(*, anvil: Path | None, postgres_version: str | None) -> dict[str, Any]:
    """The facts a reader needs to compare figures across machines."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memoryMiB": _memory_mib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "anvil": _version_of([str(anvil), "--version"]) if anvil else None,
        "postgres": postgres_version,
    }
