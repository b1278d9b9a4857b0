"""Reading figures back: series per period and channel, derived metrics from their parts.

A derived metric is evaluated per period from the aggregated inputs (the campaign's CTR
for a day is that day's clicks over that day's impressions, all channels together),
never as an average of ratios. Days, weeks and months are the campaign's local ones.
"""

import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, cast, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign
from shared.errors import FieldError, Invalid
from shared.figures.models import Channel, MetricDay, MetricPoint
from shared.metrics import formula as formulas
from shared.metrics.models import Aggregation, Metric

Granularity = Literal["hour", "day", "week", "month"]
MAX_HOURLY = timedelta(days=31)  # 744 hours x channels: a month of hours stays one answer


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


def _hourly(kind: Aggregation) -> tuple[Any, Any]:
    """(a combinable figure, the number of hourly values behind it) from the points."""
    value = MetricPoint.value
    figure: Any
    if kind == Aggregation.max:
        figure = func.max(value)
    elif kind == Aggregation.last:
        figure = func.array_agg(aggregate_order_by(value, MetricPoint.bucket.desc()))[1]
    else:  # sum, and the numerator of an average
        figure = func.sum(value)
    return figure, func.count()


def _daily(kind: Aggregation) -> tuple[Any, Any]:
    """The same from the day rollups."""
    figure: Any
    if kind == Aggregation.max:
        figure = func.max(MetricDay.maximum)
    elif kind == Aggregation.last:
        latest_first = aggregate_order_by(MetricDay.last_value, MetricDay.last_bucket.desc())
        figure = func.array_agg(latest_first)[1]
    else:
        figure = func.sum(MetricDay.total)
    return figure, func.sum(MetricDay.samples)


def _combine(kind: Aggregation, parts: list[tuple[Decimal, int]]) -> Decimal:
    """Channels' figures into one: sums add, maxima take the largest, averages weigh by
    the values behind them, and the latest values (a gauge such as followers) add up."""
    if kind == Aggregation.max:
        return max(figure for figure, _ in parts)
    if kind == Aggregation.average:
        return sum((f for f, _ in parts), Decimal(0)) / sum(n for _, n in parts)
    return sum((figure for figure, _ in parts), Decimal(0))


def _hourly_period(granularity: Granularity, zone: str) -> Any:
    if granularity == "hour":
        return func.date_trunc("hour", MetricPoint.bucket)
    local = func.timezone(zone, MetricPoint.bucket)  # a local wall-clock timestamp
    return func.timezone(zone, func.date_trunc(granularity, local))  # back to an instant


def _daily_period(granularity: Granularity, zone: str) -> Any:
    local = func.date_trunc(granularity, cast(MetricDay.day, DateTime))
    return func.timezone(zone, local)


def _local_midnight(moment: datetime | None, zone: ZoneInfo) -> bool:
    local = moment.astimezone(zone) if moment is not None else None
    return local is None or local.time() == time(0)


def base_keys(
    key: str, dictionary: dict[str, Metric], seen: frozenset[str] = frozenset()
) -> set[str]:
    metric = dictionary[key]
    if metric.formula is None:
        return {key}
    keys: set[str] = set()
    for ref in formulas.references(formulas.parse(metric.formula)):
        if ref.key not in seen:
            keys |= base_keys(ref.key, dictionary, seen | {key})
    return keys


Evaluator = Callable[[Mapping[str, Decimal | None]], Decimal | None]


def evaluator(
    key: str, dictionary: dict[str, Metric], seen: frozenset[str] = frozenset()
) -> Evaluator:
    """A function from base aggregates to the value of `key` (base or derived, derived of
    derived...), built once per read rather than walked again for every period."""
    metric = dictionary[key]
    if metric.formula is None or key in seen:
        return lambda base: base.get(key)
    expression = formulas.parse(metric.formula)
    inputs = {
        ref.key: evaluator(ref.key, dictionary, seen | {key})
        for ref in formulas.references(expression)
    }
    return lambda base: formulas.evaluate(expression, {k: f(base) for k, f in inputs.items()})


def _needs_hours(
    campaign: Campaign,
    granularity: Granularity | None,
    start: datetime | None,
    end: datetime | None,
) -> bool:
    """Whether the read comes from the hourly points rather than the day rollups."""
    zone = ZoneInfo(campaign.timezone)
    whole_days = _local_midnight(start, zone) and _local_midnight(end, zone)
    return granularity == "hour" or not whole_days


def _by_workspace_and_zone(campaigns: Sequence[Campaign]) -> list[list[Campaign]]:
    """Campaigns that one query can read together: same workspace, same local days."""
    groups: dict[tuple[uuid.UUID, str], list[Campaign]] = defaultdict(list)
    for campaign in campaigns:
        groups[(campaign.workspace_id, campaign.timezone)].append(campaign)
    return list(groups.values())


Aggregates = dict[tuple[str | None, datetime | None], dict[str, Decimal | None]]


async def _aggregates(
    session: AsyncSession,
    *,
    campaigns: Sequence[Campaign],
    dictionary: dict[str, Metric],
    keys: set[str],
    granularity: Granularity | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    channel: str | None = None,
) -> dict[uuid.UUID, Aggregates]:
    """Each campaign's base inputs of `keys`, aggregated per (channel or None for all,
    period or None); a campaign without figures has none.

    Whole local days are read from the daily rollups; hours, and windows that cut a day,
    from the hourly points. One query per aggregation kind among the inputs (usually
    one: sum) and grouping, for all the campaigns of one workspace and time zone: the
    minute sweep reads a chunk of campaigns' windows as cheaply as one campaign's.
    """
    inputs: set[str] = set()
    for key in keys:
        inputs |= base_keys(key, dictionary)
    kinds = {key: dictionary[key].aggregation for key in inputs}
    # (campaign, metric, channel, period) -> (figure, values behind it); totals are
    # combined here rather than queried again, so each aggregation kind costs one query.
    parts: dict[uuid.UUID, dict[tuple[str, str, datetime | None], tuple[Decimal, int]]]
    parts = defaultdict(dict)
    for group in _by_workspace_and_zone(campaigns):
        first = group[0]
        zone = ZoneInfo(first.timezone)
        by_day = not _needs_hours(first, granularity, start, end)
        table: Any = MetricDay if by_day else MetricPoint
        period_of, aggregate = (_daily_period, _daily) if by_day else (_hourly_period, _hourly)
        for kind in set(kinds.values()):
            groups: list[Any] = [table.campaign_id, table.metric_key, Channel.key.label("channel")]
            if granularity is not None:
                groups.append(period_of(granularity, first.timezone).label("period"))
            figure, samples = aggregate(kind)
            query = (
                select(*groups, figure.label("figure"), samples.label("samples"))
                .join(Channel, Channel.id == table.channel_id)
                .where(
                    table.workspace_id == first.workspace_id,
                    table.campaign_id.in_([c.id for c in group]),
                    table.metric_key.in_([k for k in inputs if kinds[k] == kind]),
                )
                .group_by(*groups)
            )
            if by_day:
                if start is not None:
                    query = query.where(MetricDay.day >= start.astimezone(zone).date())
                if end is not None:
                    query = query.where(MetricDay.day < end.astimezone(zone).date())
            else:
                if start is not None:
                    query = query.where(MetricPoint.bucket >= start)
                if end is not None:
                    query = query.where(MetricPoint.bucket < end)
            if channel is not None:
                query = query.where(Channel.key == channel)
            rows = await (await session.connection()).execute(query)  # Core: no ORM loading
            for campaign_id, metric_key, channel_key, *rest in rows:
                period = rest[0] if granularity is not None else None
                parts[campaign_id][(metric_key, channel_key, period)] = (rest[-2], int(rest[-1]))
    return {c.id: _combined(parts.get(c.id, {}), kinds) for c in campaigns}


def _combined(
    parts: dict[tuple[str, str, datetime | None], tuple[Decimal, int]],
    kinds: dict[str, Aggregation],
) -> Aggregates:
    result: Aggregates = {}
    across: dict[datetime | None, dict[str, list[tuple[Decimal, int]]]] = {}
    for (key, channel_key, period), (figure, samples) in parts.items():
        own = figure / samples if kinds[key] == Aggregation.average else figure
        result.setdefault((channel_key, period), {})[key] = own
        across.setdefault(period, {}).setdefault(key, []).append((figure, samples))
    for period, by_key in across.items():
        result[(None, period)] = {key: _combine(kinds[key], found) for key, found in by_key.items()}
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
    hourly_since: datetime | None = None,
) -> Series:
    """`hourly_since`: the oldest instant hourly points are kept for (shared/figures/
    retention.py); a read that needs hours from before it is refused, since what is left
    of them would be a partial answer. Whole local days come from the rollups, kept."""
    if metric_key not in dictionary:
        raise Invalid(
            "Unknown metric.",
            [FieldError("metric", f"'{metric_key}' is not in the dictionary", location="query")],
        )
    if granularity == "hour" and (start is None or end is None or end - start > MAX_HOURLY):
        raise Invalid(
            f"An hourly series covers at most {MAX_HOURLY.days} days: give from and to.",
            [
                FieldError(
                    "from" if start is None else "to",
                    f"hourly: from and to at most {MAX_HOURLY.days} days apart",
                    location="query",
                )
            ],
        )
    if (
        hourly_since is not None
        and (start is None or start < hourly_since)
        and _needs_hours(campaign, granularity, start, end)
    ):
        kept = hourly_since.isoformat(timespec="seconds")
        raise Invalid(
            f"Hourly figures are kept from {kept} on; before that, ask for whole local "
            "days (from and to at midnight), weeks or months.",
            [
                FieldError(
                    "from",
                    f"hours, and windows that cut a day, reach back to {kept} at most",
                    code="beyond_hourly_retention",
                    location="query",
                )
            ],
        )
    found = await series_of_campaigns(
        session,
        campaigns=[campaign],
        dictionary=dictionary,
        metric_key=metric_key,
        granularity=granularity,
        start=start,
        end=end,
        channel=channel,
    )
    return found[campaign.id]


async def series_of_campaigns(
    session: AsyncSession,
    *,
    campaigns: Sequence[Campaign],
    dictionary: dict[str, Metric],
    metric_key: str,
    granularity: Granularity,
    start: datetime | None = None,
    end: datetime | None = None,
    channel: str | None = None,
) -> dict[uuid.UUID, Series]:
    """`read_series` of several campaigns at once, unchecked: for the minute sweep, whose
    rules ask for series of known metrics over a few periods."""
    found = await _aggregates(
        session,
        campaigns=campaigns,
        dictionary=dictionary,
        keys={metric_key},
        granularity=granularity,
        start=start,
        end=end,
        channel=channel,
    )
    value_of = evaluator(metric_key, dictionary)
    return {
        campaign_id: _series(metric_key, granularity, inputs, value_of)
        for campaign_id, inputs in found.items()
    }


def _series(
    metric_key: str, granularity: Granularity, inputs: Aggregates, value_of: Evaluator
) -> Series:
    total: list[SeriesPoint] = []
    channels: dict[str, list[SeriesPoint]] = defaultdict(list)
    for (name, moment), base in sorted(inputs.items(), key=lambda i: (i[0][0] or "", i[0][1])):
        assert moment is not None
        point = SeriesPoint(moment, value_of(base))
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
    found = await totals_of_campaigns(
        session, campaigns=[campaign], dictionary=dictionary, keys=keys, start=start, end=end
    )
    return found[campaign.id]


async def totals_of_campaigns(
    session: AsyncSession,
    *,
    campaigns: Sequence[Campaign],
    dictionary: dict[str, Metric],
    keys: set[str],
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[uuid.UUID, dict[str | None, dict[str, Decimal | None]]]:
    """`window_totals` of several campaigns, read together."""
    known = {k for k in keys if k in dictionary}
    found = await _aggregates(
        session, campaigns=campaigns, dictionary=dictionary, keys=known, start=start, end=end
    )
    value_of = {key: evaluator(key, dictionary) for key in known}
    totals = {}
    for campaign_id, inputs in found.items():
        per_channel: dict[str | None, dict[str, Decimal | None]] = {None: {}}
        per_channel.update({name: base for (name, _), base in inputs.items()})
        totals[campaign_id] = {
            name: {key: value_of[key](base) if key in known else None for key in keys}
            for name, base in per_channel.items()
        }
    return totals


async def campaign_totals(
    session: AsyncSession, *, campaign: Campaign, dictionary: dict[str, Metric], keys: set[str]
) -> dict[str, Decimal | None]:
    """Each metric over the whole campaign, all channels: for goal progress."""
    totals = await window_totals(session, campaign=campaign, dictionary=dictionary, keys=keys)
    return totals[None]
