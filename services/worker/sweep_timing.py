"""The last run of a sweep (a cron job over every active campaign), timed for operators.

Recorded in Redis whichever worker ran it, so `/metrics/cluster` shows one figure for
the deployment: `campaignops_sweep_last_duration_seconds{sweep=...}` and when it finished.
It wraps the cron entry, not the job's body, so it keeps timing however the sweep works.
"""

import contextlib
import functools
import time
from collections.abc import Callable, Coroutine
from typing import Any

from services.worker.runtime import CONTEXT_KEY, WorkerRuntime
from shared.telemetry import job_metrics

Job = Callable[..., Coroutine[Any, Any, Any]]


def timed_sweep(job: Job) -> Job:
    """The same job (same name, so the same cron id), recording its run time."""

    @functools.wraps(job)
    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await job(ctx, *args, **kwargs)
        finally:
            runtime: WorkerRuntime | None = ctx.get(CONTEXT_KEY)
            if runtime is not None:
                with contextlib.suppress(Exception):  # Redis away: the sweep still counts
                    await job_metrics.record_sweep(
                        runtime.redis,
                        prefix=runtime.settings.redis_prefix,
                        sweep=job.__name__,
                        seconds=time.perf_counter() - started,
                        finished_at=time.time(),
                    )

    return run
