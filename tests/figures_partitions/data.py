"""Figures written as the worker writes them (points and their day rollups), and ids made
at a given time, for the partition and retention tests."""

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign, CampaignKind, CampaignStatus
from shared.figures import store
from shared.figures.models import CampaignChannel, Channel

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def id_made_at(moment: datetime) -> uuid.UUID:
    """A UUIDv7 as `new_id()` would have made it at `moment`."""
    milliseconds = int(moment.timestamp() * 1000)
    value = (milliseconds << 80) | (0x7 << 76) | (random.getrandbits(12) << 64)
    return uuid.UUID(int=value | (0b10 << 62) | random.getrandbits(62))


async def campaign_with_channel(
    session: AsyncSession, workspace_id: uuid.UUID
) -> tuple[Campaign, Channel]:
    channel = Channel(workspace_id=workspace_id, key="social_feed", name="Social feed")
    campaign = Campaign(
        workspace_id=workspace_id,
        name="Year-end push",
        kind=CampaignKind.other,
        status=CampaignStatus.active,
        timezone="Asia/Shanghai",
        currency="CNY",
    )
    session.add_all([channel, campaign])
    await session.flush()
    session.add(
        CampaignChannel(workspace_id=workspace_id, campaign_id=campaign.id, channel_id=channel.id)
    )
    await session.flush()
    return campaign, channel


async def write_hours(
    session: AsyncSession,
    campaign: Campaign,
    channel: Channel,
    *,
    metric: str,
    start: datetime,
    hours: int,
    value: int = 1,
) -> None:
    """`hours` hourly points of `value` from `start`, with their day rollups."""
    accepted = [
        store.Accepted(
            i, (campaign.id, channel.id, metric, start + timedelta(hours=i)), True, Decimal(value)
        )
        for i in range(hours)
    ]
    await store.write(session, campaign.workspace_id, accepted, {campaign.id: SHANGHAI})


async def partition_of_points(session: AsyncSession, campaign: Campaign) -> dict[str, int]:
    """Which partition holds the campaign's points, and how many each."""
    rows = await session.execute(
        text(
            "SELECT tableoid::regclass::text, count(*) FROM metric_points "
            "WHERE campaign_id = :campaign GROUP BY 1"
        ),
        {"campaign": campaign.id},
    )
    return dict(rows.all())
