"""Prometheus metrics of one service process (a registry per app, so tests stay isolated)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector


class AnchoringCollector(Collector):
    """Confirmed batches and gas, read from the database at scrape time.

    Read from the shared ``anchor_batch`` table rather than counted in memory,
    so whichever process anchored (``sandan worker`` elsewhere, or several of
    them) the figures are the same on every service instance.
    """

    def __init__(self) -> None:
        self.batches = 0
        self.gas = 0

    def update(self, *, batches: int, gas: int) -> None:
        """Remember the latest totals (set by the /metrics route before rendering)."""
        self.batches, self.gas = batches, gas

    def collect(self) -> Iterator[Metric]:
        """Yield the two counters."""
        yield CounterMetricFamily(
            "sandan_anchored_batches", "Confirmed anchor batches.", value=self.batches
        )
        yield CounterMetricFamily(
            "sandan_gas_spent", "Gas used by confirmed anchoring transactions.", value=self.gas
        )


class Metrics:
    """Request counts and latencies, outbox depth, anchored batches and gas spent."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "sandan_http_requests_total",
            "HTTP requests by method, route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "sandan_http_request_duration_seconds",
            "HTTP request latency by route.",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.outbox_depth = Gauge(
            "sandan_outbox_depth", "Outbox rows waiting for a batch.", registry=self.registry
        )
        self.anchoring = AnchoringCollector()
        self.registry.register(self.anchoring)
        self.documents = Counter(
            "sandan_documents_accepted_total",
            "Signed documents stored, by type.",
            ["doc_type"],
            registry=self.registry,
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one finished request."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
