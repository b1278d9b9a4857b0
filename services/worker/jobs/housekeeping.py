"""Housekeeping: keep the database free of rows nobody will read again."""

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.worker.runtime import WorkerRuntime, transactional
from shared.idempotency import service as idempotency
from shared.timeutil import utcnow

logger = structlog.get_logger(__name__)


@transactional
async def prune_idempotency_keys(session: AsyncSession, runtime: WorkerRuntime) -> int:
    """Delete stored Idempotency-Key responses past their 24 h; returns how many."""
    removed = await idempotency.prune_expired(session, now=utcnow())
    logger.info("pruned idempotency keys", removed=removed)
    return removed
