"""Prometheus figures of this API process (requests) plus the cluster's job totals."""

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.registry import Collector

from shared.telemetry.job_metrics import JobMetricsSnapshot


class RequestMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
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

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def render(self, jobs: JobMetricsSnapshot | None) -> bytes:
        text = generate_latest(self.registry)
        if jobs is not None:
            registry = CollectorRegistry()
            registry.register(_Snapshot(jobs))
            text += generate_latest(registry)
        return text


class _Snapshot(Collector):
    def __init__(self, snapshot: JobMetricsSnapshot) -> None:
        self._snapshot = snapshot

    def collect(self):  # type: ignore[no-untyped-def]
        return self._snapshot.collect()
