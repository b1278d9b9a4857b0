"""Indexing a campaign: one transaction at a time (the others skip it, SKIP LOCKED), the
same entries however often it runs, and again only once the campaign has changed."""

import asyncio
import uuid

import pytest
from sqlalchemy import func, select

from shared.actor import Role
from shared.campaigns.models import Campaign
from shared.knowledge import index
from shared.knowledge.models import IndexedCampaign, KnowledgeEntry
from shared.timeutil import utcnow
from tests.helpers import Tenant, created

pytestmark = pytest.mark.committed


async def entries(sessionmaker, campaign_id: uuid.UUID) -> list[tuple[str, str]]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(KnowledgeEntry.kind, KnowledgeEntry.title)
            .where(KnowledgeEntry.campaign_id == campaign_id)
            .order_by(KnowledgeEntry.kind, KnowledgeEntry.title)
        )
        return [(kind.value, title) for kind, title in rows.all()]


async def stale(sessionmaker) -> list[uuid.UUID]:
    async with sessionmaker() as session:
        return await index.stale_campaigns(session)


async def test_a_second_indexer_skips_a_locked_campaign_and_reindexes_only_after_a_change(
    client, tenant: Tenant, runtime
):
    made = await created(
        client,
        tenant,
        "/v1/campaigns",
        {"name": "KOC 直播带货试点", "kind": "promotion", "background": "抖音直播间 + 小红书种草"},
    )
    campaign_id = uuid.UUID(made["id"])
    sessionmaker = runtime.sessionmaker
    assert await stale(sessionmaker) == [campaign_id]  # never indexed
    async with sessionmaker() as session, session.begin():
        campaign = await session.get(Campaign, campaign_id)
        assert campaign is not None
        assert await index.index_campaign(session, campaign=campaign, now=utcnow()) == 1
    assert await entries(sessionmaker, campaign_id) == [("campaign", "KOC 直播带货试点")]
    assert await stale(sessionmaker) == []
    async with sessionmaker() as session, session.begin():
        campaign = await session.get(Campaign, campaign_id)
        assert campaign is not None
        unchanged = await index.index_campaign(
            session, campaign=campaign, now=utcnow(), wait=False, only_if_changed=True
        )
        assert unchanged is None

    # A log note is a change: the campaign is stale until indexed again.
    noted = await client.post(
        f"/v1/campaigns/{campaign_id}/log",
        json={"kind": "decision", "note": "直播间改到周五晚 8 点"},
        headers=tenant.auth(Role.editor),
    )
    assert noted.status_code == 201, noted.text
    assert await stale(sessionmaker) == [campaign_id]

    async with sessionmaker() as first, sessionmaker() as second:
        await first.begin()
        campaign = await first.get(Campaign, campaign_id)
        assert campaign is not None
        assert await index.index_campaign(first, campaign=campaign, now=utcnow()) == 2
        # While the first transaction holds the campaign, a second one does not wait for it.
        other = await second.get(Campaign, campaign_id)
        assert other is not None
        skipped = index.index_campaign(second, campaign=other, now=utcnow(), wait=False)
        assert await asyncio.wait_for(skipped, timeout=10) is None
        await second.rollback()
        await first.commit()
    assert await stale(sessionmaker) == []

    # Indexing again gives the same entries.
    async with sessionmaker() as session, session.begin():
        campaign = await session.get(Campaign, campaign_id)
        assert campaign is not None
        assert await index.index_campaign(session, campaign=campaign, now=utcnow()) == 2
    assert await entries(sessionmaker, campaign_id) == [
        ("campaign", "KOC 直播带货试点"),
        ("log_note", "decision"),
    ]
    async with sessionmaker() as session:
        state = await session.scalar(
            select(IndexedCampaign).where(IndexedCampaign.campaign_id == campaign_id)
        )
        assert state is not None
        assert state.entry_count == 2
        count = await session.scalar(select(func.count()).select_from(KnowledgeEntry))
        assert count == 2
