"""Watching campaigns: after new figures (event-driven) and every minute (time-based
conditions, holds and clears)."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.worker import sweep_timing
from services.worker.runtime import WorkerRuntime, transactional
from shared import jobs
from shared.alerts import service as alerts
from shared.alerts import sweep
from shared.timeutil import utcnow

# The name the sweep's figures carry on /metrics/cluster (the cron's function, as before).
SWEEP = "watch_active_campaigns"


@transactional
async def watch_campaign(
    session: AsyncSession,
    runtime: WorkerRuntime,
    campaign_id: str,
    metrics: list[str] | None = None,
) -> int:
    """Evaluate one campaign's rules (those reading `metrics`, when given); returns how
    many alerts changed state."""
    changed = await alerts.watch_campaign(
        session, campaign_id=uuid.UUID(campaign_id), now=utcnow(), touched_metrics=metrics
    )
    return len(changed)


@transactional
async def watch_active_campaigns(session: AsyncSession, runtime: WorkerRuntime) -> int:
    """The minute sweep: one job per chunk of active campaigns, each its own transaction,
    shared by the workers; the minute in the job ids makes a second cron tick a no-op.
    Returns how many chunks were enqueued."""
    minute = utcnow().strftime("%Y%m%d%H%M")
    chunks = await sweep.chunks(session)
    await sweep_timing.sweep_started(runtime, sweep=SWEEP, run=minute, parts=len(chunks))
    for index, chunk in enumerate(chunks):
        jobs.enqueue(
            session,
            sweep.WATCH_CHUNK_JOB,
            job_id=f"sweep:{minute}:{index}",
            campaign_ids=[str(campaign_id) for campaign_id in chunk],
            sweep_run=minute,
        )
    return len(chunks)


@transactional
async def watch_campaigns(
    session: AsyncSession,
    runtime: WorkerRuntime,
    campaign_ids: list[str],
    sweep_run: str | None = None,
) -> int:
    """One chunk of the minute sweep; returns how many alerts changed state.

    It counts towards its run's duration (`sweep_run`: the run's minute) as its transaction
    is about to commit: a chunk whose commit then fails is tried again and counted again,
    which may close its run's figure a chunk early; that figure is for operators, the
    alerts' own guarantees do not rest on it."""
    changed = await sweep.watch_campaigns(
        session, campaign_ids=[uuid.UUID(i) for i in campaign_ids], now=utcnow()
    )
    if sweep_run is not None:
        await sweep_timing.sweep_part_done(runtime, sweep=SWEEP, run=sweep_run)
    return len(changed)
