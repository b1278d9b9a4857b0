"""Where the evaluation's figures come from: per metric and channel, how many hourly figures
and daily rollups there are, and when the latest came in; and whether more may still come."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign, CampaignStatus
from shared.figures.models import Channel, MetricDay, MetricPoint
from shared.ingestion.apply import LATE_WINDOW


@dataclass(frozen=True)
class Stats:
    hourly_points: int = 0
    channel_days: int = 0
    last_period_at: datetime | None = None
    last_received_at: datetime | None = None


@dataclass(frozen=True)
class Sources:
    """The campaign's figure statistics by (metric key, channel key)."""

    by_metric_channel: dict[tuple[str, str], Stats]

    def channels_for(self, metrics: Iterable[str]) -> list[str]:
        wanted = set(metrics)
        return sorted({ch for (m, ch), s in self.by_metric_channel.items() if m in wanted})

    def for_metrics(self, metrics: Iterable[str]) -> Stats:
        wanted = set(metrics)
        found = [s for (m, _), s in self.by_metric_channel.items() if m in wanted]
        return _sum(found)

    def for_channel(self, channel: str) -> Stats:
        return _sum([s for (_, ch), s in self.by_metric_channel.items() if ch == channel])


def _latest(values: Iterable[datetime | None]) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _sum(found: list[Stats]) -> Stats:
    return Stats(
        hourly_points=sum(s.hourly_points for s in found),
        channel_days=sum(s.channel_days for s in found),
        last_period_at=_latest(s.last_period_at for s in found),
        last_received_at=_latest(s.last_received_at for s in found),
    )


async def read_sources(session: AsyncSession, *, campaign: Campaign) -> Sources:
    """Two grouped reads over the campaign's figures. Counts and the latest hour come from
    the day rollups (`samples` is the day's count of hourly values), which are kept when
    old hourly points are dropped (shared/figures/retention.py); only the write time needs
    the points, so it is unknown once they are gone."""
    connection = await session.connection()  # Core: no ORM loading
    hourly = await connection.execute(
        select(MetricPoint.metric_key, Channel.key, func.max(MetricPoint.updated_at))
        .join(Channel, Channel.id == MetricPoint.channel_id)
        .where(
            MetricPoint.campaign_id == campaign.id,
            MetricPoint.workspace_id == campaign.workspace_id,
        )
        .group_by(MetricPoint.metric_key, Channel.key)
    )
    received = {(metric, channel): last for metric, channel, last in hourly}
    daily = await connection.execute(
        select(
            MetricDay.metric_key,
            Channel.key,
            func.sum(MetricDay.samples),
            func.count(),
            func.max(MetricDay.last_bucket),
        )
        .join(Channel, Channel.id == MetricDay.channel_id)
        .where(
            MetricDay.campaign_id == campaign.id,
            MetricDay.workspace_id == campaign.workspace_id,
        )
        .group_by(MetricDay.metric_key, Channel.key)
    )
    found: dict[tuple[str, str], Stats] = {
        (metric, channel): Stats(
            int(samples), int(days), last_period, received.get((metric, channel))
        )
        for metric, channel, samples, days, last_period in daily
    }
    return Sources(found)


def late_data_closes_at(campaign: Campaign) -> datetime | None:
    return None if campaign.completed_at is None else campaign.completed_at + LATE_WINDOW


def late_data_open(campaign: Campaign, now: datetime) -> bool:
    """Whether figures may still arrive, as ingestion decides: the campaign is active, or
    completed less than the late-data window ago."""
    if campaign.status == CampaignStatus.active:
        return True
    closes = late_data_closes_at(campaign)
    return campaign.status == CampaignStatus.completed and closes is not None and closes > now
