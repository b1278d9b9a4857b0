"""Sending the notification outbox: after each commit that owes one, and every 10 s."""

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.worker.runtime import WorkerRuntime, transactional
from shared.notifications import sender

logger = structlog.get_logger(__name__)


@transactional
async def send_due_deliveries(session: AsyncSession, runtime: WorkerRuntime) -> int:
    """Send every due delivery; returns how many attempts were made.

    The job's own session stays unused: the sender runs short transactions of its own
    (claim, then record), so no transaction is open while receivers are called. Several
    runs at once (jobs and the cron, on several workers) share the work through
    `SKIP LOCKED` and never send a claimed delivery twice.
    """
    stats = await sender.send_due(runtime.sessionmaker, runtime.notify_clients)
    if stats.attempted:
        logger.info(
            "notifications sent",
            delivered=stats.delivered,
            failed=stats.failed,
            dead=stats.dead,
        )
    return stats.attempted
