"""The response SLA: issues still without an action plan past their response time."""

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.worker.runtime import WorkerRuntime, transactional
from shared.issues import service as issues
from shared.timeutil import utcnow

logger = structlog.get_logger(__name__)


@transactional
async def check_issue_response_sla(session: AsyncSession, runtime: WorkerRuntime) -> int:
    """Mark each overdue issue breached (once) with an `issue.sla_breached` event; returns
    how many were marked. Safe to run on several workers at once."""
    breached = await issues.mark_response_breaches(session, now=utcnow())
    if breached:
        logger.info("issue response SLA breached", issues=len(breached))
    return len(breached)
