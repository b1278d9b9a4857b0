"""Figures of the whole deployment for `/metrics/cluster`, read from PostgreSQL and Redis.

Every replica answers the same figures, so they are served apart from `/metrics` (this
process's own counters, which Prometheus sums across replicas): scrape this path from one
target, or aggregate it with max(), never sum(). A scrape reads at most once per
`METRICS_CACHE_SECONDS` per replica; scrapes arriving meanwhile share that read.
"""

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

import structlog
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.runtime import Runtime
from shared.alerts import counts as alert_counts
from shared.alerts.models import OPEN as OPEN_ALERT_STATUSES
from shared.ingestion import lag as ingest
from shared.notifications import outbox_health
from shared.rules.models import Severity
from shared.telemetry import job_metrics, queue
from shared.timeutil import utcnow

logger = structlog.get_logger(__name__)

REDIS_TIMEOUT = 2.0
# Each query of a scrape; one that takes longer is dropped (source "database" reads 0).
STATEMENT_TIMEOUT_MS = 2000


class ClusterMetrics:
    def __init__(
        self,
        *,
        cache_seconds: float,
        now: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cache_seconds = cache_seconds
        self._now = now
        self._monotonic = monotonic
        self._lock = asyncio.Lock()
        self._body: bytes | None = None
        self._read_at = 0.0

    async def render(self, session: AsyncSession, runtime: Runtime) -> bytes:
        async with self._lock:
            fresh = self._monotonic() - self._read_at < self._cache_seconds
            if self._body is None or not fresh:
                families = await self._read(session, runtime)
                registry = CollectorRegistry()
                registry.register(_Families(families))
                self._body = generate_latest(registry)
                self._read_at = self._monotonic()
            return self._body

    async def _read(self, session: AsyncSession, runtime: Runtime) -> list[Metric]:
        now = self._now()
        up = GaugeMetricFamily(
            "campaignops_cluster_source_up",
            "1 when this scrape could read the source, 0 when its figures are missing",
            labels=["source"],
        )
        families: list[Metric] = [up]
        try:
            families += await asyncio.wait_for(_from_redis(runtime, now.timestamp()), REDIS_TIMEOUT)
            up.add_metric(["redis"], 1)
        except Exception as exc:
            logger.warning("cluster metrics: redis unreadable", error=repr(exc)[:300])
            up.add_metric(["redis"], 0)
        try:
            families += await _from_database(session, now)
            up.add_metric(["database"], 1)
        except Exception as exc:
            logger.warning("cluster metrics: database unreadable", error=repr(exc)[:300])
            up.add_metric(["database"], 0)
            with contextlib.suppress(Exception):
                await session.rollback()  # reads only: nothing of the request is lost
        return families


class _Families(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families


async def _from_redis(runtime: Runtime, now: float) -> list[Metric]:
    settings = runtime.settings
    jobs = await job_metrics.snapshot(runtime.redis, prefix=settings.redis_prefix)
    depth = await queue.depth(runtime.redis, queue_name=settings.queue_name, now=now)
    waiting = GaugeMetricFamily(
        "campaignops_queue_jobs",
        "Jobs in the queue: due (may start now, or running) and scheduled (deferred)",
        labels=["state"],
    )
    waiting.add_metric(["due"], depth.due)
    waiting.add_metric(["scheduled"], depth.scheduled)
    oldest = GaugeMetricFamily(
        "campaignops_queue_oldest_due_age_seconds",
        "How long the oldest due job has been due (0: none)",
        value=depth.oldest_due_age_seconds,
    )
    return [*jobs.collect(), waiting, oldest]


async def _from_database(session: AsyncSession, now: datetime) -> list[Metric]:
    await session.execute(text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
    return [
        *_ingest_families(await ingest.ingest_lag(session, now=now)),
        _delivery_family(await outbox_health.backlog_by_endpoint(session, now=now)),
        _alert_family(await alert_counts.open_alerts(session)),
    ]


def _ingest_families(lag: ingest.IngestLag) -> list[Metric]:
    batches = GaugeMetricFamily(
        "campaignops_ingest_batches",
        "Batches received and not applied yet, and batches given up on (all time)",
        labels=["status"],
    )
    batches.add_metric(["received"], lag.waiting)
    batches.add_metric(["failed"], lag.failed)
    oldest = GaugeMetricFamily(
        "campaignops_ingest_oldest_unapplied_age_seconds",
        "Age of the oldest batch received and not applied yet (0: none waits)",
        value=lag.oldest_waiting_seconds,
    )
    window = int(ingest.APPLIED_WINDOW.total_seconds())
    applied = GaugeMetricFamily(
        "campaignops_ingest_recently_applied_batches",
        f"Batches applied in the last {window} s",
        value=lag.applied_recently,
    )
    seconds = GaugeMetricFamily(
        "campaignops_ingest_lag_seconds",
        f"Received -> applied, quantiles over batches applied in the last {window} s",
        labels=["quantile"],
    )
    for quantile, value in lag.lag_seconds.items():
        seconds.add_metric([str(quantile)], value)
    return [batches, oldest, applied, seconds]


def _delivery_family(backlog: dict[uuid.UUID, outbox_health.EndpointBacklog]) -> Metric:
    hours = int(outbox_health.DEAD_WINDOW.total_seconds() // 3600)
    family = GaugeMetricFamily(
        "campaignops_deliveries",
        "Notifications per endpoint: pending (not tried yet), failed (retrying), "
        f"dead (retries ran out; created in the last {hours} h)",
        labels=["endpoint_id", "state"],
    )
    for endpoint_id, counts in sorted(backlog.items(), key=lambda item: str(item[0])):
        for state in ("pending", "failed", "dead"):
            family.add_metric([str(endpoint_id), state], getattr(counts, state))
    return family


def _alert_family(counts: dict[tuple[str, str], int]) -> Metric:
    family = GaugeMetricFamily(
        "campaignops_alerts_open",
        "Alerts not resolved, in every workspace, by status and severity",
        labels=["status", "severity"],
    )
    for status in OPEN_ALERT_STATUSES:
        for severity in Severity:
            family.add_metric(
                [status.value, severity.value], counts.get((status.value, severity.value), 0)
            )
    return family
