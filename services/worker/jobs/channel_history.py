"""Keeping the channel history fresh: a sweep every minute finds the finished campaigns
never totalled or changed since (expenses corrected, late figures, another dictionary),
and one job per campaign totals it again."""

import uuid

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.worker.runtime import WorkerRuntime, transactional
from shared import claims
from shared.campaigns.models import Campaign
from shared.channel_history import totals
from shared.timeutil import utcnow

logger = structlog.get_logger(__name__)


@transactional
async def total_campaign_channels(
    session: AsyncSession, runtime: WorkerRuntime, campaign_id: str
) -> int:
    """Total one campaign again if it needs it; returns its channels (0 when it did not,
    is gone, or is being totalled by another worker right now)."""
    campaign = await session.get(Campaign, uuid.UUID(campaign_id))
    if campaign is None:
        return 0
    written = await totals.total_campaign(
        session, campaign=campaign, now=utcnow(), wait=False, only_if_stale=True
    )
    return written or 0


@transactional
async def refresh_channel_history(session: AsyncSession, runtime: WorkerRuntime) -> int:
    """One totalling job per campaign that needs it (at most `SWEEP_BATCH`, the
    never-totalled first); the minute in the job id makes a second worker's tick a no-op."""
    stale = await totals.stale_campaigns(session)
    claims.enqueue_per_campaign(
        session, totals.TOTAL_JOB, stale, job_prefix="channel-history", now=utcnow()
    )
    if stale:
        logger.info("channel history: campaigns to total", campaigns=len(stale))
    return len(stale)
