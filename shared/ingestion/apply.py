"""Applying a received batch (worker side): exactly once, all accepted points or none.

The batch row is locked and its status flipped in the same transaction as the figures,
so a job that runs twice, or a worker killed halfway, never applies a batch twice.
Points that cannot apply are rejected one by one with a reason; the rest apply.
"""

import contextlib
import datetime as dt
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError, model_validator
from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign, CampaignStatus
from shared.ids import new_id
from shared.ingestion.models import (
    BatchStatus,
    CampaignChannel,
    Channel,
    IngestBatch,
    MetricPoint,
)
from shared.metrics.models import Metric

LATE_WINDOW = timedelta(days=30)


class Point(BaseModel):
    model_config = ConfigDict(extra="forbid")

    campaign: str
    channel: str
    metric: str
    ts: AwareDatetime | None = None
    date: dt.date | None = None  # `dt.`: the field's name hides the type here
    value: Any
    mode: Literal["set", "increment"] = "set"

    @model_validator(mode="after")
    def _one_time(self) -> "Point":
        if (self.ts is None) == (self.date is None):
            raise ValueError("give exactly one of ts or date")
        return self


@dataclass(frozen=True)
class Outcome:
    applied: bool  # False when the batch had been applied before
    accepted: int
    rejected: list[dict[str, Any]]


def _reason(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "point"
    return f"invalid {where}: {first['msg']}"


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    if not number.is_finite() or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return number


def _bucket(point: Point, zone: ZoneInfo) -> datetime:
    """The UTC start of the point's hour; a date means that day's midnight, local time."""
    if point.ts is not None:
        moment = point.ts.astimezone(UTC)
    else:
        assert point.date is not None
        moment = datetime.combine(point.date, time(0), tzinfo=zone).astimezone(UTC)
    return moment.replace(minute=0, second=0, microsecond=0)


async def apply_batch(session: AsyncSession, *, batch_id: uuid.UUID, now: datetime) -> Outcome:
    batch = await session.scalar(
        select(IngestBatch).where(IngestBatch.id == batch_id).with_for_update()
    )
    if batch is None:
        return Outcome(False, 0, [])
    if batch.status != BatchStatus.received:  # a second run of the job: nothing to do
        return Outcome(False, batch.accepted_count or 0, [])
    workspace_id = batch.workspace_id

    parsed: list[Point | str] = []
    for raw in batch.points:
        try:
            parsed.append(Point.model_validate(raw))
        except ValidationError as exc:
            parsed.append(_reason(exc))
    names = {p.campaign for p in parsed if isinstance(p, Point)}
    ids = set()
    for name in names:
        with contextlib.suppress(ValueError):  # a registration number, not an id
            ids.add(uuid.UUID(name))
    campaigns = (
        await session.scalars(
            select(Campaign).where(
                Campaign.workspace_id == workspace_id,
                or_(Campaign.id.in_(ids), Campaign.registration_number.in_(names)),
            )
        )
    ).all()
    by_name = {str(c.id): c for c in campaigns} | {
        c.registration_number: c for c in campaigns if c.registration_number
    }
    channels = {
        c.key: c
        for c in await session.scalars(select(Channel).where(Channel.workspace_id == workspace_id))
    }
    attached = {
        (link.campaign_id, link.channel_id)
        for link in await session.scalars(
            select(CampaignChannel).where(
                CampaignChannel.campaign_id.in_([c.id for c in campaigns])
            )
        )
    }
    metrics = {
        m.key: m
        for m in await session.scalars(select(Metric).where(Metric.workspace_id == workspace_id))
    }

    rejected: list[dict[str, Any]] = []
    # Per bucket, in batch order: the last `set` (if any) and the increments after it.
    buckets: dict[tuple[uuid.UUID, uuid.UUID, str, datetime], tuple[Decimal | None, Decimal]] = {}
    oldest = now - LATE_WINDOW
    for index, point in enumerate(parsed):
        reason = _check(point, by_name, channels, attached, metrics, now)
        if reason is None:
            assert isinstance(point, Point)
            campaign = by_name[point.campaign]
            bucket = _bucket(point, ZoneInfo(campaign.timezone))
            if bucket < oldest:
                reason = f"older than the late-data window ({LATE_WINDOW.days} days)"
            elif bucket > now + timedelta(hours=1):
                reason = "in the future"
        if reason is not None:
            rejected.append({"index": index, "reason": reason})
            continue
        assert isinstance(point, Point)
        value = _number(point.value)
        assert value is not None
        key = (by_name[point.campaign].id, channels[point.channel].id, point.metric, bucket)
        absolute, added = buckets.get(key, (None, Decimal(0)))
        buckets[key] = (value, Decimal(0)) if point.mode == "set" else (absolute, added + value)

    await _write(session, workspace_id, buckets)
    batch.status = BatchStatus.of_outcome(len(batch.points), len(rejected))
    batch.accepted_count = len(batch.points) - len(rejected)
    batch.rejected = rejected
    batch.applied_at = now
    await session.flush()
    return Outcome(True, batch.accepted_count, rejected)


def _check(
    point: Point | str,
    campaigns: dict[str, Campaign],
    channels: dict[str, Channel],
    attached: set[tuple[uuid.UUID, uuid.UUID]],
    metrics: dict[str, Metric],
    now: datetime,
) -> str | None:
    if isinstance(point, str):
        return point
    campaign = campaigns.get(point.campaign)
    if campaign is None:
        return f"unknown campaign '{point.campaign}'"
    closed_long_ago = campaign.completed_at is None or campaign.completed_at < now - LATE_WINDOW
    if campaign.status != CampaignStatus.active and (
        campaign.status != CampaignStatus.completed or closed_long_ago
    ):
        return f"campaign is {campaign.status.value}, not receiving data"
    channel = channels.get(point.channel)
    if channel is None:
        return f"unknown channel '{point.channel}'"
    if (campaign.id, channel.id) not in attached:
        return f"channel '{point.channel}' is not attached to the campaign"
    metric = metrics.get(point.metric)
    if metric is None:
        return f"unknown metric '{point.metric}'"
    if metric.formula is not None:
        return f"'{point.metric}' is derived ({metric.formula}); send its inputs"
    if _number(point.value) is None:
        return "value is not a finite number"
    return None


async def _write(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    buckets: dict[tuple[uuid.UUID, uuid.UUID, str, datetime], tuple[Decimal | None, Decimal]],
) -> None:
    def row(key: tuple[uuid.UUID, uuid.UUID, str, datetime], value: Decimal) -> dict[str, Any]:
        campaign_id, channel_id, metric_key, bucket = key
        return {
            "id": new_id(),
            "workspace_id": workspace_id,
            "campaign_id": campaign_id,
            "channel_id": channel_id,
            "metric_key": metric_key,
            "bucket": bucket,
            "value": value,
            "version": 1,
        }

    replaced = [
        row(k, absolute + added) for k, (absolute, added) in buckets.items() if absolute is not None
    ]
    increased = [row(k, added) for k, (absolute, added) in buckets.items() if absolute is None]
    target = ["campaign_id", "channel_id", "metric_key", "bucket"]
    if replaced:
        statement = insert(MetricPoint)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=target, set_={"value": statement.excluded.value}
            ),
            replaced,
        )
    if increased:
        statement = insert(MetricPoint)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=target, set_={"value": MetricPoint.value + statement.excluded.value}
            ),
            increased,
        )
