"""Freezing a campaign's state for a review: goal progress and pace, budget burn by category
and by channel, open alerts and issues, slipped tasks. Everything is read as it stands at
`now`, in the review's own transaction, and kept as a document."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.alerts.models import Alert, AlertStatus
from shared.allocations import summary as allocations
from shared.campaigns import budget
from shared.campaigns.models import Campaign
from shared.change_requests import plan_versions
from shared.figures import progress
from shared.issues.models import AWAITING_WORK, Issue
from shared.metrics import service as metrics
from shared.reviews.schemas import (
    ReviewAlertOut,
    ReviewAlertsOut,
    ReviewBudgetOut,
    ReviewCategoryOut,
    ReviewChannelOut,
    ReviewGoalOut,
    ReviewIssueOut,
    ReviewIssuesOut,
    ReviewMoneyOut,
    ReviewSnapshotOut,
    ReviewTaskOut,
    ReviewTasksOut,
)
from shared.tasks import breakdown, views
from shared.workspaces.service import member_names

LISTED = 200  # alerts, issues and tasks kept per snapshot (the counts are exact)
# Pending alerts are still waiting out their rule's hold: nobody has been told yet.
RAISED = (AlertStatus.firing, AlertStatus.acknowledged)


def campaign_days(
    start: date | None, end: date | None, day: date
) -> tuple[int | None, int | None, Decimal | None]:
    """Day N of the campaign (None outside its dates), its number of days, and the share
    of them gone by the end of `day`."""
    if start is None or end is None or end < start:
        return None, None, None
    number = (day - start).days + 1 if start <= day <= end else None
    return number, (end - start).days + 1, budget.time_elapsed_percent(start, end, day)


async def _goals(session: AsyncSession, campaign: Campaign, day: date) -> list[ReviewGoalOut]:
    dictionary = await metrics.dictionary(session, workspace_id=campaign.workspace_id)
    found = await progress.goal_progress(
        session, campaign=campaign, dictionary=dictionary, today=day
    )
    return [
        ReviewGoalOut(
            goal_id=p.goal.id,
            metric_key=p.goal.metric_key,
            metric_name=(
                dictionary[p.goal.metric_key].name
                if p.goal.metric_key in dictionary
                else p.goal.metric_key
            ),
            target_kind=p.goal.target_kind,
            target_value=p.goal.target_value,
            baseline_value=p.goal.baseline_value,
            direction=p.goal.direction,
            due_date=p.goal.due_date,
            actual=p.actual,
            lift_percent=p.lift_percent,
            achievement_rate=p.achievement_rate,
            expected_to_date=p.expected_to_date,
            pace_percent=progress.pace_percent(p.goal.direction, p.actual, p.expected_to_date),
        )
        for p in found
    ]


def _money(figures: budget.Figures) -> dict[str, Decimal | None]:
    return {
        "planned": figures.planned,
        "spent": figures.spent,
        "remaining": figures.remaining,
        "burn_percent": figures.burn_percent,
    }


async def _budget(session: AsyncSession, campaign: Campaign) -> ReviewBudgetOut:
    summary = await budget.summarize(session, campaign)
    channels = await allocations.by_channel(session, campaign=campaign)
    approved = await plan_versions.baseline(session, campaign)
    return ReviewBudgetOut.model_validate(
        _money(summary.total)
        | {
            "currency": summary.currency,
            "approved_planned": approved.planned_total if approved else None,
            "categories": [
                ReviewCategoryOut.model_validate(_money(f) | {"category": category})
                for category, f in summary.categories.items()
            ],
            "channels": [
                ReviewChannelOut.model_validate(
                    _money(c.figures)
                    | {
                        "channel": c.key,
                        "name": c.name,
                        "spend_source": c.spend_source,
                        "roi": c.roi,
                    }
                )
                for c in channels.channels
            ],
            "unassigned": ReviewMoneyOut.model_validate(_money(channels.unassigned)),
        }
    )


async def _open_alerts(session: AsyncSession, campaign: Campaign) -> ReviewAlertsOut:
    where = (
        Alert.workspace_id == campaign.workspace_id,
        Alert.campaign_id == campaign.id,
        Alert.status.in_(RAISED),
    )
    counts = await session.execute(
        select(Alert.severity, func.count()).where(*where).group_by(Alert.severity)
    )
    by_severity = {severity.value: count for severity, count in counts}
    alerts = await session.scalars(
        select(Alert).where(*where).order_by(Alert.fired_at, Alert.id).limit(LISTED)
    )
    return ReviewAlertsOut(
        count=sum(by_severity.values()),
        by_severity=by_severity,
        items=[
            ReviewAlertOut(
                alert_id=a.id,
                severity=a.severity.value,
                status=a.status.value,
                channel=a.channel,
                message=a.message,
                fired_at=a.fired_at,
                silenced=a.silenced,
            )
            for a in alerts
        ],
    )


async def _open_issues(session: AsyncSession, campaign: Campaign, now: datetime) -> ReviewIssuesOut:
    where = (
        Issue.workspace_id == campaign.workspace_id,
        Issue.campaign_id == campaign.id,
        Issue.status.in_(AWAITING_WORK),
    )
    counts = await session.execute(
        select(
            Issue.severity,
            func.count(),
            func.count().filter(Issue.resolution_due_at <= now),
        )
        .where(*where)
        .group_by(Issue.severity)
    )
    by_severity, overdue = {}, 0
    for severity, count, late in counts:
        by_severity[severity.value] = count
        overdue += late
    issues = (
        await session.scalars(
            select(Issue).where(*where).order_by(Issue.opened_at, Issue.id).limit(LISTED)
        )
    ).all()
    names = await member_names(
        session, workspace_id=campaign.workspace_id, member_ids=[i.owner_id for i in issues]
    )
    return ReviewIssuesOut(
        count=sum(by_severity.values()),
        by_severity=by_severity,
        resolution_overdue_count=overdue,
        items=[
            ReviewIssueOut(
                issue_id=i.id,
                title=i.title,
                severity=i.severity.value,
                status=i.status.value,
                owner_id=i.owner_id,
                owner_name=names.get(i.owner_id),
                progress=i.progress,
                opened_at=i.opened_at,
                expected_resolution_date=i.expected_resolution_date,
                resolution_due_at=i.resolution_due_at,
                resolution_overdue=i.resolution_overdue(now),
            )
            for i in issues
        ],
    )


async def _slipped_tasks(
    session: AsyncSession, campaign: Campaign, now: datetime
) -> ReviewTasksOut:
    """Work items (not the strategies and modules above them) still open past their
    planned end, the most slipped first."""
    graph = await breakdown.load_schedule_graph(session, campaign)
    derived = views.derive(campaign, graph, views.build_schedule(campaign, graph), now)
    slipped = sorted(
        (t for t in graph.work_items() if derived[t.id].overdue),
        key=lambda t: (-derived[t.id].slip_days, t.code),
    )
    listed = slipped[:LISTED]
    names = await member_names(
        session, workspace_id=campaign.workspace_id, member_ids=[t.owner_id for t in listed]
    )
    return ReviewTasksOut(
        count=len(slipped),
        items=[
            ReviewTaskOut(
                task_id=t.id,
                code=t.code,
                name=t.name,
                owner_id=t.owner_id,
                owner_name=names.get(t.owner_id) if t.owner_id else None,
                status=str(t.status),
                planned_end=t.planned_end,
                slip_days=derived[t.id].slip_days,
                on_critical_path=derived[t.id].on_critical_path,
            )
            for t in listed
        ],
    )


async def freeze(session: AsyncSession, *, campaign: Campaign, now: datetime) -> ReviewSnapshotOut:
    day = campaign.local_date(now)
    number, total, elapsed = campaign_days(campaign.start_date, campaign.end_date, day)
    return ReviewSnapshotOut(
        as_of=now,
        day=day,
        campaign_status=campaign.status.value,
        start_date=campaign.start_date,
        end_date=campaign.end_date,
        day_number=number,
        days_total=total,
        time_elapsed_percent=elapsed,
        plan_version=await plan_versions.current_number(session, campaign),
        goals=await _goals(session, campaign, day),
        budget=await _budget(session, campaign),
        open_alerts=await _open_alerts(session, campaign),
        open_issues=await _open_issues(session, campaign, now),
        slipped_tasks=await _slipped_tasks(session, campaign, now),
    )
