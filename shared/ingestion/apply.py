"""Applying a received batch (by the worker, or at once for a manual entry): exactly once,
all accepted points or none.

The batch row is locked and its status flipped in the same transaction as the figures,
so a job that runs twice, or a worker killed halfway, never applies a batch twice.
Points that cannot apply are rejected one by one with a reason; the rest apply.
"""

import contextlib
import datetime as dt
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
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
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign, CampaignStatus
from shared.figures import store
from shared.figures.models import CampaignChannel, Channel
from shared.figures.store import HIGHEST, LARGEST, MICRO, Accepted, Key
from shared.ingestion.models import BatchStatus, IngestBatch
from shared.metrics.models import Metric

LATE_WINDOW = timedelta(days=30)
NOT_A_NUMBER = "value is not a finite number"
TOO_LARGE = f"value is beyond what a figure holds (\u00b1{HIGHEST})"
WHOLE_LIMIT = int(LARGEST)


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


def _number(value: Any) -> Decimal | str:
    """The value as the column stores it (6 decimals, halves away from zero, as PostgreSQL
    rounds), or why it cannot be stored."""
    if type(value) is int:  # the usual value: whole, nothing to round
        return Decimal(value) if abs(value) < WHOLE_LIMIT else TOO_LARGE
    if not isinstance(value, float | str):  # bool, null, list...
        return NOT_A_NUMBER
    try:
        number = Decimal(value if isinstance(value, str) else repr(value))
    except InvalidOperation:
        return NOT_A_NUMBER
    if not number.is_finite():
        return NOT_A_NUMBER
    if abs(number) >= LARGEST:  # checked first: quantize cannot hold more digits
        return TOO_LARGE
    stored = number.quantize(MICRO, rounding=ROUND_HALF_UP)
    return stored if abs(stored) <= HIGHEST else TOO_LARGE


async def apply_batch(session: AsyncSession, *, batch_id: uuid.UUID, now: datetime) -> Outcome:
    """Apply the batch. The outcome's `touched` names the figures it changed; the caller
    has the rules reading them look again, now (the worker, in this transaction) or
    after the commit (a request), as suits it."""
    batch = await session.scalar(
        select(IngestBatch).where(IngestBatch.id == batch_id).with_for_update()
    )
    if batch is None:
        return Outcome(False, 0, [])
    if batch.status != BatchStatus.received:  # a second run of the job: nothing to do
        return Outcome(False, batch.accepted_count or 0, [])
    workspace_id = batch.workspace_id

    points: list[Any] = batch.points or []  # a waiting batch is never pruned
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
    accepted: list[Accepted] = []
    for index, raw in enumerate(points):
        outcome = context.resolve(raw)
        value = _number(raw.get("value")) if isinstance(raw, dict) else NOT_A_NUMBER
        if isinstance(outcome, str) or isinstance(value, str):
            reason = outcome if isinstance(outcome, str) else value
            rejected.append({"index": index, "reason": reason})
            continue
        accepted.append(Accepted(index, outcome[0], outcome[1], value))

    zones = {c.id: ZoneInfo(c.timezone) for c in campaigns}
    overflowing = await store.write(session, workspace_id, accepted, zones)
    if overflowing:
        rejected = sorted(rejected + overflowing, key=lambda r: int(r["index"]))
        refused = {r["index"] for r in overflowing}
        accepted = [a for a in accepted if a.position not in refused]
    touched: dict[uuid.UUID, set[str]] = {}
    for campaign_id, _, metric_key, _ in {a.key for a in accepted}:
        touched.setdefault(campaign_id, set()).add(metric_key)
    batch.status = BatchStatus.of_outcome(len(points), len(rejected))
    batch.accepted_count = len(points) - len(rejected)
    batch.attempts += 1
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
