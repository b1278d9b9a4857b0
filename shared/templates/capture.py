"""Reading a campaign's plan structure into a `TemplateDocument`: what a template freezes,
and what a direct copy of a finished campaign reads. Nothing is written here."""

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns import plan
from shared.campaigns.models import Campaign
from shared.errors import Conflict
from shared.escalations.models import EscalationPolicy
from shared.figures.channels import campaign_channels, channel_keys
from shared.retrospectives.models import RetrospectiveItem
from shared.rules.models import Rule
from shared.tasks.breakdown import load_graph
from shared.tasks.models import Task
from shared.templates.document import (
    TemplateBudgetLinePart,
    TemplateCampaignPart,
    TemplateDocument,
    TemplateGoalPart,
    TemplateLessonPart,
    TemplateLinkPart,
    TemplateMemberRef,
    TemplatePhasePart,
    TemplatePolicyRef,
    TemplateRiskPart,
    TemplateRulePart,
    TemplateTaskPart,
)
from shared.workspaces.service import member_names


def ensure_dated(campaign: Campaign) -> tuple[date, date]:
    """The campaign's start and end: every date of the plan is kept as an offset from them."""
    if campaign.start_date is None or campaign.end_date is None:
        raise Conflict(
            "The campaign has no start or end date: its plan's dates cannot be carried over "
            "as offsets from the start. Give it dates first.",
            code="campaign_without_dates",
        )
    return campaign.start_date, campaign.end_date


def _offset(day: date | None, start: date) -> int | None:
    return None if day is None else (day - start).days


def _ordered(tasks: Iterable[Task]) -> list[Task]:
    """Parents before their children; siblings by code (the breakdown as it reads)."""
    children: dict[uuid.UUID | None, list[Task]] = {}
    every = list(tasks)
    ids = {t.id for t in every}
    for task in every:
        parent = task.parent_id if task.parent_id in ids else None
        children.setdefault(parent, []).append(task)
    ordered: list[Task] = []

    def walk(parent: uuid.UUID | None) -> None:
        for task in sorted(children.get(parent, []), key=lambda t: t.code):
            ordered.append(task)
            walk(task.id)

    walk(None)
    return ordered


async def capture(session: AsyncSession, campaign: Campaign) -> TemplateDocument:
    start, end = ensure_dated(campaign)
    workspace_id = campaign.workspace_id
    goals = await plan.all_items(session, plan.GOALS, campaign=campaign)
    lines = await plan.all_items(session, plan.BUDGET_LINES, campaign=campaign)
    phases = sorted(
        await plan.all_items(session, plan.PHASES, campaign=campaign),
        key=lambda p: (p.start_date, p.created_at),
    )
    risks = await plan.all_items(session, plan.RISKS, campaign=campaign)
    graph = await load_graph(session, campaign)
    tasks = _ordered(graph.tasks.values())
    links = graph.predecessor_index()
    rules = list(
        await session.scalars(
            select(Rule)
            .where(Rule.workspace_id == workspace_id, Rule.campaign_id == campaign.id)
            .order_by(Rule.created_at, Rule.id)
        )
    )
    policy_ids = {r.escalation_policy_id for r in rules if r.escalation_policy_id is not None}
    policies = (
        dict(
            (
                await session.execute(
                    select(EscalationPolicy.id, EscalationPolicy.name).where(
                        EscalationPolicy.workspace_id == workspace_id,
                        EscalationPolicy.id.in_(policy_ids),
                    )
                )
            ).all()
        )
        if policy_ids
        else {}
    )
    lessons = await session.scalars(
        select(RetrospectiveItem)
        .where(
            RetrospectiveItem.workspace_id == workspace_id,
            RetrospectiveItem.campaign_id == campaign.id,
            func.length(func.trim(RetrospectiveItem.improvement_action)) > 0,
        )
        .order_by(RetrospectiveItem.created_at, RetrospectiveItem.id)
    )
    channels = [c.key for c in await campaign_channels(session, campaign)]
    line_channels = await channel_keys(
        session, workspace_id=workspace_id, ids={x.channel_id for x in lines if x.channel_id}
    )
    names = await member_names(
        session,
        workspace_id=workspace_id,
        member_ids=[
            campaign.owner_id,
            *(g.owner_id for g in goals),
            *(p.executor_id for p in phases),
            *(r.owner_id for r in risks),
            *(m for t in tasks for m in (t.owner_id, t.approver_id)),
        ],
    )

    def member(member_id: uuid.UUID | None) -> TemplateMemberRef | None:
        if member_id is None:
            return None
        return TemplateMemberRef(id=member_id, name=names.get(member_id, str(member_id)))

    goal_index = {g.id: i for i, g in enumerate(goals)}
    phase_index = {p.id: i for i, p in enumerate(phases)}
    codes = {t.id: t.code for t in tasks}
    return TemplateDocument(
        source_campaign_id=campaign.id,
        source_campaign_name=campaign.name,
        campaign=TemplateCampaignPart(
            kind=campaign.kind,
            background=campaign.background,
            objective_summary=campaign.objective_summary,
            target_audience=campaign.target_audience,
            core_message=campaign.core_message,
            channels=list(campaign.channels or []),
            channel_keys=channels,
            tags=list(campaign.tags or []),
            timezone=campaign.timezone,
            currency=campaign.currency,
            owner=member(campaign.owner_id),
            duration_days=(end - start).days,
        ),
        goals=[
            TemplateGoalPart(
                goal_type=g.goal_type,
                strategy=g.strategy,
                metric_key=g.metric_key,
                target_kind=g.target_kind,
                direction=g.direction,
                reference_target=g.target_value,
                reference_baseline=g.baseline_value,
                owner=member(g.owner_id),
                due_offset_days=_offset(g.due_date, start),
                notes=g.notes,
            )
            for g in goals
        ],
        budget_lines=[
            TemplateBudgetLinePart(
                category=x.category,
                reference_amount=x.planned_amount,
                note=x.note,
                channel_key=line_channels.get(x.channel_id) if x.channel_id else None,
                task_code=codes.get(x.task_id) if x.task_id else None,
            )
            for x in lines
        ],
        phases=[
            TemplatePhasePart(
                name=p.name,
                start_offset_days=(p.start_date - start).days,
                duration_days=(p.end_date - p.start_date).days,
                core_actions=p.core_actions,
                executor=member(p.executor_id),
                resources=p.resources,
            )
            for p in phases
        ],
        risks=[
            TemplateRiskPart(
                description=r.description,
                phase_index=phase_index.get(r.phase_id) if r.phase_id else None,
                probability=r.probability,
                impact=r.impact,
                mitigation=r.mitigation,
                owner=member(r.owner_id),
            )
            for r in risks
        ],
        tasks=[
            TemplateTaskPart(
                code=t.code,
                parent_code=codes.get(t.parent_id) if t.parent_id else None,
                level=t.level,
                name=t.name,
                description=t.description,
                goal_index=goal_index.get(t.goal_id) if t.goal_id else None,
                phase_index=phase_index.get(t.phase_id) if t.phase_id else None,
                owner=member(t.owner_id),
                approver=member(t.approver_id),
                supporting_departments=list(t.supporting_departments or []),
                start_offset_days=_offset(t.planned_start, start),
                end_offset_days=_offset(t.planned_end, start),
                deliverable=t.deliverable,
                priority=t.priority,
                predecessors=sorted(
                    (
                        TemplateLinkPart(code=codes[d.predecessor_id], lag_days=d.lag_days)
                        for d in links.get(t.id, [])
                        if d.predecessor_id in codes
                    ),
                    key=lambda link: link.code,
                ),
            )
            for t in tasks
        ],
        rules=[
            TemplateRulePart(
                name=r.name,
                description=r.description,
                per_channel=r.per_channel,
                condition=r.condition,
                params=dict(r.params),
                severity=r.severity,
                min_sample_metric=r.min_sample_metric,
                min_sample_count=r.min_sample_count,
                hold_minutes=r.hold_minutes,
                hold_evaluations=r.hold_evaluations,
                auto_resolve=r.auto_resolve,
                clear_minutes=r.clear_minutes,
                opens_issue=r.opens_issue,
                escalation_policy=(
                    TemplatePolicyRef(
                        id=r.escalation_policy_id,
                        name=policies.get(r.escalation_policy_id, "(removed)"),
                    )
                    if r.escalation_policy_id is not None
                    else None
                ),
                labels=dict(r.labels or {}),
                enabled=r.enabled,
                template_key=r.template_key,
            )
            for r in rules
        ],
        lessons=[
            TemplateLessonPart(
                source_item_id=item.id,
                stage=item.stage,
                shortfall=item.shortfall,
                root_cause=item.root_cause,
                improvement_action=(item.improvement_action or "").strip(),
            )
            for item in lessons
        ],
    )
