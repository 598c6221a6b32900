"""Client processes that post pre-signed NDJSON bodies to POST /documents/bulk.

Kept apart from the rest of the bench so that a spawned client process imports
nothing but httpx and this module.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["BulkOutcome", "post_all"]

Job = tuple[str, Path, int]  # (API key, NDJSON file, lines)


@dataclass(frozen=True)
class BulkOutcome:
    """What all clients together got back, and how long it took."""

    accepted: int
    rejected: int
    elapsed: float
    first_error: str | None


def _post_files(base_url: str, jobs: Sequence[Job]) -> tuple[int, int, str | None]:
    accepted = rejected = 0
    first_error: str | None = None
    with httpx.Client(base_url=base_url, timeout=600) as client:
        for api_key, path, _lines in jobs:
            headers = {
                "Authorization": f"Bearer {api_key}",
                "Content-Type": "application/x-ndjson",
            }
            response = client.post("/documents/bulk", content=path.read_bytes(), headers=headers)
            if response.status_code != 200:
                first_error = first_error or f"HTTP {response.status_code}: {response.text[:200]}"
                continue
            body = response.json()
            accepted += int(body["accepted"])
            rejected += int(body["rejected"])
            if body["rejected"] and first_error is None:
                failed = next(r for r in body["results"] if r["status"] >= 300)
                first_error = str(failed.get("error"))
    return accepted, rejected, first_error


def _warm_up() -> None:
    """Make each pool process import httpx before the clock starts."""


def post_all(base_url: str, jobs: Sequence[Job], *, clients: int) -> BulkOutcome:
    """Post every job from ``clients`` processes at once; time from first send to last answer."""
    shares = [list(jobs[i::clients]) for i in range(clients)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=clients, mp_context=context) as pool:
        for future in [pool.submit(_warm_up) for _ in range(clients)]:
            future.result()
        start = time.perf_counter()
        results = [f.result() for f in [pool.submit(_post_files, base_url, s) for s in shares]]
        elapsed = time.perf_counter() - start
    errors = [error for _, _, error in results if error]
    return BulkOutcome(
        accepted=sum(a for a, _, _ in results),
        rejected=sum(r for _, r, _ in results),
        elapsed=elapsed,
        first_error=errors[0] if errors else None,
    )
