"""Housekeeping: keep the database free of rows nobody will read again."""

from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.worker.runtime import WorkerRuntime, transactional
from shared.events import retention as event_retention
from shared.figures import partitions
from shared.figures import retention as figure_retention
from shared.idempotency import service as idempotency
from shared.ingestion import retention as batch_retention
from shared.ingestion.apply import LATE_WINDOW
from shared.notifications import retention as delivery_retention
from shared.timeutil import utcnow

logger = structlog.get_logger(__name__)


@transactional
async def prune_idempotency_keys(session: AsyncSession, runtime: WorkerRuntime) -> int:
    """Delete stored Idempotency-Key responses past their 24 h; returns how many."""
    removed = await idempotency.prune_expired(session, now=utcnow())
    logger.info("pruned idempotency keys", removed=removed)
    return removed


@transactional
async def ensure_metric_partitions(session: AsyncSession, runtime: WorkerRuntime) -> list[str]:
    """Make the monthly partitions of hourly points from the late-data window's oldest
    month through the months ahead; returns the months made."""
    now = utcnow()
    months = partitions.months_to_keep_made(
        now=now,
        since=now - LATE_WINDOW,
        ahead=runtime.settings.metric_partitions_ahead_months,
    )
    made = [str(m) for m in await partitions.ensure(session, months=months)]
    logger.info("metric partitions ensured", made=made)
    return made


@transactional
async def apply_retention(session: AsyncSession, runtime: WorkerRuntime) -> dict[str, int]:
    """Drop what is past its retention period (README "Partitions and retention"):
    months of hourly points, raw batch points, finished deliveries, events."""
    now, settings = utcnow(), runtime.settings
    dropped = await figure_retention.drop_old_hours(
        session, now=now, days=settings.hourly_points_retention_days
    )
    removed = {
        "hourly_point_months": len(dropped),
        "raw_batches": await batch_retention.prune_raw_points(
            session, before=now - timedelta(days=settings.raw_batch_retention_days)
        ),
        "deliveries": await delivery_retention.prune_deliveries(
            session, before=now - timedelta(days=settings.delivery_retention_days)
        ),
        "events": await event_retention.prune_events(
            session, before=now - timedelta(days=settings.event_retention_days)
        ),
    }
    logger.info("retention applied", months=[str(m) for m in dropped], **removed)
    return removed
