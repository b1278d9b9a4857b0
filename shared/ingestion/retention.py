"""Received batches keep their raw points only for a while: once applied (or failed),
the points are in `metric_points`; the batch row stays, with its counts, rejections and
status, and keeps refusing a delivery sent again under the same webhook-id."""

from datetime import datetime

from sqlalchemy import null, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.ids import first_id_at
from shared.ingestion.models import BatchStatus, IngestBatch

PER_RUN = 20_000  # a run's share, so one transaction stays short; the next run goes on


async def prune_raw_points(session: AsyncSession, *, before: datetime) -> int:
    """Drop the raw points of batches received before `before` and no longer waiting;
    returns how many. A batch being applied right now is skipped (next run)."""
    chosen = (
        select(IngestBatch.id)
        .where(
            IngestBatch.points.is_not(None),  # the partial index ix_ingest_batches_unpruned
            IngestBatch.id < first_id_at(before),  # UUIDv7: received before `before`
            IngestBatch.status != BatchStatus.received,
        )
        .order_by(IngestBatch.id)
        .limit(PER_RUN)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        update(IngestBatch)
        .where(IngestBatch.id.in_(chosen.scalar_subquery()))
        .values(points=null())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
