"""Watching campaigns: after new figures (event-driven) and every minute (time-based
conditions, holds and clears)."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.worker.runtime import WorkerRuntime, transactional
from shared import jobs
from shared.alerts import service as alerts
from shared.campaigns.models import Campaign, CampaignStatus
from shared.timeutil import utcnow


@transactional
async def watch_campaign(
    session: AsyncSession,
    runtime: WorkerRuntime,
    campaign_id: str,
    metrics: list[str] | None = None,
) -> int:
    """Evaluate one campaign's rules (those reading `metrics`, when given); returns how
    many alerts changed state."""
    changed = await alerts.watch_campaign(
        session, campaign_id=uuid.UUID(campaign_id), now=utcnow(), touched_metrics=metrics
    )
    return len(changed)


@transactional
async def watch_active_campaigns(session: AsyncSession, runtime: WorkerRuntime) -> int:
    """One watch job per active campaign, each its own transaction; the minute in the
    job id makes a second worker's cron tick a no-op."""
    minute = utcnow().strftime("%Y%m%d%H%M")
    ids = (
        await session.scalars(select(Campaign.id).where(Campaign.status == CampaignStatus.active))
    ).all()
    for campaign_id in ids:
        jobs.enqueue(
            session,
            alerts.WATCH_JOB,
            job_id=f"watch:{campaign_id}:{minute}",
            campaign_id=str(campaign_id),
        )
    return len(ids)
