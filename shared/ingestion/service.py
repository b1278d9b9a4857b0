"""Receiving batches: signed deliveries queued for the worker, and people's own figures
applied at once."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared import jobs
from shared.campaigns.models import Campaign
from shared.errors import FieldError, Invalid, NotFound
from shared.ids import new_id
from shared.ingestion import apply
from shared.ingestion.models import BatchStatus, IngestBatch
from shared.integrations.models import Integration
from shared.tenancy import get_in_workspace

# The worker's job that applies a received batch: named here, with the batch it is for,
# and registered under this name by services/worker/jobs/ingestion.py.
APPLY_JOB = "apply_ingest_batch"
MAX_ERROR_CHARS = 1000


def apply_job_id(batch_id: uuid.UUID) -> str:
    return f"ingest:{batch_id}"


async def find_integration(session: AsyncSession, integration_id: uuid.UUID) -> Integration:
    """By id alone: the sender is not a workspace's API key; its signature proves it."""
    integration = await session.get(Integration, integration_id)
    if integration is None:
        raise NotFound(f"No integration {integration_id}.")
    return integration


@dataclass(frozen=True)
class Received:
    batch_id: uuid.UUID
    status: BatchStatus
    points: int
    duplicate: bool  # this webhook-id was stored before; nothing was stored now


async def receive(
    session: AsyncSession, *, integration: Integration, webhook_id: str, points: list[Any]
) -> Received:
    """Store the batch as received and queue it; the same webhook-id is stored once.

    Only the batch's summary is read back: loading the stored points again would cost
    more than storing them.
    """
    summary = (IngestBatch.id, IngestBatch.status, IngestBatch.point_count)
    inserted = (
        await session.execute(
            insert(IngestBatch)
            .values(
                id=new_id(),
                workspace_id=integration.workspace_id,
                integration_id=integration.id,
                webhook_id=webhook_id,
                status=BatchStatus.received,
                points=points,
                point_count=len(points),
                version=1,
            )
            .on_conflict_do_nothing(index_elements=["integration_id", "webhook_id"])
            .returning(*summary)
        )
    ).one_or_none()
    if inserted is not None:
        jobs.enqueue(
            session, APPLY_JOB, job_id=apply_job_id(inserted.id), batch_id=str(inserted.id)
        )
        return Received(inserted.id, inserted.status, inserted.point_count, duplicate=False)
    existing = (
        await session.execute(
            select(*summary).where(
                IngestBatch.integration_id == integration.id, IngestBatch.webhook_id == webhook_id
            )
        )
    ).one()
    return Received(existing.id, existing.status, existing.point_count, duplicate=True)


async def record_failure(
    session: AsyncSession, *, batch_id: uuid.UUID, error: str, max_attempts: int
) -> tuple[BatchStatus, int] | None:
    """Count a try at applying the batch that failed, with its error; the last allowed
    one marks it `failed` (the sweeper re-queues only `received` batches). Returns its
    status and tries, or None when it is no longer waiting (another worker applied it).

    The caller's transaction must not hold the batch's row: the failed try's
    transaction is rolled back first.
    """
    tries = IngestBatch.attempts + 1
    found = (
        await session.execute(
            update(IngestBatch)
            .where(IngestBatch.id == batch_id, IngestBatch.status == BatchStatus.received)
            .values(
                attempts=tries,
                last_error=error[:MAX_ERROR_CHARS],
                status=case((tries >= max_attempts, BatchStatus.failed), else_=IngestBatch.status),
                version=IngestBatch.version + 1,
            )
            .returning(IngestBatch.status, IngestBatch.attempts)
        )
    ).one_or_none()
    return None if found is None else (found.status, found.attempts)


async def get_batch(
    session: AsyncSession, *, workspace_id: uuid.UUID, batch_id: uuid.UUID
) -> IngestBatch:
    return await get_in_workspace(
        session, IngestBatch, workspace_id=workspace_id, entity_id=batch_id, label="Batch"
    )


async def new_manual_batch(
    session: AsyncSession,
    *,
    campaign: Campaign,
    points: list[dict[str, Any]],
    source: str = "manual",
) -> IngestBatch:
    """Store people's own figures for one campaign as a batch, to be applied at once.

    Manual batches have no integration; `source` prefixes the made-up delivery id so a
    batch shows where it came from (a form, a CSV import).
    """
    named = [p | {"campaign": str(campaign.id)} for p in points]
    batch = IngestBatch(
        workspace_id=campaign.workspace_id,
        integration_id=None,
        webhook_id=f"{source}:{new_id()}",
        status=BatchStatus.received,
        points=named,
        point_count=len(named),
    )
    session.add(batch)
    await session.flush()
    return batch


@dataclass(frozen=True)
class Entered:
    batch: IngestBatch
    touched: dict[uuid.UUID, set[str]]  # campaign -> metric keys: for the caller to watch


async def enter_points(
    session: AsyncSession,
    *,
    campaign: Campaign,
    points: list[dict[str, Any]],
    partial: bool,
    now: Any,
) -> Entered:
    """People's own figures, applied at once. Any bad point refuses the whole entry (422,
    per point) unless `partial`, when the good points apply and the bad are reported.

    The rules reading the figures are not evaluated here: `touched` says which figures
    changed, and the caller chooses when their rules look again."""
    batch = await new_manual_batch(session, campaign=campaign, points=points)
    outcome = await apply.apply_batch(session, batch_id=batch.id, now=now)
    if outcome.rejected and not partial:
        raise Invalid(
            f"{len(outcome.rejected)} of {len(points)} points cannot apply; nothing was "
            "entered (send partial=true to enter the others).",
            [
                FieldError(f"points.{r['index']}", r["reason"], code="rejected_point")
                for r in outcome.rejected
            ],
        )
    return Entered(batch, outcome.touched)
