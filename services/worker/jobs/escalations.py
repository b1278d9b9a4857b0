"""Sending the escalation levels that are due (a cron; timers live in PostgreSQL)."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.worker.runtime import WorkerRuntime, transactional
from shared.escalations import service as escalations
from shared.timeutil import utcnow


@transactional
async def process_escalations(session: AsyncSession, runtime: WorkerRuntime) -> int:
    """Due levels, claimed with SKIP LOCKED; returns how many escalations moved."""
    return await escalations.process_due(session, now=utcnow())
