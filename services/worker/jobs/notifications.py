"""Sending the notification outbox: after each commit that owes one, when a retry falls
due, and every 10 s."""

from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.worker.runtime import WorkerRuntime, transactional
from shared import jobs
from shared.notifications import sender, service
from shared.timeutil import utcnow

logger = structlog.get_logger(__name__)

# The cron's interval. A retry falling due sooner than its next tick (the first retry
# waits 5 s) gets a run of its own at its time; later ones are within the tick's reach,
# a few seconds against a jitter of +-20%.
SWEEP_INTERVAL = timedelta(seconds=10)


@transactional
async def send_due_deliveries(session: AsyncSession, runtime: WorkerRuntime) -> int:
    """Send every due delivery; returns how many attempts were made.

    The sender runs short transactions of its own (claim, then record), so no transaction
    is open while receivers are called; the job's own session only schedules the next run. Several
    runs at once (jobs and the cron, on several workers) share the work through
    `SKIP LOCKED` and never send a claimed delivery twice.
    """
    waits = runtime.settings.notify_retry_delays_seconds
    delays = tuple(timedelta(seconds=w) for w in waits) or sender.RETRY_DELAYS
    stats = await sender.send_due(runtime.sessionmaker, runtime.notify_clients, delays=delays)
    due, now = await sender.earliest_due(session), utcnow()
    if due is not None and now < due <= now + SWEEP_INTERVAL:
        # One run per moment, whichever worker asks: the id names the moment.
        moment = due.strftime("%Y%m%dT%H%M%S.%f")[:-3]
        jobs.enqueue(
            session, service.SEND_JOB, job_id=f"{service.SEND_JOB}:{moment}", defer_by=due - now
        )
    if stats.attempted:
        logger.info(
            "notifications sent",
            delivered=stats.delivered,
            failed=stats.failed,
            dead=stats.dead,
        )
    return stats.attempted
