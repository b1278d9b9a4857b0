"""Evaluating a rule on one campaign: a finding per subject (the total, a channel, a task).

Read-only: it looks at figures, goals, tasks and budget, and never writes. What findings
do to alerts is `shared.alerts.state`; a preview shows them as they are.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns import plan
from shared.campaigns.models import BudgetLine, Campaign, Direction, Expense, TargetKind
from shared.figures import series
from shared.figures.channels import campaign_channels
from shared.figures.models import Channel, MetricPoint
from shared.figures.progress import expected_to_date
from shared.metrics.models import Aggregation, Metric
from shared.rules import conditions as c
from shared.rules.models import Rule
from shared.tasks.models import Task, TaskStatus

State = Literal["breached", "clear", "insufficient", "inhibited"]
TOTAL = ""  # the subject of a finding on the campaign as a whole
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Finding:
    subject: str  # TOTAL, a channel key, or a task id
    state: State
    value: Decimal | None = None
    threshold: Decimal | None = None
    message: str = ""
    channel: str | None = None
    task_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Context:
    """One campaign at one moment. The rules evaluated together share their reads:
    `wanted` (every metric they read) is fetched once per window for all of them."""

    campaign: Campaign
    dictionary: dict[str, Metric]
    now: datetime
    wanted: frozenset[str] = frozenset()
    cache: dict[object, Any] = field(default_factory=dict, compare=False)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.campaign.timezone)

    def midnight(self, days_ago: int = 0) -> datetime:
        today = self.campaign.local_date(self.now) - timedelta(days=days_ago)
        return datetime.combine(today, time(0), tzinfo=self.zone)


def wanted_metrics(
    rules: Iterable[tuple[Rule, c.Params]], dictionary: dict[str, Metric]
) -> frozenset[str]:
    """Every metric these rules read: their windows are read once for all of them."""
    wanted = set()
    for rule, params in rules:
        wanted |= {k for k in params.metrics() if k in dictionary}
        if rule.min_sample_metric in dictionary:
            wanted.add(rule.min_sample_metric)
    return frozenset(wanted)


@dataclass(frozen=True)
class SeriesRead:
    """A series a change rule compares periods of; also its key in `Context.cache`."""

    metric: str
    period: Literal["hour", "day"]
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Reads:
    """The figures a campaign's rules will read at one moment: the starts of the windows
    they total (None: since the beginning) and the series they compare. The minute sweep
    reads them for a chunk of campaigns at once and puts them in each `Context.cache`."""

    windows: frozenset[datetime | None]
    series: frozenset[SeriesRead]


def planned_reads(rules: Iterable[tuple[Rule, c.Params]], context: Context) -> Reads:
    windows: set[datetime | None] = set()
    reads: set[SeriesRead] = set()
    for _, params in rules:
        if params.metrics() - set(context.dictionary):
            continue  # a metric gone from the dictionary: the rule reads nothing
        if isinstance(params, c.Threshold):
            windows.add(_threshold_start(params, context))
        elif isinstance(params, c.BelowTarget):
            windows.add(None)
        elif isinstance(params, c.Change):
            reads.add(_series_read(params, context))
    return Reads(frozenset(windows), frozenset(reads))


async def evaluate(
    session: AsyncSession, rule: Rule, params: c.Params, context: Context
) -> list[Finding]:
    if isinstance(params, c.Threshold):
        return await _threshold(session, rule, params, context)
    if isinstance(params, c.BelowTarget):
        return await _below_target(session, rule, params, context)
    if isinstance(params, c.Change):
        return await _change(session, rule, params, context)
    if isinstance(params, c.NoData):
        return await _no_data(session, rule, params, context)
    if isinstance(params, c.TaskOverdue):
        return await _task_overdue(session, params, context)
    assert isinstance(params, c.BudgetBurn)
    return await _budget_burn(session, params, context)


def _subjects(rule: Rule, names: set[str | None]) -> list[tuple[str, str | None]]:
    """(subject, channel) pairs: the total, or each channel."""
    if not rule.per_channel:
        return [(TOTAL, None)]
    return [(name, name) for name in sorted(n for n in names if n is not None)]


async def _channels(session: AsyncSession, rule: Rule, context: Context) -> set[str | None]:
    if not rule.per_channel:
        return {None}
    if "channels" not in context.cache:
        context.cache["channels"] = {
            ch.key for ch in await campaign_channels(session, context.campaign)
        }
    return set(context.cache["channels"])


def _sample_ok(rule: Rule, figures: dict[str, Decimal | None]) -> bool:
    if rule.min_sample_metric is None or rule.min_sample_count is None:
        return True
    return (figures.get(rule.min_sample_metric) or 0) >= rule.min_sample_count


def _counted(metric: Metric, value: Decimal | None) -> Decimal | None:
    """No points of a summed base metric is zero of it; of anything else, unknown."""
    if value is None and metric.formula is None and metric.aggregation == Aggregation.sum:
        return Decimal(0)
    return value


async def _window(
    session: AsyncSession, rule: Rule, keys: set[str], context: Context, start: datetime | None
) -> dict[str | None, dict[str, Decimal | None]]:
    if rule.min_sample_metric:
        keys = keys | {rule.min_sample_metric}
    cached = context.cache.get(("totals", start))
    if cached is None or not keys <= cached[0]:
        wanted = keys | context.wanted
        totals = await series.window_totals(
            session,
            campaign=context.campaign,
            dictionary=context.dictionary,
            keys=set(wanted),
            start=start,
        )
        cached = context.cache[("totals", start)] = (wanted, totals)
    found: dict[str | None, dict[str, Decimal | None]] = cached[1]
    return found


def _threshold_start(params: c.Threshold, context: Context) -> datetime:
    if params.window == "today":
        return context.midnight()
    return context.now - timedelta(hours=params.hours)


async def _threshold(
    session: AsyncSession, rule: Rule, params: c.Threshold, context: Context
) -> list[Finding]:
    start = _threshold_start(params, context)
    totals = await _window(session, rule, {params.metric}, context, start)
    metric = context.dictionary[params.metric]
    compare = {
        ">": Decimal.__gt__,
        ">=": Decimal.__ge__,
        "<": Decimal.__lt__,
        "<=": Decimal.__le__,
    }[params.op]
    window = "today" if params.window == "today" else f"over the last {params.hours} h"
    findings = []
    names = await _channels(session, rule, context) | set(totals)
    for subject, channel in _subjects(rule, names):
        figures = totals.get(channel, {})
        value = _counted(metric, figures.get(params.metric))
        if value is None or not _sample_ok(rule, figures):
            findings.append(Finding(subject, "insufficient", value, params.value, channel=channel))
            continue
        breached = bool(compare(value, params.value))
        message = f"{params.metric} {window}: {value.normalize():f} {params.op} {params.value}"
        findings.append(
            Finding(
                subject,
                "breached" if breached else "clear",
                value,
                params.value,
                message if breached else "",
                channel,
            )
        )
    return findings


async def _below_target(
    session: AsyncSession, rule: Rule, params: c.BelowTarget, context: Context
) -> list[Finding]:
    if "goals" not in context.cache:
        context.cache["goals"] = await plan.all_items(
            session, plan.GOALS, campaign=context.campaign
        )
    goals = [
        g
        for g in context.cache["goals"]
        if g.metric_key == params.metric and g.target_value is not None
    ]
    if not goals:
        return [Finding(TOTAL, "insufficient", message=f"no goal measures {params.metric}")]
    goal = goals[0]
    totals = await _window(session, rule, {params.metric}, context, None)
    metric = context.dictionary[params.metric]
    reference: Decimal | None = goal.target_value
    if params.basis == "expected_to_date":
        reference = expected_to_date(
            goal, context.campaign, metric, context.campaign.local_date(context.now)
        )
    lower_is_better = goal.direction == Direction.lower_is_better
    share = params.percent / HUNDRED
    findings = []
    names = await _channels(session, rule, context) | set(totals)
    for subject, channel in _subjects(rule, names):
        figures = totals.get(channel, {})
        actual = _counted(metric, figures.get(params.metric))
        if goal.target_kind == TargetKind.relative_lift and actual is not None:
            baseline = goal.baseline_value
            actual = (actual - baseline) / baseline * HUNDRED if baseline else None
        if actual is None or not reference or reference < 0 or not _sample_ok(rule, figures):
            findings.append(Finding(subject, "insufficient", actual, reference, channel=channel))
            continue
        shortfall = (actual - reference if lower_is_better else reference - actual) / reference
        boundary = reference * (1 + share if lower_is_better else 1 - share)
        breached = shortfall >= share
        message = (
            f"{params.metric} {actual.normalize():f} is {(shortfall * HUNDRED).normalize():f}% "
            f"{'over' if lower_is_better else 'under'} its "
            f"{'expected value to date' if params.basis == 'expected_to_date' else 'target'} "
            f"{reference.normalize():f}"
        )
        findings.append(
            Finding(
                subject,
                "breached" if breached else "clear",
                actual,
                boundary,
                message if breached else "",
                channel,
            )
        )
    return findings


def _periods_before(params: c.Change) -> int:
    return params.periods if params.against == "trailing_mean" else 1


def _series_read(params: c.Change, context: Context) -> SeriesRead:
    """The last whole period and the ones it is compared with."""
    before = _periods_before(params)
    if params.period == "day":
        return SeriesRead(params.metric, "day", context.midnight(before + 1), context.midnight())
    end = context.now.replace(minute=0, second=0, microsecond=0)
    return SeriesRead(params.metric, "hour", end - timedelta(hours=before + 1), end)


async def _change(
    session: AsyncSession, rule: Rule, params: c.Change, context: Context
) -> list[Finding]:
    wanted = _series_read(params, context)
    before = _periods_before(params)
    end = wanted.end
    step = timedelta(days=1) if params.period == "day" else timedelta(hours=1)
    read = context.cache.get(wanted)
    if read is None:
        read = await series.read_series(
            session,
            campaign=context.campaign,
            dictionary=context.dictionary,
            metric_key=params.metric,
            granularity=params.period,
            start=wanted.start,
            end=end,
        )
    findings = []
    names = await _channels(session, rule, context) | set(read.channels)
    for subject, channel in _subjects(rule, names):
        points = read.total if channel is None else read.channels.get(channel, [])
        by_period = {p.period: p.value for p in points}
        current = by_period.get(end - step)
        earlier = [by_period.get(end - step * (i + 2)) for i in range(before)]
        known = [v for v in earlier if v is not None]
        reference = sum(known, Decimal(0)) / len(known) if known else None
        if current is None or not reference:
            findings.append(Finding(subject, "insufficient", current, reference, channel=channel))
            continue
        change = (current - reference) / reference
        share = params.percent / HUNDRED
        breached = {
            "drop": -change >= share,
            "rise": change >= share,
            "any": abs(change) >= share,
        }[params.direction]
        message = (
            f"{params.metric} {current.normalize():f} against {reference.normalize():f}: "
            f"{(change * HUNDRED).quantize(Decimal('0.01'))}%"
        )
        findings.append(
            Finding(
                subject,
                "breached" if breached else "clear",
                current,
                reference,
                message if breached else "",
                channel,
            )
        )
    return findings


async def _no_data(
    session: AsyncSession, rule: Rule, params: c.NoData, context: Context
) -> list[Finding]:
    latest = context.cache.get(("latest", params.metric))
    if latest is None:
        latest = dict(
            (
                await session.execute(
                    select(Channel.key, func.max(MetricPoint.bucket))
                    .join(Channel, Channel.id == MetricPoint.channel_id)
                    .where(
                        MetricPoint.campaign_id == context.campaign.id,
                        MetricPoint.metric_key == params.metric,
                    )
                    .group_by(Channel.key)
                )
            ).all()
        )
    since: datetime | None
    if params.within_hours is not None:
        since = context.now - timedelta(hours=params.within_hours)
        expectation = f"in the last {params.within_hours} h"
    else:
        assert params.by_local_time is not None
        # Before the collection time nothing is expected yet; after it, today's figures.
        early = context.now.astimezone(context.zone).time() < params.by_local_time
        since = None if early else context.midnight()
        expectation = f"today by {params.by_local_time.strftime('%H:%M')}"
    findings = []
    names: set[str | None] = await _channels(session, rule, context)
    for subject, channel in _subjects(rule, names | set(latest)):
        seen = max(latest.values(), default=None) if channel is None else latest.get(channel)
        breached = since is not None and (seen is None or seen < since)
        where = f" on {channel}" if channel else ""
        message = f"no {params.metric}{where} {expectation}" if breached else ""
        findings.append(
            Finding(subject, "breached" if breached else "clear", message=message, channel=channel)
        )
    return findings


async def _task_overdue(
    session: AsyncSession, params: c.TaskOverdue, context: Context
) -> list[Finding]:
    cutoff = context.campaign.local_date(context.now) - timedelta(days=params.grace_days)
    if "tasks" not in context.cache:
        context.cache["tasks"] = list(
            await session.scalars(
                select(Task).where(
                    Task.campaign_id == context.campaign.id, Task.planned_end.is_not(None)
                )
            )
        )
    tasks: list[Task] = context.cache["tasks"]
    findings = []
    for task in tasks:
        assert task.planned_end is not None
        overdue = (
            task.planned_end < cutoff
            and task.status not in (TaskStatus.done, TaskStatus.cancelled)
            and (not params.priorities or task.priority in params.priorities)
        )
        late = (cutoff - task.planned_end).days + params.grace_days
        message = f"{task.code} {task.name}: planned end {task.planned_end}, {late} days late"
        findings.append(
            Finding(
                str(task.id),
                "breached" if overdue else "clear",
                Decimal(late) if overdue else None,
                message=message if overdue else "",
                task_id=task.id,
            )
        )
    return findings


async def _budget_burn(
    session: AsyncSession, params: c.BudgetBurn, context: Context
) -> list[Finding]:
    campaign = context.campaign

    async def total(model: type[BudgetLine] | type[Expense], column: str) -> Decimal:
        by_category: dict[str, Decimal] | None = context.cache.get(("budget", model.__tablename__))
        if by_category is not None:  # the sweep's sums per category, read for many campaigns
            if params.category is None:
                return sum(by_category.values(), Decimal(0))
            return by_category.get(params.category.value, Decimal(0))
        query = select(func.coalesce(func.sum(getattr(model, column)), 0)).where(
            model.campaign_id == campaign.id
        )
        if params.category is not None:
            query = query.where(model.category == params.category)
        return Decimal(await session.scalar(query) or 0)

    planned = await total(BudgetLine, "planned_amount")
    spent = await total(Expense, "amount")
    scope = params.category.value if params.category else "the budget"
    if planned <= 0:
        return [Finding(TOTAL, "insufficient", spent, message=f"no plan for {scope}")]
    share = params.percent / HUNDRED
    if params.mode == "over_plan":
        limit = planned * share
        breached = spent >= limit
        message = f"spent {spent} of {planned} planned for {scope} ({params.percent}%: {limit})"
        return [Finding(TOTAL, "breached" if breached else "clear", spent, limit, message)]
    if campaign.start_date is None or campaign.end_date is None:
        return [Finding(TOTAL, "insufficient", message="the campaign has no dates")]
    days = (campaign.end_date - campaign.start_date).days + 1
    today = campaign.local_date(context.now)
    gone = min(max((today - campaign.start_date).days + 1, 0), days)
    elapsed = Decimal(gone) / days
    spent_share = spent / planned
    limit = elapsed * (1 + share)
    # Compared without division: spending exactly at the leeway (10/30 of the days
    # x 110%) is not "more than" it, however 10/30 would round.
    breached = spent * days * HUNDRED > planned * gone * (HUNDRED + params.percent)
    message = (
        f"{(spent_share * HUNDRED).quantize(Decimal('0.1'))}% of {scope} spent after "
        f"{(elapsed * HUNDRED).quantize(Decimal('0.1'))}% of the days"
    )
    return [
        Finding(
            TOTAL,
            "breached" if breached else "clear",
            spent_share * HUNDRED,
            limit * HUNDRED,
            message,
        )
    ]
