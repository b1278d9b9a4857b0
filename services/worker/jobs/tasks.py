"""Due-soon warnings: owners hear of their tasks N working days before the planned end."""

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.worker.runtime import WorkerRuntime, transactional
from shared.tasks import reminders
from shared.timeutil import utcnow

logger = structlog.get_logger(__name__)


@transactional
async def warn_tasks_due_soon(session: AsyncSession, runtime: WorkerRuntime) -> int:
    """One `task.due_soon` per task and planned end, however many workers run it at once;
    returns how many went out."""
    warned = await reminders.warn_due_soon(session, now=utcnow())
    if warned:
        logger.info("tasks due soon", tasks=len(warned))
    return len(warned)
