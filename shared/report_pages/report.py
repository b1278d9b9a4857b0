"""The campaign report: goal progress with pace, key metrics by channel over the days,
budget burn (baseline against current plan) by category and channel, the Gantt with the
critical path, and the alerts and issues on a timeline."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal, localcontext
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.alerts.models import Alert
from shared.allocations import summary as allocations
from shared.campaigns import budget as budgets
from shared.campaigns.models import Campaign, Direction
from shared.change_requests import plan_versions
from shared.figures import progress, series
from shared.figures.channels import campaign_channels
from shared.figures.daily_report import METRICS
from shared.issues.models import Issue
from shared.metrics import service as metrics
from shared.metrics.models import Metric
from shared.report_pages import charts
from shared.report_pages.common import header
from shared.report_pages.views import (
    Budget,
    ChannelKey,
    GoalRow,
    MoneyRow,
    Raised,
    ReportPage,
    Schedule,
    Timeline,
    Trend,
)
from shared.tasks import breakdown, views
from shared.tasks.schedule import CycleError
from shared.workspaces.service import member_names

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MAX_GANTT_ROWS = 300  # a page a person reads (and prints); the API has the whole schedule
MAX_RAISED = 100  # alerts and issues on the timeline, the most recent kept
BASELINE, PLANNED, SPENT = "#9aa5b1", "#0072b2", "#e69f00"
TREND = charts.Frame(480, 200, 52, 12, 10, 24)  # two side by side, or one per row in print
MONEY_SERIES = (("baseline", BASELINE), ("planned", PLANNED), ("spent", SPENT))


async def _goals(
    session: AsyncSession, campaign: Campaign, dictionary: dict[str, Metric], today: date
) -> list[GoalRow]:
    found = await progress.goal_progress(
        session, campaign=campaign, dictionary=dictionary, today=today
    )
    owners = await member_names(
        session, workspace_id=campaign.workspace_id, member_ids=[p.goal.owner_id for p in found]
    )
    rows = []
    for p in found:
        goal = p.goal
        expected_rate = None
        if p.expected_to_date is not None and goal.target_value:
            with localcontext(prec=progress.WIDE):
                expected_rate = (p.expected_to_date / goal.target_value * 100).quantize(CENT)
        metric = dictionary.get(goal.metric_key)
        rows.append(
            GoalRow(
                metric_key=goal.metric_key,
                metric_name=metric.name if metric else goal.metric_key,
                unit=metric.unit.value if metric else "count",
                goal_type=goal.goal_type.value,
                strategy=goal.strategy,
                target_kind=goal.target_kind.value,
                target_value=goal.target_value,
                baseline_value=goal.baseline_value,
                actual=p.actual,
                lift_percent=p.lift_percent,
                achievement_rate=p.achievement_rate,
                expected_to_date=p.expected_to_date,
                expected_rate=(
                    expected_rate if goal.direction == Direction.higher_is_better else None
                ),
                pace_percent=progress.pace_percent(goal.direction, p.actual, p.expected_to_date),
                due_date=goal.due_date,
                owner_name=owners.get(goal.owner_id) if goal.owner_id else None,
                bar=charts.progress_bar(p.achievement_rate, expected_rate),
            )
        )
    return rows


def _days(campaign: Campaign) -> tuple[datetime, datetime] | None:
    if campaign.start_date is None or campaign.end_date is None:
        return None
    zone = ZoneInfo(campaign.timezone)
    return (
        datetime.combine(campaign.start_date, time(0), tzinfo=zone),
        datetime.combine(campaign.end_date + timedelta(days=1), time(0), tzinfo=zone),
    )


async def _trends(
    session: AsyncSession,
    campaign: Campaign,
    dictionary: dict[str, Metric],
    channels: list[ChannelKey],
) -> tuple[list[Trend], list[ChannelKey]]:
    """The daily report's metrics, one line per channel over the campaign's local days."""
    zone = ZoneInfo(campaign.timezone)
    window = _days(campaign)
    read: list[tuple[Metric, dict[str, list[tuple[date, Decimal | None]]]]] = []
    for key in METRICS:
        if key not in dictionary:
            continue
        daily = await series.read_series(
            session,
            campaign=campaign,
            dictionary=dictionary,
            metric_key=key,
            granularity="day",
            start=window[0] if window else None,
            end=window[1] if window else None,
        )
        by_channel = {
            name: [(p.period.astimezone(zone).date(), p.value) for p in points]
            for name, points in daily.channels.items()
        }
        read.append((dictionary[key], by_channel))
    known = {c.key for c in channels}
    extra = sorted({name for _, found in read for name in found} - known)
    legend = channels + [
        ChannelKey(k, k, charts.colour(len(channels) + i)) for i, k in enumerate(extra)
    ]
    colours = {c.key: c.colour for c in legend}
    names = {c.key: c.name for c in legend}
    days = [d for _, found in read for points in found.values() for d, _ in points]
    start = campaign.start_date or (min(days) if days else None)
    end = campaign.end_date or (max(days) if days else None)
    trends = []
    for metric, found in read:
        if not found or start is None or end is None:
            continue
        lines = [
            charts.LineSeries(c.key, names[c.key], found[c.key]) for c in legend if c.key in found
        ]
        chart = charts.line_chart(lines, start=start, end=end, colours=colours, frame=TREND)
        trends.append(Trend(metric.key, metric.name, metric.unit.value, chart))
    shown = {line.key for t in trends for line in t.chart.lines}
    return trends, [c for c in legend if c.key in shown]


def money_chart(rows: Sequence[MoneyRow]) -> charts.BarChart:
    """Baseline, current plan and spent per row (the template names the groups)."""
    return charts.bar_chart(
        [(row.key, row.label, (row.baseline, row.planned, row.spent)) for row in rows],
        series=MONEY_SERIES,
    )


async def _budget(
    session: AsyncSession,
    campaign: Campaign,
    elapsed: Decimal | None,
) -> Budget:
    summary = await budgets.summarize(session, campaign)
    by_channel = await allocations.by_channel(session, campaign=campaign)
    approved: dict[str | None, Decimal] | None = None
    approved_channels: dict[str | None, Decimal] = {}
    if plan_versions.has_approved_plan(campaign):
        first = (await plan_versions.plan_at(session, campaign, 1)).plan
        approved = {}
        for line in first["budget_lines"]:
            amount = Decimal(line["planned_amount"])
            approved[line["category"]] = approved.get(line["category"], ZERO) + amount
            key = line.get("channel_key")
            approved_channels[key] = approved_channels.get(key, ZERO) + amount

    def base(found: Mapping[str | None, Decimal], key: str | None) -> Decimal | None:
        return None if approved is None else found.get(key, ZERO)

    categories = [
        MoneyRow(
            category.value,
            category.value,
            base(approved or {}, category.value),
            figures.planned,
            figures.spent,
            figures.burn_percent,
        )
        for category, figures in summary.categories.items()
        if figures.planned or figures.spent or (approved or {}).get(category.value)
    ]
    channels = [
        MoneyRow(
            c.key,
            c.name,
            base(approved_channels, c.key),
            c.figures.planned,
            c.figures.spent,
            c.figures.burn_percent,
            c.spend_source,
        )
        for c in by_channel.channels
    ]
    unassigned = by_channel.unassigned
    if unassigned.planned or unassigned.spent or approved_channels.get(None):
        channels.append(
            MoneyRow(
                "unassigned",
                "unassigned",
                base(approved_channels, None),
                unassigned.planned,
                unassigned.spent,
                unassigned.burn_percent,
            )
        )
    total = MoneyRow(
        "total",
        "total",
        None if approved is None else sum(approved.values(), ZERO),
        summary.total.planned,
        summary.total.spent,
        summary.total.burn_percent,
    )
    return Budget(
        currency=summary.currency,
        total=total,
        time_elapsed_percent=elapsed,
        categories=categories,
        channels=channels,
        category_chart=money_chart(categories),
        channel_chart=money_chart(channels) if channels else None,
    )


async def _schedule(session: AsyncSession, campaign: Campaign, now: datetime) -> Schedule:
    graph = await breakdown.load_schedule_graph(session, campaign)
    if not graph.tasks:
        return Schedule(None, [], None, [])
    try:
        plan = views.build_schedule(campaign, graph)
    except CycleError:  # only reachable if the database was edited by hand
        return Schedule(None, [], None, ["dependency cycle"])
    derived = views.derive(campaign, graph, plan, now)
    rows = views.gantt_rows(graph, plan, derived)[:MAX_GANTT_ROWS]
    chart = charts.gantt(
        [
            charts.GanttInput(
                code=row["code"],
                name=row["name"],
                level=str(row["level"]),
                start=row["start"],
                end=row["end"],
                progress=int(row["progress"] or 0),
                critical=bool(row["critical"]),
                status=str(row["status"]),
            )
            for row in rows
        ],
        start=campaign.start_date,
        end=campaign.end_date,
        today=campaign.local_date(now),
    )
    return Schedule(
        chart,
        graph.codes(plan.critical_path),
        plan.finish,
        [c.message for c in plan.conflicts],
    )


async def _timeline(session: AsyncSession, campaign: Campaign, now: datetime) -> Timeline:
    scope = (Alert.workspace_id == campaign.workspace_id, Alert.campaign_id == campaign.id)
    fired = Alert.fired_at.is_not(None)
    alerts = (
        await session.scalars(
            select(Alert).where(*scope, fired).order_by(Alert.fired_at.desc()).limit(MAX_RAISED)
        )
    ).all()
    alert_count = await session.scalar(select(func.count()).where(*scope, fired)) or 0
    issue_scope = (Issue.workspace_id == campaign.workspace_id, Issue.campaign_id == campaign.id)
    issues = (
        await session.scalars(
            select(Issue).where(*issue_scope).order_by(Issue.opened_at.desc()).limit(MAX_RAISED)
        )
    ).all()
    issue_count = await session.scalar(select(func.count()).where(*issue_scope)) or 0
    owners = await member_names(
        session, workspace_id=campaign.workspace_id, member_ids=[i.owner_id for i in issues]
    )
    rows = [
        Raised(
            "alert",
            str(a.id),
            a.message,
            a.severity.value,
            a.status.value,
            a.fired_at,
            a.resolved_at,
            channel=a.channel,
        )
        for a in alerts
        if a.fired_at is not None
    ] + [
        Raised(
            "issue",
            str(i.id),
            i.title,
            i.severity.value,
            i.status.value,
            i.opened_at,
            i.resolved_at or i.closed_at,
            owner_name=owners.get(i.owner_id),
        )
        for i in issues
    ]
    rows.sort(key=lambda r: (r.started_at, r.kind))
    more = alert_count + issue_count - len(rows)
    moments = [r.started_at for r in rows]
    zone = ZoneInfo(campaign.timezone)
    start = campaign.start_date or (min(moments).astimezone(zone).date() if moments else None)
    end = campaign.end_date or (max(moments).astimezone(zone).date() if moments else None)
    chart = None
    if rows and start is not None and end is not None:
        chart = charts.timeline(
            [
                charts.Happening(r.kind, r.key, r.title, r.severity, r.started_at, r.ended_at)
                for r in rows
            ],
            start=min(start, end),
            end=max(start, end),
            now=now,
            zone_day=charts.DayOf(zone),
        )
    return Timeline(chart, rows, more)


async def report_page(session: AsyncSession, *, campaign: Campaign, now: datetime) -> ReportPage:
    top = await header(session, campaign=campaign, now=now)
    dictionary = await metrics.dictionary(session, workspace_id=campaign.workspace_id)
    attached = await campaign_channels(session, campaign)
    channels = [ChannelKey(c.key, c.name, charts.colour(i)) for i, c in enumerate(attached)]
    trends, shown = await _trends(session, campaign, dictionary, channels)
    return ReportPage(
        header=top,
        goals=await _goals(session, campaign, dictionary, campaign.local_date(now)),
        channels=shown,
        trends=trends,
        budget=await _budget(session, campaign, top.time_elapsed_percent),
        schedule=await _schedule(session, campaign, now),
        timeline=await _timeline(session, campaign, now),
    )
