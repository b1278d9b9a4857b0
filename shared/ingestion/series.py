"""Reading figures back: series per period and channel, derived metrics from their parts.

A derived metric is evaluated per period from the aggregated inputs (the campaign's CTR
for a day is that day's clicks over that day's impressions, all channels together),
never as an average of ratios. Days, weeks and months are the campaign's local ones.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign
from shared.errors import FieldError, Invalid
from shared.ingestion.models import Channel, MetricPoint
from shared.metrics import formula as formulas
from shared.metrics.models import Aggregation, Metric

Granularity = Literal["hour", "day", "week", "month"]


@dataclass(frozen=True)
class SeriesPoint:
    period: datetime
    value: Decimal | None


@dataclass(frozen=True)
class Series:
    metric: str
    granularity: Granularity
    total: list[SeriesPoint]
    channels: dict[str, list[SeriesPoint]]


def _aggregate(kind: Aggregation, column: Any) -> Any:
    if kind == Aggregation.max:
        return func.max(column)
    if kind == Aggregation.average:
        return func.avg(column)
    if kind == Aggregation.last:
        return literal_column(
            "(array_agg(metric_points.value ORDER BY metric_points.bucket DESC))[1]"
        )
    return func.sum(column)


def _period(granularity: Granularity, zone: str) -> Any:
    if granularity == "hour":
        return func.date_trunc("hour", MetricPoint.bucket)
    local = func.timezone(zone, MetricPoint.bucket)  # a local wall-clock timestamp
    return func.timezone(zone, func.date_trunc(granularity, local))  # back to an instant


def _base_keys(
    key: str, dictionary: dict[str, Metric], seen: frozenset[str] = frozenset()
) -> set[str]:
    metric = dictionary[key]
    if metric.formula is None:
        return {key}
    keys: set[str] = set()
    for ref in formulas.references(formulas.parse(metric.formula)):
        if ref.key not in seen:
            keys |= _base_keys(ref.key, dictionary, seen | {key})
    return keys


def evaluate(
    key: str, dictionary: dict[str, Metric], base: dict[str, Decimal | None]
) -> Decimal | None:
    """The value of `key` (base or derived, derived of derived...) from base aggregates."""
    metric = dictionary[key]
    if metric.formula is None:
        return base.get(key)
    expression = formulas.parse(metric.formula)
    inputs = {
        ref.key: evaluate(ref.key, dictionary, base) for ref in formulas.references(expression)
    }
    return formulas.evaluate(expression, inputs)


async def _aggregates(
    session: AsyncSession,
    *,
    campaign: Campaign,
    dictionary: dict[str, Metric],
    keys: set[str],
    period: Any = None,
    start: datetime | None = None,
    end: datetime | None = None,
    channel: str | None = None,
) -> dict[tuple[str | None, datetime | None], dict[str, Decimal | None]]:
    """The base inputs of `keys`, aggregated per (channel or None for all, period or None).

    One query per aggregation kind among the inputs (usually one: sum) and grouping.
    """
    base_keys: set[str] = set()
    for key in keys:
        base_keys |= _base_keys(key, dictionary)
    result: dict[tuple[str | None, datetime | None], dict[str, Decimal | None]] = defaultdict(dict)
    for kind in {dictionary[k].aggregation for k in base_keys}:
        wanted = [k for k in base_keys if dictionary[k].aggregation == kind]
        for per_channel in (False, True):
            groups: list[Any] = [MetricPoint.metric_key]
            groups += [period.label("period")] if period is not None else []
            groups += [Channel.key.label("channel")] if per_channel else []
            query = (
                select(*groups, _aggregate(kind, MetricPoint.value).label("value"))
                .join(Channel, Channel.id == MetricPoint.channel_id)
                .where(
                    MetricPoint.workspace_id == campaign.workspace_id,
                    MetricPoint.campaign_id == campaign.id,
                    MetricPoint.metric_key.in_(wanted),
                )
                .group_by(*groups)
            )
            if start is not None:
                query = query.where(MetricPoint.bucket >= start)
            if end is not None:
                query = query.where(MetricPoint.bucket < end)
            if channel is not None:
                query = query.where(Channel.key == channel)
            for row in (await session.execute(query)).mappings():
                group = (
                    row["channel"] if per_channel else None,
                    row["period"] if period is not None else None,
                )
                result[group][row["metric_key"]] = row["value"]
    return result


async def read_series(
    session: AsyncSession,
    *,
    campaign: Campaign,
    dictionary: dict[str, Metric],
    metric_key: str,
    granularity: Granularity,
    start: datetime | None = None,
    end: datetime | None = None,
    channel: str | None = None,
) -> Series:
    if metric_key not in dictionary:
        raise Invalid(
            "Unknown metric.",
            [FieldError("metric", f"'{metric_key}' is not in the dictionary", location="query")],
        )
    inputs = await _aggregates(
        session,
        campaign=campaign,
        dictionary=dictionary,
        keys={metric_key},
        period=_period(granularity, campaign.timezone),
        start=start,
        end=end,
        channel=channel,
    )
    total: list[SeriesPoint] = []
    channels: dict[str, list[SeriesPoint]] = defaultdict(list)
    for (name, moment), base in sorted(inputs.items(), key=lambda i: (i[0][0] or "", i[0][1])):
        assert moment is not None
        point = SeriesPoint(moment, evaluate(metric_key, dictionary, base))
        (total if name is None else channels[name]).append(point)
    return Series(metric_key, granularity, total, dict(channels))


async def window_totals(
    session: AsyncSession,
    *,
    campaign: Campaign,
    dictionary: dict[str, Metric],
    keys: set[str],
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str | None, dict[str, Decimal | None]]:
    """Each metric over [start, end): for all channels (key None) and per channel key."""
    known = {k for k in keys if k in dictionary}
    inputs = await _aggregates(
        session, campaign=campaign, dictionary=dictionary, keys=known, start=start, end=end
    )
    per_channel: dict[str | None, dict[str, Decimal | None]] = {None: {}}
    per_channel.update({name: base for (name, _), base in inputs.items()})
    return {
        name: {key: evaluate(key, dictionary, base) if key in known else None for key in keys}
        for name, base in per_channel.items()
    }


async def campaign_totals(
    session: AsyncSession, *, campaign: Campaign, dictionary: dict[str, Metric], keys: set[str]
) -> dict[str, Decimal | None]:
    """Each metric over the whole campaign, all channels: for goal progress."""
    totals = await window_totals(session, campaign=campaign, dictionary=dictionary, keys=keys)
    return totals[None]
