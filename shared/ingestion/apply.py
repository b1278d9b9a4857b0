"""Applying a received batch (worker side): exactly once, all accepted points or none.

The batch row is locked and its status flipped in the same transaction as the figures,
so a job that runs twice, or a worker killed halfway, never applies a batch twice.
Points that cannot apply are rejected one by one with a reason; the rest apply.
"""

import contextlib
import datetime as dt
import functools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from sqlalchemy import or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared import jobs
from shared.campaigns.models import Campaign, CampaignStatus
from shared.ingestion.models import (
    BatchStatus,
    CampaignChannel,
    Channel,
    IngestBatch,
)
from shared.metrics.models import Metric

LATE_WINDOW = timedelta(days=30)
WATCH_JOB = "watch_campaign"  # services/worker/jobs/alerts.py
Key = tuple[uuid.UUID, uuid.UUID, str, datetime]  # campaign, channel, metric, hour
DayKey = tuple[uuid.UUID, str, uuid.UUID, dt.date]  # campaign, metric, channel, local day


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
    touched: dict[uuid.UUID, set[str]] = field(default_factory=dict)  # campaign -> metrics


def _reason(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "point"
    return f"invalid {where}: {first['msg']}"


LARGEST = Decimal(10) ** 18  # NUMERIC(24, 6) holds 18 digits before the point


def _number(value: Any) -> Decimal | None:
    if type(value) is int:
        number = Decimal(value)
    elif isinstance(value, float | str) and not isinstance(value, bool):
        try:
            number = Decimal(value if isinstance(value, str) else repr(value))
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() and abs(number) < LARGEST else None


async def apply_batch(
    session: AsyncSession, *, batch_id: uuid.UUID, now: datetime, watch_later: bool = True
) -> Outcome:
    """Apply the batch. With `watch_later`, the rules reading the touched figures are
    queued to look again after the commit; without, the caller evaluates them itself
    (the worker does, in the same transaction: one hop less before an alert)."""
    batch = await session.scalar(
        select(IngestBatch).where(IngestBatch.id == batch_id).with_for_update()
    )
    if batch is None:
        return Outcome(False, 0, [])
    if batch.status != BatchStatus.received:  # a second run of the job: nothing to do
        return Outcome(False, batch.accepted_count or 0, [])
    workspace_id = batch.workspace_id

    points: list[Any] = batch.points
    names = {
        p["campaign"] for p in points if isinstance(p, dict) and isinstance(p.get("campaign"), str)
    }
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
    context = _Context(
        campaigns={str(c.id): c for c in campaigns}
        | {c.registration_number: c for c in campaigns if c.registration_number},
        channels={
            c.key: c
            for c in await session.scalars(
                select(Channel).where(Channel.workspace_id == workspace_id)
            )
        },
        attached={
            (link.campaign_id, link.channel_id)
            for link in await session.scalars(
                select(CampaignChannel).where(
                    CampaignChannel.campaign_id.in_([c.id for c in campaigns])
                )
            )
        },
        metrics={
            m.key: m
            for m in await session.scalars(
                select(Metric).where(Metric.workspace_id == workspace_id)
            )
        },
        now=now,
    )

    rejected: list[dict[str, Any]] = []
    # Per bucket, in batch order: the last `set` (if any) and the increments after it.
    buckets: dict[Key, tuple[Decimal | None, Decimal]] = {}
    for index, raw in enumerate(points):
        outcome = context.resolve(raw)
        value = _number(raw.get("value")) if isinstance(raw, dict) else None
        if isinstance(outcome, str) or value is None:
            reason = outcome if isinstance(outcome, str) else "value is not a finite number"
            rejected.append({"index": index, "reason": reason})
            continue
        key, replaces = outcome
        absolute, added = buckets.get(key, (None, Decimal(0)))
        buckets[key] = (value, Decimal(0)) if replaces else (absolute, added + value)

    zones = {c.id: ZoneInfo(c.timezone) for c in campaigns}
    await _write(session, workspace_id, buckets, zones)
    touched: dict[uuid.UUID, set[str]] = {}
    for campaign_id, _, metric_key, _ in buckets:
        touched.setdefault(campaign_id, set()).add(metric_key)
    for campaign_id, metric_keys in touched.items():
        # The rules reading these figures look again once they are committed.
        jobs.enqueue(session, WATCH_JOB, campaign_id=str(campaign_id), metrics=sorted(metric_keys))
    batch.status = BatchStatus.of_outcome(len(points), len(rejected))
    batch.accepted_count = len(points) - len(rejected)
    batch.rejected = rejected
    batch.applied_at = now
    await session.flush()
    return Outcome(True, batch.accepted_count, rejected, touched)


FIELDS = frozenset(Point.model_fields)
MODES = {None: True, "set": True, "increment": False}  # replaces the bucket's value?
MOMENT = TypeAdapter(AwareDatetime)
DAY = TypeAdapter(dt.date)


@dataclass
class _Context:
    """What a batch's points are checked against: the workspace's campaigns, channels
    and dictionary as they are now.

    A batch names few campaign/channel/metric targets and few hours across many points:
    each target and each time is checked once. Unusual points (a missing field, a wrong
    type) go through the Point model, for its error message.
    """

    campaigns: dict[str, Campaign]
    channels: dict[str, Channel]
    attached: set[tuple[uuid.UUID, uuid.UUID]]
    metrics: dict[str, Metric]
    now: datetime
    targets: dict[tuple[str, str, str], tuple[uuid.UUID, uuid.UUID, ZoneInfo] | str] = field(
        default_factory=dict
    )
    buckets: dict[tuple[uuid.UUID, str | None, str | None], datetime | str] = field(
        default_factory=dict
    )

    def resolve(self, raw: Any) -> tuple[Key, bool] | str:
        """The point's bucket key and whether it replaces (set), or why it cannot apply."""
        if not isinstance(raw, dict) or not raw.keys() <= FIELDS or "value" not in raw:
            return self._unusual(raw)
        campaign, channel, metric = raw.get("campaign"), raw.get("channel"), raw.get("metric")
        ts, day, mode = raw.get("ts"), raw.get("date"), raw.get("mode")
        if (
            not (isinstance(campaign, str) and isinstance(channel, str) and isinstance(metric, str))
            or (ts is None) == (day is None)
            or not isinstance(ts or day, str)
            or mode not in MODES
        ):
            return self._unusual(raw)
        target = self.targets.get((campaign, channel, metric))
        if target is None:
            target = self.targets[(campaign, channel, metric)] = self._target(
                campaign, channel, metric
            )
        if isinstance(target, str):
            return target
        campaign_id, channel_id, zone = target
        bucket = self.buckets.get((campaign_id, ts, day))
        if bucket is None:
            bucket = self.buckets[(campaign_id, ts, day)] = self._bucket(ts, day, zone)
        if isinstance(bucket, str):
            return bucket
        return (campaign_id, channel_id, metric, bucket), MODES[mode]

    def _unusual(self, raw: Any) -> tuple[Key, bool] | str:
        try:
            point = Point.model_validate(raw)
        except ValidationError as exc:
            return _reason(exc)
        return self.resolve(point.model_dump(mode="json", exclude_none=True))

    def _target(
        self, name: str, channel_key: str, metric_key: str
    ) -> tuple[uuid.UUID, uuid.UUID, ZoneInfo] | str:
        campaign = self.campaigns.get(name)
        if campaign is None:
            return f"unknown campaign '{name}'"
        closed_long_ago = (
            campaign.completed_at is None or campaign.completed_at < self.now - LATE_WINDOW
        )
        if campaign.status != CampaignStatus.active and (
            campaign.status != CampaignStatus.completed or closed_long_ago
        ):
            return f"campaign is {campaign.status.value}, not receiving data"
        channel = self.channels.get(channel_key)
        if channel is None:
            return f"unknown channel '{channel_key}'"
        if (campaign.id, channel.id) not in self.attached:
            return f"channel '{channel_key}' is not attached to the campaign"
        metric = self.metrics.get(metric_key)
        if metric is None:
            return f"unknown metric '{metric_key}'"
        if metric.formula is not None:
            return f"'{metric_key}' is derived ({metric.formula}); send its inputs"
        return campaign.id, channel.id, ZoneInfo(campaign.timezone)

    def _bucket(self, ts: str | None, day: str | None, zone: ZoneInfo) -> datetime | str:
        """The UTC start of the point's hour; a date means that day's midnight, local time."""
        try:
            if ts is not None:
                moment = MOMENT.validate_python(ts).astimezone(UTC)
            else:
                midnight = datetime.combine(DAY.validate_python(day), time(0), tzinfo=zone)
                moment = midnight.astimezone(UTC)
        except ValidationError as exc:
            first = exc.errors()[0]
            return f"invalid {'ts' if ts is not None else 'date'}: {first['msg']}"
        bucket = moment.replace(minute=0, second=0, microsecond=0)
        if bucket < self.now - LATE_WINDOW:
            return f"older than the late-data window ({LATE_WINDOW.days} days)"
        if bucket > self.now + timedelta(hours=1):
            return "in the future"
        return bucket


# Every statement takes its rows in key order, so that concurrent batches lock in the
# same order and cannot deadlock. The day rows are locked first: a batch that recomputes
# a day after another batch's commit then sees that batch's points (READ COMMITTED gives
# each statement a fresh snapshot), and no day total is computed from a stale view.
LOCK_DAYS = text(
    """
    INSERT INTO metric_days AS d (campaign_id, metric_key, channel_id, day, workspace_id,
                                  total, samples, maximum, last_value, last_bucket)
    SELECT k.campaign_id, k.metric_key, k.channel_id, k.day, :workspace_id, 0, 0, 0, 0, k.starts
    FROM unnest(CAST(:campaigns AS uuid[]), CAST(:metrics AS text[]),
                CAST(:channels AS uuid[]), CAST(:days AS date[]), CAST(:starts AS timestamptz[]))
         AS k(campaign_id, metric_key, channel_id, day, starts)
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (campaign_id, metric_key, channel_id, day) DO UPDATE SET samples = d.samples
    """
)
WRITE_POINTS = """
    INSERT INTO metric_points AS p (campaign_id, metric_key, channel_id, bucket, workspace_id,
                                    value, updated_at)
    SELECT k.campaign_id, k.metric_key, k.channel_id, k.bucket, :workspace_id, k.value, now()
    FROM unnest(CAST(:campaigns AS uuid[]), CAST(:metrics AS text[]),
                CAST(:channels AS uuid[]), CAST(:buckets AS timestamptz[]),
                CAST(:values AS numeric[]))
         AS k(campaign_id, metric_key, channel_id, bucket, value)
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (campaign_id, metric_key, channel_id, bucket) DO UPDATE
    SET value = {value}, updated_at = now()
    """
REPLACE_POINTS = text(WRITE_POINTS.format(value="excluded.value"))
ADD_TO_POINTS = text(WRITE_POINTS.format(value="p.value + excluded.value"))
RECOMPUTE_DAYS = text(
    """
    UPDATE metric_days d
    SET total = a.total, samples = a.samples, maximum = a.maximum,
        last_value = a.last_value, last_bucket = a.last_bucket
    FROM (
        SELECT k.campaign_id, k.metric_key, k.channel_id, k.day,
               sum(p.value) AS total, count(*) AS samples, max(p.value) AS maximum,
               (array_agg(p.value ORDER BY p.bucket DESC))[1] AS last_value,
               max(p.bucket) AS last_bucket
        FROM unnest(CAST(:campaigns AS uuid[]), CAST(:metrics AS text[]),
                    CAST(:channels AS uuid[]), CAST(:days AS date[]),
                    CAST(:starts AS timestamptz[]), CAST(:ends AS timestamptz[]))
             AS k(campaign_id, metric_key, channel_id, day, starts, ends)
        JOIN metric_points p
          ON p.campaign_id = k.campaign_id AND p.metric_key = k.metric_key
         AND p.channel_id = k.channel_id AND p.bucket >= k.starts AND p.bucket < k.ends
        GROUP BY 1, 2, 3, 4
    ) a
    WHERE d.campaign_id = a.campaign_id AND d.metric_key = a.metric_key
      AND d.channel_id = a.channel_id AND d.day = a.day
    """
)


@functools.lru_cache(maxsize=4096)
def _local_day(bucket: datetime, zone: ZoneInfo) -> tuple[dt.date, datetime, datetime]:
    """The campaign-local day holding `bucket`, and its start and end instants."""
    day = bucket.astimezone(zone).date()
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return day, start, end


async def _write(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    buckets: dict[Key, tuple[Decimal | None, Decimal]],
    zones: dict[uuid.UUID, ZoneInfo],
) -> None:
    """Write the points and keep their days' rollups, in this transaction."""
    if not buckets:
        return
    days: dict[DayKey, tuple[datetime, datetime]] = {}
    for campaign_id, channel_id, metric_key, bucket in buckets:
        day, start, end = _local_day(bucket, zones[campaign_id])
        days[(campaign_id, metric_key, channel_id, day)] = (start, end)
    day_columns = {
        "campaigns": [k[0] for k in days],
        "metrics": [k[1] for k in days],
        "channels": [k[2] for k in days],
        "days": [k[3] for k in days],
        "starts": [start for start, _ in days.values()],
    }
    await session.execute(LOCK_DAYS, {"workspace_id": workspace_id, **day_columns})

    for statement, rows in (
        (REPLACE_POINTS, [(k, a + d) for k, (a, d) in buckets.items() if a is not None]),
        (ADD_TO_POINTS, [(k, d) for k, (a, d) in buckets.items() if a is None]),
    ):
        if rows:
            await session.execute(
                statement,
                {
                    "workspace_id": workspace_id,
                    "campaigns": [k[0] for k, _ in rows],
                    "channels": [k[1] for k, _ in rows],
                    "metrics": [k[2] for k, _ in rows],
                    "buckets": [k[3] for k, _ in rows],
                    "values": [value for _, value in rows],
                },
            )
    await session.execute(
        RECOMPUTE_DAYS, {**day_columns, "ends": [end for _, end in days.values()]}
    )
