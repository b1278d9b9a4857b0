"""Applying received batches, and re-queueing any that Redis lost."""

import uuid
from datetime import timedelta

import structlog
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.worker.runtime import WorkerRuntime, transactional
from shared import jobs
from shared.ingestion import apply, service
from shared.ingestion.models import BatchStatus, IngestBatch
from shared.timeutil import utcnow

logger = structlog.get_logger(__name__)
STUCK_AFTER = timedelta(seconds=60)


@transactional
async def apply_ingest_batch(session: AsyncSession, runtime: WorkerRuntime, batch_id: str) -> int:
    """Apply one batch; a second run finds it applied and does nothing. Returns accepted.

    The commit does not wait for the disk. The received batch is already durable (the
    webhook's commit waited), and its status changes in this same transaction as the
    figures: a crash that loses this commit loses both, the batch is `received` again,
    and the sweeper applies it once more. Waiting here only delayed the webhooks'
    commits behind ours (their p99 went from 110 to 50 ms when we stopped).
    """
    await session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    outcome = await apply.apply_batch(session, batch_id=uuid.UUID(batch_id), now=utcnow())
    logger.info(
        "batch applied",
        batch_id=batch_id,
        applied=outcome.applied,
        accepted=outcome.accepted,
        rejected=len(outcome.rejected),
    )
    return outcome.accepted


@transactional
async def requeue_stuck_batches(session: AsyncSession, runtime: WorkerRuntime) -> int:
    """Batches still waiting a minute after they arrived: their job was lost; send it again."""
    stuck = (
        await session.scalars(
            select(IngestBatch.id)
            .where(
                IngestBatch.status == BatchStatus.received,
                IngestBatch.created_at < utcnow() - STUCK_AFTER,
            )
            .limit(1000)
        )
    ).all()
    for batch_id in stuck:
        # A fresh id: arq keeps a finished job's id for an hour and would drop a repeat.
        jobs.enqueue(session, service.APPLY_JOB, batch_id=str(batch_id))
    return len(stuck)
