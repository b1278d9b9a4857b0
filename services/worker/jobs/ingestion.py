"""Applying received batches, re-queueing any that Redis lost, and giving up on those
that keep failing."""

import contextlib
import uuid
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from services.worker.runtime import WorkerRuntime, transactional
from shared import jobs
from shared.alerts import service as alerts
from shared.db import unit_of_work
from shared.ingestion import apply, service
from shared.ingestion.models import BatchStatus, IngestBatch
from shared.timeutil import utcnow

logger = structlog.get_logger(__name__)


@transactional
async def apply_ingest_batch(session: AsyncSession, runtime: WorkerRuntime, batch_id: str) -> int:
    """Apply one batch; a second run finds it applied and does nothing. Returns accepted.

    The commit does not wait for the disk. The received batch is already durable (the
    webhook's commit waited), and its status changes in this same transaction as the
    figures: a crash that loses this commit loses both, the batch is `received` again,
    and the sweeper applies it once more. Waiting here only delayed the webhooks'
    commits behind ours (their p99 went from 110 to 50 ms when we stopped).

    A try that fails as a whole (the database refuses, a bug; not a rejected point) is
    rolled back, then counted with its error in a transaction of its own. The sweeper
    tries again each minute; the INGEST_MAX_ATTEMPTS-th failure marks the batch failed.
    """
    await session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    now, batch = utcnow(), uuid.UUID(batch_id)
    try:
        outcome = await apply.apply_batch(session, batch_id=batch, now=now)
    except Exception as exc:
        # This transaction holds the batch's row: end it before counting the try.
        with contextlib.suppress(Exception):
            await session.rollback()
        await _count_failure(runtime, batch, exc)
        raise
    for campaign_id, metrics in outcome.touched.items():
        await _watch(session, campaign_id, metrics, now)
    logger.info(
        "batch applied",
        batch_id=batch_id,
        applied=outcome.applied,
        accepted=outcome.accepted,
        rejected=len(outcome.rejected),
    )
    return outcome.accepted


def _describe(error: BaseException) -> str:
    """The error as the batch shows it: the database's own message when it refused,
    rather than SQLAlchemy's rendering, which quotes the statement and its parameters."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        code = getattr(error.orig, "sqlstate", None)
        return f"database error {code}: {error.orig}" if code else f"database error: {error.orig}"
    return f"{type(error).__name__}: {error}"


async def _count_failure(runtime: WorkerRuntime, batch_id: uuid.UUID, error: Exception) -> None:
    """Count the failed try in a transaction of its own: the try's own rolled back."""
    try:
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as session:
            counted = await service.record_failure(
                session,
                batch_id=batch_id,
                error=_describe(error),
                max_attempts=runtime.settings.ingest_max_attempts,
            )
    except Exception:
        # The database itself may be what failed; the batch is tried again all the same.
        logger.exception("counting a failed try failed", batch_id=str(batch_id))
        return
    if counted is not None:
        status, attempts = counted
        logger.warning(
            "batch not applied",
            batch_id=str(batch_id),
            attempts=attempts,
            gave_up=status == BatchStatus.failed,
            error=_describe(error),
        )


async def _watch(
    session: AsyncSession, campaign_id: uuid.UUID, metrics: set[str], now: datetime
) -> None:
    """The rules reading the new figures, in this transaction: alerts commit with the
    figures that raised them, and no job hop sits between a breach and its alert. In a
    savepoint, so that a rule that cannot be evaluated never holds the batch back; its
    campaign is then watched by a job of its own (and by the minute's cron)."""
    try:
        async with session.begin_nested():
            await alerts.watch_campaign(
                session, campaign_id=campaign_id, now=now, touched_metrics=metrics
            )
    except Exception:
        logger.exception("watching after a batch failed", campaign_id=str(campaign_id))
        alerts.watch_later(session, {campaign_id: metrics})


@transactional
async def requeue_stuck_batches(session: AsyncSession, runtime: WorkerRuntime) -> int:
    """Batches still waiting a minute (INGEST_REQUEUE_AFTER_SECONDS) after they arrived:
    their job was lost, or their last try failed; send it again. A batch that used up
    its tries is `failed`, not waiting, and is never sent again."""
    stuck_after = timedelta(seconds=runtime.settings.ingest_requeue_after_seconds)
    stuck = (
        await session.execute(
            select(IngestBatch.id, IngestBatch.attempts)
            .where(
                IngestBatch.status == BatchStatus.received,
                IngestBatch.created_at < utcnow() - stuck_after,
            )
            .limit(1000)
        )
    ).all()
    # A fresh id (arq keeps a finished job's id for an hour, and a killed worker's job
    # keeps its in-progress mark for minutes) but one per batch and period: a sweep more
    # frequent than the period, or a backlog older than it, sends each batch once a period,
    # not once a sweep; a counted failed try is sent again at once (its attempts moved).
    period = int(utcnow().timestamp() // stuck_after.total_seconds())
    for batch_id, attempts in stuck:
        job_id = f"{service.apply_job_id(batch_id)}:again:{attempts}:{period}"
        jobs.enqueue(session, service.APPLY_JOB, job_id=job_id, batch_id=str(batch_id))
    return len(stuck)
