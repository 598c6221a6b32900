"""Consumer verification: requests per second and p50/p99 latency at a fixed rate.

A separate load process (:mod:`api.bench._load`) sends GET requests on
loopback at 500 requests/s for a bounded time. The target is the GS1 Digital
Link resolver route (``GET /01/{gtin}/10/{lot}``, JSON); until the service has
it, the bench measures the routes a consumer check would otherwise use:
``GET /health`` and a document's status, ``GET /documents/{hash}``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import httpx

from api.bench._documents import sign_range
from api.bench._stack import Stack, service_stack
from api.bench.context import BenchContext
from api.bench.latency import percentile
from api.bench.metric import Metric, at_most
from traceability.epcis.samples import OrangeLot

__all__ = ["run"]

GROUP = "resolver"
RATE = 500


def _has_resolver(base_url: str) -> bool:
    paths = httpx.get(base_url + "/openapi.json", timeout=10).json().get("paths", {})
    return any(path.startswith("/01/") for path in paths)


def _stored_document(stack: Stack) -> str:
    code, lines = next(iter(sign_range(stack.parties, stack.tag, 0, 1).items()))
    headers = {
        "Authorization": f"Bearer {stack.api_keys[code]}",
        "Content-Type": "application/x-ndjson",
    }
    response = httpx.post(stack.api.base_url + "/documents/bulk", content=lines[0], headers=headers)
    response.raise_for_status()
    return str(response.json()["results"][0]["contentHash"])


def _targets(stack: Stack) -> tuple[list[str], dict[str, str], str]:
    if _has_resolver(stack.api.base_url):
        lot = OrangeLot()
        path = f"/01/{lot.gtin}/10/{lot.lot}"
        return [path], {"Accept": "application/json"}, f"Digital Link GET {path}"
    digest = _stored_document(stack)
    code = next(iter(stack.api_keys))
    headers = {"Authorization": f"Bearer {stack.api_keys[code]}"}
    label = "no resolver route yet: GET /health and GET /documents/{hash} alternately"
    return ["/health", f"/documents/{digest}"], headers, label


def _load(
    stack: Stack, paths: list[str], headers: dict[str, str], seconds: float
) -> dict[str, object]:
    spec = {
        "host": "127.0.0.1",
        "port": stack.api.port,
        "paths": paths,
        "headers": headers,
        "rate": RATE,
        "seconds": seconds,
    }
    done = subprocess.run(
        [sys.executable, "-m", "api.bench._load", json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(ctx: BenchContext) -> list[Metric]:
    """Serve with one API process per core and no worker; load from a separate process."""
    seconds = ctx.seconds(5.0, 30.0)
    with service_stack(ctx, "resolver", api_workers=2, worker=False) as stack:
        paths, headers, label = _targets(stack)
        ctx.progress.start(f"resolver: {RATE} requests/s for {seconds:.0f}s")
        result = _load(stack, paths, headers, seconds)
    latencies = list(result["latenciesMs"])  # type: ignore[call-overload]
    answered = len(latencies)
    notes = (
        f"{label}; {stack.backend}; {RATE}/s offered for {seconds:.0f}s from a separate "
        f"process; statuses {result['statuses']}, {result['errors']} errors"
    )
    throughput = answered / float(result["elapsed"])  # type: ignore[arg-type]
    if not latencies:
        return [Metric("resolver.p99", None, "ms", at_most(20), notes, GROUP)]
    return [
        Metric("resolver.throughput", throughput, "requests/s", notes=notes, group=GROUP),
        Metric("resolver.p50", percentile(latencies, 0.5), "ms", notes=notes, group=GROUP),
        Metric("resolver.p99", percentile(latencies, 0.99), "ms", at_most(20), notes, GROUP),
    ]
