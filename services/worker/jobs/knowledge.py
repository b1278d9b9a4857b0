"""Keeping the knowledge base fresh: a sweep every minute finds the campaigns changed since
they were indexed, and one job per campaign indexes it again."""

import uuid

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.worker.runtime import WorkerRuntime, transactional
from shared import claims
from shared.campaigns.models import Campaign
from shared.knowledge import index
from shared.timeutil import utcnow

logger = structlog.get_logger(__name__)


@transactional
async def index_campaign_knowledge(
    session: AsyncSession, runtime: WorkerRuntime, campaign_id: str
) -> int:
    """Index one campaign again if it changed since; returns the entries written (0 when
    it was unchanged, gone, or being indexed by another worker right now)."""
    campaign = await session.get(Campaign, uuid.UUID(campaign_id))
    if campaign is None:
        return 0
    written = await index.index_campaign(
        session, campaign=campaign, now=utcnow(), wait=False, only_if_changed=True
    )
    return written or 0


@transactional
async def refresh_knowledge(session: AsyncSession, runtime: WorkerRuntime) -> int:
    """One index job per campaign changed since it was indexed (at most `SWEEP_BATCH`, the
    never-indexed first); the minute in the job id makes a second worker's tick a no-op."""
    changed = await index.stale_campaigns(session)
    claims.enqueue_per_campaign(
        session, index.INDEX_JOB, changed, job_prefix="knowledge", now=utcnow()
    )
    if changed:
        logger.info("knowledge base: campaigns to index", campaigns=len(changed))
    return len(changed)
