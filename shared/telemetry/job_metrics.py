"""Job counts and durations per function, summed across all workers in one Redis hash;
and the last run of each sweep (its duration and when it finished), last writer wins.

Workers record; the API's `/metrics/cluster` reads the totals. They are cluster-wide
figures: scrape one replica, or aggregate with max() across replicas, never sum().
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from redis.asyncio import Redis

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


def _key(prefix: str) -> str:
    return f"{prefix}:metrics:jobs"


async def record(redis: Redis, *, prefix: str, function: str, status: str, seconds: float) -> None:
    key = _key(prefix)
    pipe = redis.pipeline(transaction=False)
    pipe.hincrby(key, f"count|{function}|{status}", 1)
    pipe.hincrbyfloat(key, f"sum|{function}", seconds)
    for bound in BUCKETS:
        if seconds <= bound:
            pipe.hincrby(key, f"bucket|{function}|{bound}", 1)
    await pipe.execute()


async def record_sweep(
    redis: Redis, *, prefix: str, sweep: str, seconds: float, finished_at: float
) -> None:
    """The sweep's last run, whichever worker ran it (`finished_at`: unix seconds)."""
    await redis.hset(  # type: ignore[misc]
        _key(prefix),
        mapping={f"sweep_last|{sweep}": seconds, f"sweep_at|{sweep}": finished_at},
    )


# A run whose parts never all finish (a chunk failed for good) is forgotten after this.
SWEEP_RUN_TTL_SECONDS = 3600


def _run_key(prefix: str, sweep: str, run: str) -> str:
    return f"{prefix}:metrics:sweep-run:{sweep}:{run}"


async def start_sweep(
    redis: Redis, *, prefix: str, sweep: str, run: str, parts: int, started_at: float
) -> None:
    """A sweep run of `parts` jobs (shared by the workers) began at `started_at` (unix
    seconds): the last part to finish records the run's duration (`finish_sweep_part`)."""
    if parts == 0:
        await record_sweep(redis, prefix=prefix, sweep=sweep, seconds=0.0, finished_at=started_at)
        return
    key = _run_key(prefix, sweep, run)
    pipe = redis.pipeline(transaction=True)
    pipe.hset(key, mapping={"started": started_at, "remaining": parts})
    pipe.expire(key, SWEEP_RUN_TTL_SECONDS)
    await pipe.execute()


async def finish_sweep_part(
    redis: Redis, *, prefix: str, sweep: str, run: str, finished_at: float
) -> None:
    """One part of the run is done; the last one records the run from start to now."""
    key = _run_key(prefix, sweep, run)
    remaining = await redis.hincrby(key, "remaining", -1)  # type: ignore[misc]
    if remaining > 0:
        return
    started = await redis.hget(key, "started")  # type: ignore[misc]
    await redis.delete(key)
    if remaining == 0 and started is not None:  # below 0: the run's start was never seen
        seconds = finished_at - float(started)
        await record_sweep(
            redis, prefix=prefix, sweep=sweep, seconds=seconds, finished_at=finished_at
        )


@dataclass
class JobMetricsSnapshot:
    counts: dict[tuple[str, str], float] = field(default_factory=dict)
    sums: dict[str, float] = field(default_factory=dict)
    buckets: dict[str, dict[float, float]] = field(default_factory=lambda: defaultdict(dict))
    sweep_seconds: dict[str, float] = field(default_factory=dict)
    sweep_finished_at: dict[str, float] = field(default_factory=dict)

    def collect(self) -> Iterable[Metric]:
        jobs = CounterMetricFamily(
            "campaignops_jobs",
            "Jobs finished, per function and status",
            labels=["function", "status"],
        )
        for (function, status), count in sorted(self.counts.items()):
            jobs.add_metric([function, status], count)
        yield jobs
        durations = HistogramMetricFamily(
            "campaignops_job_duration_seconds", "Job run time per function", labels=["function"]
        )
        for function, total in sorted(self.sums.items()):
            finished = sum(c for (f, _), c in self.counts.items() if f == function)
            by_bound = self.buckets.get(function, {})
            cumulative = [(str(b), by_bound.get(b, 0.0)) for b in BUCKETS]
            durations.add_metric([function], [*cumulative, ("+Inf", finished)], total)
        yield durations
        last = GaugeMetricFamily(
            "campaignops_sweep_last_duration_seconds",
            "How long the sweep's last run took, whichever worker ran it",
            labels=["sweep"],
        )
        finished_at = GaugeMetricFamily(
            "campaignops_sweep_last_finished_timestamp_seconds",
            "When the sweep's last run finished (unix time)",
            labels=["sweep"],
        )
        for sweep in sorted(self.sweep_seconds):
            last.add_metric([sweep], self.sweep_seconds[sweep])
            finished_at.add_metric([sweep], self.sweep_finished_at.get(sweep, 0.0))
        yield last
        yield finished_at


async def snapshot(redis: Redis, *, prefix: str) -> JobMetricsSnapshot:
    result = JobMetricsSnapshot()
    raw: dict[bytes | str, bytes | str] = await redis.hgetall(_key(prefix))  # type: ignore[misc]
    for name, value in raw.items():
        parts = (name.decode() if isinstance(name, bytes) else name).split("|")
        number = float(value)
        if parts[0] == "count" and len(parts) == 3:
            result.counts[(parts[1], parts[2])] = number
        elif parts[0] == "sum" and len(parts) == 2:
            result.sums[parts[1]] = number
        elif parts[0] == "bucket" and len(parts) == 3:
            result.buckets[parts[1]][float(parts[2])] = number
        elif parts[0] == "sweep_last" and len(parts) == 2:
            result.sweep_seconds[parts[1]] = number
        elif parts[0] == "sweep_at" and len(parts) == 2:
            result.sweep_finished_at[parts[1]] = number
    return result
