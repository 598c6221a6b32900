"""What makes each demo run its own, and what the demo leaves behind when it ends.

Every identifier a run creates (party codes, key ids, order, waybill and payment
numbers, lots, SSCCs) is built from the run's tag. The tag is the second the run
started plus the run's number, counted in the data directory under a lock, so two
runs in the same second, even at once, never share a lot, a pallet or an order.
"""

from __future__ import annotations

import fcntl
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from api.config import ApiSettings
from ledger_client import redact_url, running_node

#: The run counter in the data directory.
RUNS_FILE = "demo-runs"


def run_tag(data_dir: Path, now: datetime) -> str:
    """``yymmddHHMMSS`` of ``now`` and the run's number (three digits, cycling)."""
    number = _next_run_number(data_dir / RUNS_FILE)
    return f"{now:%y%m%d%H%M%S}{number % 1000:03d}"


def _next_run_number(path: Path) -> int:
    """Add one to the counter at ``path`` and return it; concurrent runs take turns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+", encoding="ascii") as counter:
        fcntl.flock(counter, fcntl.LOCK_EX)  # released when the file closes
        text = counter.read().strip()
        number = int(text) + 1 if text.isdigit() else 1
        counter.seek(0)
        counter.truncate()
        counter.write(f"{number}\n")
    return number


def epilogue(settings: ApiSettings, *, digital_link: str, bundles: list[str]) -> dict[str, Any]:
    """What is still running and how to stop it, where the admin token is, what to try next."""
    chain = settings.ledger
    node = running_node(chain) if chain.rpc_url is None else None
    running: dict[str, Any]
    if chain.rpc_url is not None:
        running = {
            "embeddedNode": None,
            "note": f"nothing is left running by sandan: the demo used {redact_url(chain.rpc_url)}",
        }
    elif node is not None:
        running = {
            "embeddedNode": {"pid": node.pid, "port": node.port, "url": node.url},
            "stop": "sandan node --stop",
            "note": f"the embedded anvil node (pid {node.pid}) is still running at {node.url}, "
            "its state kept in the data dir; stop it with `sandan node --stop`",
        }
    else:
        running = {"embeddedNode": None, "note": "nothing is left running by sandan"}
    token = (
        "the SANDAN_ADMIN_TOKEN environment variable"
        if settings.admin_token is not None
        else str(chain.data_dir / "admin-token")
    )
    bundle = bundles[0] if bundles else "sandan-out/bundle-<tradeId>.json"
    return {
        "stillRunning": running,
        "adminToken": token,
        "nextSteps": [
            f"sandan serve, then open {digital_link} (the lot's page; add "
            "Accept: application/json for its provenance)",
            f"sandan verify {bundle} (a bank's check of a trade, from the chain alone)",
            "sign and submit a document of your own: the README walkthrough, "
            "sandan keygen, then sandan sign and sandan submit",
        ],
    }
