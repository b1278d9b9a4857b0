"""The last run of a sweep made of several jobs, timed from its start to its last part.

The minute sweep enqueues one job per chunk of campaigns and any worker takes them:
the run's start and the count of parts not yet done live in Redis, and whichever worker
finishes the last part records the run, so `/metrics/cluster` shows one figure for the
deployment: `campaignops_sweep_last_duration_seconds{sweep=...}` and when it finished.
Timing the enqueueing job alone would show milliseconds for a sweep that takes a minute.
A part that fails for good leaves its run unrecorded (the finished time then stops
moving, which is what an operator should see). Clocks are the workers' own: keep them
synchronised (NTP), as for everything else.
"""

import contextlib
import time

from services.worker.runtime import WorkerRuntime
from shared.telemetry import job_metrics


async def sweep_started(runtime: WorkerRuntime, *, sweep: str, run: str, parts: int) -> None:
    with contextlib.suppress(Exception):  # Redis away: the sweep still runs
        await job_metrics.start_sweep(
            runtime.redis,
            prefix=runtime.settings.redis_prefix,
            sweep=sweep,
            run=run,
            parts=parts,
            started_at=time.time(),
        )


async def sweep_part_done(runtime: WorkerRuntime, *, sweep: str, run: str) -> None:
    with contextlib.suppress(Exception):
        await job_metrics.finish_sweep_part(
            runtime.redis,
            prefix=runtime.settings.redis_prefix,
            sweep=sweep,
            run=run,
            finished_at=time.time(),
        )
