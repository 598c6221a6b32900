"""Which modules some code loads, run in a fresh interpreter (import-cost and purity checks)."""

from __future__ import annotations

import json
import subprocess
import sys

_PROBE = "{code}\nimport json as _json, sys as _sys\nprint(_json.dumps(sorted(_sys.modules)))\n"


def modules_loaded_by(code: str) -> set[str]:
    """The names in ``sys.modules`` once a fresh interpreter has run ``code``."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(code=code)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return set(json.loads(result.stdout))


def top_level(modules: set[str]) -> set[str]:
    """The top-level packages of ``modules`` (``web3.eth`` → ``web3``)."""
    return {name.split(".")[0] for name in modules}
