"""Consumer verification: requests per second and p50/p99 latency at a fixed rate.

A separate load process (:mod:`api.bench._load`) sends GET requests on
loopback at 500 requests/s for a bounded time. The target is the GS1 Digital
Link resolver route (``GET /01/{gtin}/10/{lot}``, JSON) of a real lot: before
the load starts, four parties capture the signed navel-orange sample chain
through the API (as ``sandan demo`` does), the worker anchors it, and the bench
waits until every event of the lot verifies on chain; the worker is then
stopped so it does not share the two cores with the measured processes. A
second, shorter load measures the 404 of a lot with no events. Until the
service has the resolver, the bench measures ``GET /health`` and a document's
status, ``GET /documents/{hash}``.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from api.bench._documents import sign_range
from api.bench._service import ADMIN_TOKEN, start_worker, tree_cpu_seconds
from api.bench._stack import Stack, service_stack
from api.bench.context import BenchContext
from api.bench.latency import percentile
from api.bench.metric import Metric, at_least, at_most
from api.demo.trace import CAPTURER, TRACE_PARTIES, lot_number, pallet_number
from traceability import SigningKey, new_salt, sign_envelope
from traceability.epcis.samples import OrangeLot, navel_orange_chain

__all__ = ["run"]

GROUP = "resolver"
RATE = 500
#: How long the worker may take to anchor the sample lots before the bench gives up.
ANCHOR_TIMEOUT_S = 180.0
#: The deep lot: events in its history and transformation levels (bulk lots, then cases).
DEEP_EVENTS = 200
DEEP_LEVELS = 5


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


def _register_trace_parties(
    client: httpx.Client, tag: str, ids: OrangeLot
) -> dict[str, tuple[str, str, SigningKey]]:
    """Register the demo's four capturing parties; role → (code, API key, signing key)."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    parties: dict[str, tuple[str, str, SigningKey]] = {}
    for role, name, alg, _chain, places in TRACE_PARTIES:
        code = f"{role.upper()[:4]}-{tag}"
        body = {"code": code, "name": name, "roles": [role]}
        created = client.post("/parties", json=body, headers=admin)
        created.raise_for_status()
        api_key = str(created.json()["apiKey"])
        key = SigningKey.generate(alg)
        auth = {"Authorization": f"Bearer {api_key}"}
        key_body = {
            "keyId": f"{code}-k1",
            "alg": alg.value,
            "publicKey": key.public_key,
        }
        client.post(f"/parties/{code}/keys", json=key_body, headers=auth).raise_for_status()
        glns = {"glns": [getattr(ids, place) for place in places]}
        client.put(f"/parties/{code}/locations", json=glns, headers=admin).raise_for_status()
        parties[role] = (code, api_key, key)
    brand = {"prefixes": [ids.company_prefix], "transfer": True}  # the lot rule's brand owner
    path = f"/parties/{parties['producer'][0]}/company-prefixes"
    client.put(path, json=brand, headers=admin).raise_for_status()
    return parties


def _deep_chain(start: datetime, ids: OrangeLot) -> dict[str, Any]:
    """The sample chain made :data:`DEEP_EVENTS` events long and :data:`DEEP_LEVELS` levels deep.

    The harvest commissions the first of four bulk lots, each graded into the next
    (four more transformations before the sample's own grading into cases), and the
    laboratory's inspection of the cases is repeated until the case lot's history
    holds :data:`DEEP_EVENTS` events.
    """
    chain = navel_orange_chain(start, ids)
    events = chain["epcisBody"]["eventList"]
    harvest, grading, inspection = events[0], events[1], events[2]
    lots = [f"{ids.lot[:17]}L{level}" for level in range(DEEP_LEVELS - 1)] + [ids.lot]
    harvest["quantityList"][0]["epcClass"] = _lot_uri(ids.raw_gtin, lots[0])
    steps = []
    for level in range(1, DEEP_LEVELS):
        step = copy.deepcopy(grading)
        step["eventTime"] = _shifted(harvest["eventTime"], timedelta(hours=3 * level))
        step["inputQuantityList"][0]["epcClass"] = _lot_uri(ids.raw_gtin, lots[level - 1])
        step["outputQuantityList"] = [
            {"epcClass": _lot_uri(ids.raw_gtin, lots[level]), "quantity": 1200, "uom": "KGM"}
        ]
        steps.append(step)
    repeats = []
    for n in range(DEEP_EVENTS - len(events) - len(steps)):
        again = copy.deepcopy(inspection)
        again["eventTime"] = _shifted(inspection["eventTime"], timedelta(seconds=10 * (n + 1)))
        repeats.append(again)
    ordered = [harvest, *steps, grading, inspection, *repeats, *events[3:]]
    return {**chain, "epcisBody": {"eventList": ordered}}


def _lot_uri(gtin: str, lot: str) -> str:
    return f"https://id.gs1.org/01/{gtin}/10/{lot}"


def _shifted(stamp: str, delta: timedelta) -> str:
    return (datetime.fromisoformat(stamp) + delta).isoformat(timespec="milliseconds")


def _capture_sample_lots(stack: Stack) -> tuple[OrangeLot, OrangeLot]:
    """Capture the signed navel-orange chain and its deep variant through the API, each
    event by its role; the two lots' identifiers."""
    start = datetime.now(UTC) - timedelta(days=30)
    ids = OrangeLot(lot=lot_number(f"B{stack.tag}"))
    deep = OrangeLot(lot=lot_number(f"D{stack.tag}"), sscc=pallet_number(f"D{stack.tag}"))
    with httpx.Client(base_url=stack.api.base_url, timeout=120) as client:
        parties = _register_trace_parties(client, stack.tag, ids)
        for chain in (navel_orange_chain(start, ids), _deep_chain(start, deep)):
            _capture_chain(client, parties, chain)
    return ids, deep


def _capture_chain(
    client: httpx.Client, parties: dict[str, tuple[str, str, SigningKey]], chain: dict[str, Any]
) -> None:
    groups: dict[str, list[dict[str, Any]]] = {}
    for event in chain["epcisBody"]["eventList"]:
        groups.setdefault(CAPTURER[event["bizStep"]], []).append(event)
    for role, events in groups.items():
        code, api_key, key = parties[role]
        envelope = sign_envelope(
            {**chain, "epcisBody": {"eventList": events}},
            doc_type="epcis-event",
            party=code,
            key_id=f"{code}-k1",
            signing_key=key,
            salt=new_salt(),
            issued_at=datetime.now(UTC),
        ).to_wire()
        headers = {
            "Authorization": f"Bearer {api_key}",
            "GS1-Capture-Error-Behaviour": "rollback",
        }
        accepted = client.post("/capture", json=envelope, headers=headers)
        accepted.raise_for_status()
        job = _finished_job(client, accepted.headers["Location"], headers)
        if not job["success"]:
            raise RuntimeError(f"capture by {code} did not succeed: {job}")


def _finished_job(client: httpx.Client, location: str, headers: dict[str, str]) -> dict[str, Any]:
    """Poll a capture job until it has run (captures run after the 202 is sent)."""
    deadline = time.monotonic() + ANCHOR_TIMEOUT_S
    while True:
        response = client.get(location, headers=headers)
        response.raise_for_status()
        job: dict[str, Any] = response.json()
        if not job["running"] or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def wait_lot_verified(stack: Stack, path: str, deadline: float) -> int:
    """Poll the lot's JSON until every event verifies on chain (by ``deadline``, a monotonic
    time); its event count."""
    while True:
        response = httpx.get(
            stack.api.base_url + path, headers={"Accept": "application/json"}, timeout=60
        )
        response.raise_for_status()
        summary = response.json()["verification"]
        if summary["allVerified"]:
            return int(summary["total"])
        if time.monotonic() > deadline:
            raise RuntimeError(f"lot not anchored within {ANCHOR_TIMEOUT_S:.0f}s: {summary}")
        time.sleep(0.5)


def _wait_verified(stack: Stack, paths: list[str]) -> list[int]:
    """Run the worker until every event of each lot verifies on chain; their event counts."""
    worker = start_worker(stack.env, log=stack.env.data_dir / "resolver-worker.log")
    try:
        deadline = time.monotonic() + ANCHOR_TIMEOUT_S
        return [wait_lot_verified(stack, path, deadline) for path in paths]
    finally:
        worker.stop()


def _targets(stack: Stack) -> list[tuple[str, list[str], dict[str, str], str]]:
    """(name, paths, headers, label) of each load to run."""
    if _has_resolver(stack.api.base_url):
        ids, deep = _capture_sample_lots(stack)
        path = f"/01/{ids.gtin}/10/{ids.lot}"
        deep_path = f"/01/{deep.gtin}/10/{deep.lot}"
        count, deep_count = _wait_verified(stack, [path, deep_path])
        missing = f"/01/{ids.gtin}/10/NOEVENTS{stack.tag}"
        json_accept = {"Accept": "application/json"}
        return [
            (
                "resolver",
                [path],
                json_accept,
                f"Digital Link GET {path} (200: {count} events, each verified on chain)",
            ),
            (
                "resolver.deep",
                [deep_path],
                json_accept,
                f"Digital Link GET {deep_path} (200: {deep_count} events through "
                f"{DEEP_LEVELS} transformation levels, each verified on chain)",
            ),
            ("resolver.not_found", [missing], json_accept, f"Digital Link GET {missing} (404)"),
        ]
    digest = _stored_document(stack)
    code = next(iter(stack.api_keys))
    headers = {"Authorization": f"Bearer {stack.api_keys[code]}"}
    label = "no resolver route yet: GET /health and GET /documents/{hash} alternately"
    return [("resolver", ["/health", f"/documents/{digest}"], headers, label)]


def _load(
    stack: Stack, paths: list[str], headers: dict[str, str], seconds: float
) -> dict[str, Any]:
    spec = {
        "host": "127.0.0.1",
        "port": stack.api.port,
        "paths": paths,
        "headers": headers,
        "rate": RATE,
        "seconds": seconds,
    }
    cpu_before = tree_cpu_seconds(stack.api.pid)
    done = subprocess.run(
        [sys.executable, "-m", "api.bench._load", json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["serverCpuSeconds"] = tree_cpu_seconds(stack.api.pid) - cpu_before
    return result


def _metrics(name: str, result: dict[str, Any], notes: str) -> list[Metric]:
    latencies = [float(x) for x in result["latenciesMs"]]
    target = at_most(20) if name == "resolver" else None
    if not latencies:
        return [Metric(f"{name}.p99", None, "ms", target, notes, GROUP)]
    throughput = len(latencies) / float(result["elapsed"])
    cpu_ms = 1000 * float(result["serverCpuSeconds"]) / len(latencies)
    return [
        Metric(f"{name}.throughput", throughput, "requests/s", notes=notes, group=GROUP),
        Metric(f"{name}.cpu_per_request", cpu_ms, "ms", notes=notes, group=GROUP),
        # What the API processes could serve with every core busy, from their CPU per
        # request (the load offers 500/s: it cannot measure 2,000/s directly).
        Metric(
            f"{name}.capacity",
            (os.cpu_count() or 1) * 1000 / cpu_ms if cpu_ms else None,
            "requests/s",
            at_least(2000) if name == "resolver" else None,
            f"{os.cpu_count()} cores / CPU per request; {notes}",
            GROUP,
        ),
        Metric(f"{name}.p50", percentile(latencies, 0.5), "ms", notes=notes, group=GROUP),
        Metric(f"{name}.p99", percentile(latencies, 0.99), "ms", target, notes, GROUP),
    ]


def run(ctx: BenchContext) -> list[Metric]:
    """Serve with one API process per core; anchor a real lot; load from a separate process."""
    seconds = ctx.seconds(5.0, 30.0)
    results = []
    with service_stack(ctx, "resolver", api_workers=2, worker=False) as stack:
        for name, paths, headers, label in _targets(stack):
            ctx.progress.start(f"{name}: {RATE} requests/s for {seconds:.0f}s")
            results.append((name, label, _load(stack, paths, headers, seconds)))
    metrics: list[Metric] = []
    for name, label, result in results:
        notes = (
            f"{label}; {stack.backend}; {RATE}/s offered for {seconds:.0f}s from a separate "
            f"process; statuses {result['statuses']}, {result['errors']} errors"
        )
        metrics += _metrics(name, result, notes)
    return metrics
