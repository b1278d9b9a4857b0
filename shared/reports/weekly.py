"""The weekly report: the week's key metrics against the week before, goal pace, budget
burn, the week's alerts and issues, and slipped tasks."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.alerts.models import Alert
from shared.campaigns import budget, plan
from shared.campaigns.models import Campaign, Expense, Goal
from shared.figures.daily_report import METRICS
from shared.figures.progress import expected_to_date
from shared.figures.series import window_totals
from shared.issues.models import AWAITING_WORK, Issue
from shared.metrics.models import Metric
from shared.reports import completion
from shared.reports.daily import goal_terms
from shared.reports.schemas import (
    BudgetBurnOut,
    GoalPaceOut,
    SlippedTaskOut,
    WeekAlertOut,
    WeekIssueOut,
    WeekIssuesOut,
    WeeklyMetricOut,
)
from shared.tasks import breakdown, views
from shared.workspaces.service import member_names

LISTED = 50  # alerts, issues and tasks listed in one report (counts give the rest)
ZERO = Decimal("0.00")


def week_bounds(campaign: Campaign, monday: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(campaign.timezone)
    return (
        datetime.combine(monday, time(0), tzinfo=zone),
        datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone),
    )


def _name(key: str, dictionary: dict[str, Metric]) -> str:
    return dictionary[key].name if key in dictionary else key


async def key_metrics(
    session: AsyncSession,
    *,
    campaign: Campaign,
    dictionary: dict[str, Metric],
    goals: list[Goal],
    monday: date,
) -> list[WeeklyMetricOut]:
    """The daily report's columns and the goals' metrics: campaign totals of the week
    and of the week before (derived metrics from their parts over each week)."""
    columns = [k for k in METRICS if k in dictionary]
    keys = list(dict.fromkeys(columns + [g.metric_key for g in goals]))
    start, end = week_bounds(campaign, monday)
    before, _ = week_bounds(campaign, monday - timedelta(days=7))
    this = await window_totals(
        session, campaign=campaign, dictionary=dictionary, keys=set(keys), start=start, end=end
    )
    last = await window_totals(
        session, campaign=campaign, dictionary=dictionary, keys=set(keys), start=before, end=start
    )
    return [
        WeeklyMetricOut(
            metric_key=key,
            metric_name=_name(key, dictionary),
            this_week=this[None].get(key),
            previous_week=last[None].get(key),
            change_percent=completion.change_percent(this[None].get(key), last[None].get(key)),
        )
        for key in keys
    ]


async def goal_pace(
    session: AsyncSession,
    *,
    campaign: Campaign,
    dictionary: dict[str, Metric],
    goals: list[Goal],
    monday: date,
) -> list[GoalPaceOut]:
    """Each goal from the start to the week's end, against the target pro-rated to the
    week's last day (as goal progress pro-rates it)."""
    _, end = week_bounds(campaign, monday)
    sunday = monday + timedelta(days=6)
    totals = await window_totals(
        session,
        campaign=campaign,
        dictionary=dictionary,
        keys={g.metric_key for g in goals},
        end=end,
    )
    paces = []
    for goal in goals:
        actual = totals[None].get(goal.metric_key)
        expected = expected_to_date(goal, campaign, dictionary.get(goal.metric_key), sunday)
        paces.append(
            GoalPaceOut(
                goal_id=goal.id,
                metric_key=goal.metric_key,
                metric_name=_name(goal.metric_key, dictionary),
                target_value=goal.target_value,
                actual_to_date=actual,
                expected_to_date=expected,
                pace_percent=completion.completion_rate(
                    goal_terms(goal, dictionary), actual=actual, target=expected
                ),
                achievement_rate=completion.achievement_rate(
                    goal_terms(goal, dictionary), actual=actual
                ),
            )
        )
    return paces


async def budget_burn(session: AsyncSession, *, campaign: Campaign, monday: date) -> BudgetBurnOut:
    """The plan as it stands, against the expenses recorded up to the week's end."""
    sunday = monday + timedelta(days=6)
    summary = await budget.summarize(session, campaign)
    scope = (Expense.workspace_id == campaign.workspace_id, Expense.campaign_id == campaign.id)
    spent, this_week = (
        await session.execute(
            select(
                func.coalesce(func.sum(Expense.amount).filter(Expense.spent_on <= sunday), 0),
                func.coalesce(
                    func.sum(Expense.amount).filter(
                        Expense.spent_on >= monday, Expense.spent_on <= sunday
                    ),
                    0,
                ),
            ).where(*scope)
        )
    ).one()
    elapsed = (
        budget.time_elapsed_percent(campaign.start_date, campaign.end_date, sunday)
        if campaign.start_date and campaign.end_date
        else None
    )
    planned = summary.total.planned
    return BudgetBurnOut(
        currency=summary.currency,
        planned=planned,
        spent=Decimal(spent).quantize(budget.CENT),
        spent_this_week=Decimal(this_week).quantize(budget.CENT),
        burn_percent=budget.percent(Decimal(spent), planned),
        time_elapsed_percent=elapsed,
    )


async def week_alerts(
    session: AsyncSession, *, campaign: Campaign, monday: date
) -> tuple[list[WeekAlertOut], int]:
    """Alerts that fired during the week (silenced ones left out), oldest first."""
    start, end = week_bounds(campaign, monday)
    where = (
        Alert.workspace_id == campaign.workspace_id,
        Alert.campaign_id == campaign.id,
        Alert.fired_at >= start,
        Alert.fired_at < end,
        Alert.silenced.is_(False),
    )
    count = await session.scalar(select(func.count()).select_from(Alert).where(*where))
    alerts = (
        await session.scalars(
            select(Alert).where(*where).order_by(Alert.fired_at, Alert.id).limit(LISTED)
        )
    ).all()
    return [
        WeekAlertOut(
            alert_id=a.id,
            severity=a.severity.value,
            status=a.status.value,
            channel=a.channel,
            message=a.message,
            fired_at=a.fired_at,
        )
        for a in alerts
        if a.fired_at is not None
    ], count or 0


async def week_issues(session: AsyncSession, *, campaign: Campaign, monday: date) -> WeekIssuesOut:
    start, end = week_bounds(campaign, monday)
    scope = (Issue.workspace_id == campaign.workspace_id, Issue.campaign_id == campaign.id)
    opened_in_week = (Issue.opened_at >= start, Issue.opened_at < end)
    opened_count, resolved_count, open_count = (
        await session.execute(
            select(
                func.count().filter(*opened_in_week),
                func.count().filter(Issue.resolved_at >= start, Issue.resolved_at < end),
                func.count().filter(Issue.status.in_(AWAITING_WORK)),
            ).where(*scope)
        )
    ).one()
    opened = (
        await session.scalars(
            select(Issue)
            .where(*scope, *opened_in_week)
            .order_by(Issue.opened_at, Issue.id)
            .limit(LISTED)
        )
    ).all()
    return WeekIssuesOut(
        opened=[
            WeekIssueOut(
                issue_id=i.id,
                title=i.title,
                severity=i.severity.value,
                status=i.status.value,
                owner_id=i.owner_id,
                opened_at=i.opened_at,
            )
            for i in opened
        ],
        opened_count=opened_count,
        resolved_count=resolved_count,
        open_count=open_count,
    )


async def slipped_tasks(
    session: AsyncSession, *, campaign: Campaign, monday: date, now: datetime
) -> tuple[list[SlippedTaskOut], int]:
    """Work items (not their parents) overdue at the week's end, or finished late during
    the week; the most slipped first. Judged as the tasks stand now, on the week's last
    day (or today, for the week still running)."""
    _, end = week_bounds(campaign, monday)
    as_of = min(now, end - timedelta(microseconds=1))
    sunday = monday + timedelta(days=6)
    graph = await breakdown.load_schedule_graph(session, campaign)
    derived = views.derive(campaign, graph, views.build_schedule(campaign, graph), as_of)
    slipped: list[Any] = [
        t
        for t in graph.work_items()
        if derived[t.id].slip_days > 0
        and (
            derived[t.id].overdue or (t.actual_end is not None and monday <= t.actual_end <= sunday)
        )
    ]
    slipped.sort(key=lambda t: (-derived[t.id].slip_days, t.code))
    listed = slipped[:LISTED]
    names = await member_names(
        session, workspace_id=campaign.workspace_id, member_ids=[t.owner_id for t in listed]
    )
    return [
        SlippedTaskOut(
            task_id=t.id,
            code=t.code,
            name=t.name,
            owner_id=t.owner_id,
            owner_name=names.get(t.owner_id) if t.owner_id else None,
            status=str(t.status),
            planned_end=t.planned_end,
            slip_days=derived[t.id].slip_days,
            overdue=derived[t.id].overdue,
        )
        for t in listed
    ], len(slipped)


async def goals_of(session: AsyncSession, campaign: Campaign) -> list[Goal]:
    return await plan.all_items(session, plan.GOALS, campaign=campaign)
