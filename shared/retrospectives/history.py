"""Reading a campaign's history for the suggestions: goals, alerts, issues, tasks, budget
and channels, as they stand at `now`, handed to the pure rules of `evidence`."""

import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.alerts.models import Alert
from shared.allocations import summary as allocations
from shared.campaigns import budget
from shared.campaigns.models import (
    BudgetCategory,
    BudgetLine,
    Campaign,
    Direction,
    Expense,
    TargetKind,
)
from shared.figures import progress
from shared.issues.models import AWAITING_WORK, Issue, IssueSource
from shared.metrics import service as metrics
from shared.retrospectives import evidence
from shared.retrospectives.evidence import Suggestion
from shared.rules.models import Rule
from shared.tasks import breakdown, views
from shared.tasks.models import TaskStatus


async def _goals(session: AsyncSession, campaign: Campaign, now: datetime) -> list[Suggestion]:
    dictionary = await metrics.dictionary(session, workspace_id=campaign.workspace_id)
    found = await progress.goal_progress(
        session, campaign=campaign, dictionary=dictionary, today=campaign.local_date(now)
    )
    result = []
    for p in found:
        metric = dictionary.get(p.goal.metric_key)
        suggestion = evidence.goal_missed(
            evidence.GoalFigures(
                goal_id=p.goal.id,
                campaign_id=campaign.id,
                metric_key=p.goal.metric_key,
                metric_name=metric.name if metric else p.goal.metric_key,
                relative_lift=p.goal.target_kind == TargetKind.relative_lift,
                lower_is_better=p.goal.direction == Direction.lower_is_better,
                target=p.goal.target_value,
                actual=p.actual,
                lift_percent=p.lift_percent,
                achievement_rate=p.achievement_rate,
                owner_id=p.goal.owner_id,
            )
        )
        if suggestion is not None:
            result.append(suggestion)
    return sorted(result, key=lambda s: -s.rank)


async def _rules(session: AsyncSession, campaign: Campaign) -> list[Suggestion]:
    """Alerts that fired (pending ones never told anybody), per rule."""
    rows = await session.execute(
        select(Alert.rule_id, Rule.name, Alert.id, Alert.severity)
        .join(Rule, Rule.id == Alert.rule_id)
        .where(
            Alert.workspace_id == campaign.workspace_id,
            Alert.campaign_id == campaign.id,
            Alert.fired_at.is_not(None),
        )
        .order_by(Alert.fired_at, Alert.id)
    )
    names: dict[uuid.UUID, str] = {}
    alerts: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    severities: dict[uuid.UUID, list[str]] = defaultdict(list)
    for rule_id, name, alert_id, severity in rows:
        names[rule_id] = name
        alerts[rule_id].append(alert_id)
        severities[rule_id].append(str(severity.value))
    return evidence.rules_fired_most(
        evidence.RuleFirings(rule_id, names[rule_id], severities[rule_id], alerts[rule_id])
        for rule_id in names
    )


async def _issues(session: AsyncSession, campaign: Campaign, now: datetime) -> list[Suggestion]:
    """Issues of the campaign (not the retrospective's own follow-ups) late on their SLA."""
    issues = await session.scalars(
        select(Issue)
        .where(
            Issue.workspace_id == campaign.workspace_id,
            Issue.campaign_id == campaign.id,
            Issue.source != IssueSource.retrospective,
        )
        .order_by(Issue.opened_at, Issue.id)
    )
    found = []
    for issue in issues:
        suggestion = evidence.issue_sla_breached(
            evidence.IssueTimes(
                issue_id=issue.id,
                title=issue.title,
                severity=issue.severity.value,
                owner_id=issue.owner_id,
                still_open=issue.status in AWAITING_WORK,
                response_due_at=issue.response_due_at,
                responded_at=issue.responded_at,
                sla_breached_at=issue.sla_breached_at,
                resolution_due_at=issue.resolution_due_at,
                resolved_at=issue.resolved_at or issue.closed_at,
                resolution_overdue_at=issue.resolution_overdue_at,
            ),
            now,
        )
        if suggestion is not None:
            found.append(suggestion)
    return sorted(found, key=lambda s: -s.rank)[: evidence.TOP * 2]


async def _tasks(session: AsyncSession, campaign: Campaign, now: datetime) -> list[Suggestion]:
    graph = await breakdown.load_schedule_graph(session, campaign)
    plan = views.build_schedule(campaign, graph)
    derived = views.derive(campaign, graph, plan, now)
    critical = [task_id for task_id, d in derived.items() if d.on_critical_path]
    successors: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for link in graph.dependencies:
        successors[link.predecessor_id].append(link.successor_id)
    slips = []
    for task in graph.work_items():
        slip = derived[task.id].slip_days
        if slip <= 0:
            continue
        delayed = evidence.critical_successors(task.id, successors, critical)
        slips.append(
            evidence.TaskSlip(
                task_id=task.id,
                campaign_id=campaign.id,
                code=task.code,
                name=task.name,
                owner_id=task.owner_id,
                planned_end=task.planned_end,
                actual_end=task.actual_end,
                still_open=task.status != TaskStatus.done,
                slip_days=slip,
                on_critical_path=derived[task.id].on_critical_path,
                delayed=[(i, graph.tasks[i].code, graph.tasks[i].name) for i in delayed],
            )
        )
    return evidence.tasks_slipped_most(slips)


async def _budget(session: AsyncSession, campaign: Campaign) -> list[Suggestion]:
    summary = await budget.summarize(session, campaign)
    over = [c for c, f in summary.categories.items() if f.spent > f.planned]
    if not over:
        return []
    lines = await session.execute(
        select(BudgetLine.category, BudgetLine.id, BudgetLine.note)
        .where(
            BudgetLine.workspace_id == campaign.workspace_id,
            BudgetLine.campaign_id == campaign.id,
            BudgetLine.category.in_(over),
        )
        .order_by(BudgetLine.created_at, BudgetLine.id)
    )
    expenses = await session.execute(
        select(Expense.category, Expense.id)
        .where(
            Expense.workspace_id == campaign.workspace_id,
            Expense.campaign_id == campaign.id,
            Expense.category.in_(over),
        )
        .order_by(Expense.amount.desc(), Expense.id)
    )
    lines_of: dict[BudgetCategory, list[tuple[uuid.UUID, str | None]]] = defaultdict(list)
    for category, line_id, note in lines:
        lines_of[category].append((line_id, note))
    expenses_of: dict[BudgetCategory, list[uuid.UUID]] = defaultdict(list)
    for category, expense_id in expenses:
        expenses_of[category].append(expense_id)
    result = []
    for category in over:
        figures = summary.categories[category]
        suggestion = evidence.budget_over_plan(
            evidence.CategorySpend(
                campaign_id=campaign.id,
                category=category.value,
                currency=summary.currency,
                planned=figures.planned,
                spent=figures.spent,
                lines=lines_of[category],
                expenses=expenses_of[category],
                owner_id=campaign.owner_id,
            )
        )
        if suggestion is not None:
            result.append(suggestion)
    return sorted(result, key=lambda s: -s.rank)


async def _channels(session: AsyncSession, campaign: Campaign) -> list[Suggestion]:
    money = await allocations.by_channel(session, campaign=campaign)
    return evidence.worst_roi_channels(
        [
            evidence.ChannelReturn(
                campaign_id=campaign.id,
                key=c.key,
                name=c.name,
                currency=money.currency,
                spent=c.figures.spent,
                spend_source=c.spend_source,
                revenue=c.revenue,
                roi=c.roi,
            )
            for c in money.channels
        ],
        campaign.owner_id,
    )


async def suggestions(
    session: AsyncSession, *, campaign: Campaign, now: datetime
) -> list[Suggestion]:
    """Every suggestion the campaign's history supports, by kind: goals, rules, issues,
    tasks, budget, channels; the most telling first within each kind."""
    return [
        *await _goals(session, campaign, now),
        *await _rules(session, campaign),
        *await _issues(session, campaign, now),
        *await _tasks(session, campaign, now),
        *await _budget(session, campaign),
        *await _channels(session, campaign),
    ]
