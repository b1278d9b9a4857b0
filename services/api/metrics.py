"""Prometheus figures of this API process alone: its requests, its process and runtime.

Each replica counts only what it served, so Prometheus may sum them across replicas. The
cluster's figures (jobs, queue, ingest, outbox, alerts) are in services/api/cluster_metrics.py.
"""

from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)


class RequestMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # process_* (CPU, memory, open files), python_info, python_gc_*: the standard names.
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.requests = Counter(
            "campaignops_http_requests",
            "HTTP requests, per route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "campaignops_http_request_duration_seconds",
            "HTTP request latency, per route template",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        # `labels()` takes a lock and builds its key on every call: the children are
        # looked up once per (method, route, status) and kept (routes are templates).
        children = self._children.get((method, route, status))
        if children is None:
            children = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            self._children[(method, route, status)] = children
        children[0].inc()
        children[1].observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
