"""The issues' deadlines: an action plan within the response time, a resolution within the
resolution time."""

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.worker.runtime import WorkerRuntime, transactional
from shared.issues import sla
from shared.timeutil import utcnow

logger = structlog.get_logger(__name__)


@transactional
async def check_issue_response_sla(session: AsyncSession, runtime: WorkerRuntime) -> int:
    """Mark each overdue issue breached (once) with an `issue.sla_breached` event; returns
    how many were marked. Safe to run on several workers at once."""
    breached = await sla.mark_response_breaches(session, now=utcnow())
    if breached:
        logger.info("issue response SLA breached", issues=len(breached))
    return len(breached)


@transactional
async def check_issue_resolution_sla(session: AsyncSession, runtime: WorkerRuntime) -> int:
    """Mark each issue unresolved past its resolution time (once) with an
    `issue.resolution_overdue` event, which its escalation policy acts on in the same
    transaction; returns how many were marked. Safe to run on several workers at once."""
    overdue = await sla.mark_resolution_overdue(session, now=utcnow())
    if overdue:
        logger.info("issue resolution overdue", issues=len(overdue))
    return len(overdue)
