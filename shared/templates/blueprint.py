"""From a plan document and the new campaign's request to what will be made: the preview.

`build` is pure: it is given what the workspace has now (`Workspace`: members, metrics,
channels, escalation policies) and decides every item, date, amount and warning. The
preview shows its result; the create call makes exactly that (see `apply.py`). Input
that cannot be carried out is a 422 naming the request's field.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from shared.campaigns.models import BudgetCategory, TargetKind
from shared.campaigns.schemas import ReadinessFinding
from shared.errors import FieldError, Invalid
from shared.rules import conditions
from shared.rules.models import Condition
from shared.schemas import FIRST_DAY, LAST_DAY
from shared.tasks.models import TaskLevel
from shared.templates import shares
from shared.templates.document import TemplateDocument, TemplateMemberRef, TemplateRulePart
from shared.templates.preview_schemas import (
    NewBudgetCategoryOut,
    NewBudgetLineOut,
    NewBudgetOut,
    NewCampaignCountsOut,
    NewCampaignIn,
    NewCampaignPartOut,
    NewCampaignPreviewOut,
    NewCampaignSourceOut,
    NewGoalOut,
    NewLessonOut,
    NewPhaseOut,
    NewRiskOut,
    NewRuleOut,
    NewTaskLinkOut,
    NewTaskOut,
)


@dataclass(frozen=True)
class Workspace:
    """What the workspace has now, of what the plan names."""

    members: dict[uuid.UUID, str]  # id -> name, of the members among those asked about
    metrics: dict[str, bool]  # key -> derived
    channels: set[str]  # channel keys
    policies: dict[uuid.UUID, str]  # escalation policy id -> name


@dataclass
class _Members:
    """Member references resolved: reassigned, kept, or gone (noted for the warnings)."""

    present: dict[uuid.UUID, str]
    reassign: dict[uuid.UUID, uuid.UUID]
    gone: dict[uuid.UUID, str] = field(default_factory=dict)
    held: dict[uuid.UUID, list[str]] = field(default_factory=lambda: defaultdict(list))

    def resolve(self, ref: TemplateMemberRef | None, role: str) -> uuid.UUID | None:
        if ref is None:
            return None
        target = self.reassign.get(ref.id, ref.id)
        if target in self.present:
            return target
        self.gone[ref.id] = ref.name
        self.held[ref.id].append(role)
        return None


def _check_request(request: NewCampaignIn, workspace: Workspace) -> dict[uuid.UUID, uuid.UUID]:
    errors = []
    if request.end_date is not None and request.end_date < request.start_date:
        errors.append(FieldError("end_date", f"Before start_date ({request.start_date})."))
    if request.owner_id is not None and request.owner_id not in workspace.members:
        errors.append(
            FieldError(
                "owner_id", f"No member {request.owner_id} in this workspace.", "unknown_member"
            )
        )
    reassign: dict[uuid.UUID, uuid.UUID] = {}
    for i, swap in enumerate(request.reassign):
        if swap.from_member_id in reassign:
            errors.append(FieldError(f"reassign.{i}.from_member_id", "Reassigned twice."))
        if swap.to_member_id not in workspace.members:
            errors.append(
                FieldError(
                    f"reassign.{i}.to_member_id",
                    f"No member {swap.to_member_id} in this workspace.",
                    "unknown_member",
                )
            )
        reassign[swap.from_member_id] = swap.to_member_id
    if errors:
        raise Invalid("The new campaign cannot be made as asked.", errors)
    return reassign


def _day(start: date, offset: int) -> date | None:
    try:
        day = start + timedelta(days=offset)
    except OverflowError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def _rule_problem(rule: TemplateRulePart, metrics: dict[str, bool]) -> tuple[str, str] | None:
    """Why the rule cannot be made in this workspace now, as (code, message); None if it can."""
    try:
        params = conditions.parse(rule.condition, rule.params)
    except Invalid as exc:
        return "rule_not_valid", f"Rule '{rule.name}' is no longer valid: {exc.detail}"
    unknown = sorted(
        key
        for key in {
            *params.metrics(),
            *([rule.min_sample_metric] if rule.min_sample_metric else []),
        }
        if key not in metrics
    )
    if unknown:
        return (
            "metric_not_in_dictionary",
            f"Rule '{rule.name}' watches {', '.join(unknown)}, no longer in the metric "
            "dictionary: it is left out.",
        )
    if rule.condition == Condition.no_data and any(metrics[k] for k in params.metrics()):
        return "rule_not_valid", f"Rule '{rule.name}' watches a derived metric: left out."
    return None


@dataclass
class _Plan:
    """What `build` works with: the new dates, the members resolved, the warnings so far."""

    start: date
    end: date
    members: _Members
    workspace: Workspace
    warnings: list[ReadinessFinding] = field(default_factory=list)

    def warn(self, code: str, message: str, ref: str | None = None) -> None:
        self.warnings.append(ReadinessFinding(code=code, message=message, ref=ref))

    def at(self, offset: int, what: str) -> date:
        found = _day(self.start, offset)
        if found is None:
            raise Invalid(
                "The plan would run outside the calendar we compute in.",
                [FieldError("start_date", f"{what} would fall outside {FIRST_DAY}..{LAST_DAY}.")],
            )
        return found

    def day(self, offset: int | None, what: str) -> date | None:
        return None if offset is None else self.at(offset, what)


def _goals(plan: _Plan, document: TemplateDocument) -> list[NewGoalOut]:
    """The structure of each goal, with its target to confirm."""
    goals = []
    for i, g in enumerate(document.goals):
        ref = f"goals.{i}"
        if g.metric_key not in plan.workspace.metrics:
            plan.warn(
                "metric_not_in_dictionary",
                f"Goal '{g.metric_key}' measures a metric no longer in the dictionary: it is "
                "left out (tasks under it keep no goal).",
                ref,
            )
            continue
        owner = plan.members.resolve(g.owner, f"owner of goal {g.metric_key}")
        lift = g.target_kind == TargetKind.relative_lift
        goals.append(
            NewGoalOut(
                ref=ref,
                goal_type=g.goal_type,
                strategy=g.strategy,
                metric_key=g.metric_key,
                target_kind=g.target_kind,
                direction=g.direction,
                target_value=None,
                reference_target=g.reference_target,
                baseline_value=None,
                reference_baseline=g.reference_baseline if lift else None,
                owner_id=owner,
                owner_name=plan.workspace.members.get(owner) if owner else None,
                due_date=plan.day(g.due_offset_days, f"Goal {g.metric_key}'s due date"),
                notes=g.notes,
            )
        )
    return goals


def _phases(plan: _Plan, document: TemplateDocument, end_given: bool) -> list[NewPhaseOut]:
    """Phases at their offsets; a given end date may not cut them."""
    phases = []
    for i, p in enumerate(document.phases):
        first = plan.at(p.start_offset_days, f"Phase '{p.name}'")
        last = plan.at(p.start_offset_days + p.duration_days, f"Phase '{p.name}'")
        if end_given and last > plan.end:
            raise Invalid(
                "The end date cuts the source's phases.",
                [
                    FieldError(
                        "end_date",
                        f"Phase '{p.name}' ends {last}: end_date must be {last} or later, or "
                        "left out (start + the source's duration).",
                    )
                ],
            )
        if first < plan.start or last > plan.end:  # the source's own phase was outside
            first = min(max(first, plan.start), plan.end)
            last = max(min(last, plan.end), first)
            plan.warn(
                "phase_moved_inside",
                f"Phase '{p.name}' lay outside the source's dates; it is kept within the "
                f"campaign ({first}..{last}).",
                f"phases.{i}",
            )
        phases.append(
            NewPhaseOut(
                ref=f"phases.{i}",
                name=p.name,
                start_date=first,
                end_date=last,
                core_actions=p.core_actions,
                executor_id=plan.members.resolve(p.executor, f"executor of phase {p.name}"),
                resources=p.resources,
            )
        )
    return phases


def _tasks(
    plan: _Plan, document: TemplateDocument, owner: uuid.UUID | None, goal_refs: set[str]
) -> list[NewTaskOut]:
    """The breakdown with R1 and R2; a task whose owner is gone goes to the campaign's owner
    (a task needs exactly one), or is refused when there is none."""
    tasks, orphans = [], []
    for t in document.tasks:
        task_owner = plan.members.resolve(t.owner, f"owner of {t.code}")
        if task_owner is None and t.owner is not None and t.level == TaskLevel.task:
            task_owner = owner
            if owner is None:
                orphans.append(t.code)
        goal_ref = f"goals.{t.goal_index}" if t.goal_index is not None else None
        tasks.append(
            NewTaskOut(
                code=t.code,
                parent_code=t.parent_code,
                level=t.level,
                name=t.name,
                description=t.description,
                goal_ref=goal_ref if goal_ref in goal_refs else None,
                phase_ref=f"phases.{t.phase_index}" if t.phase_index is not None else None,
                owner_id=task_owner,
                approver_id=plan.members.resolve(t.approver, f"approver of {t.code}"),
                supporting_departments=t.supporting_departments,
                planned_start=plan.day(t.start_offset_days, f"{t.code}'s planned start"),
                planned_end=plan.day(t.end_offset_days, f"{t.code}'s planned end"),
                deliverable=t.deliverable,
                priority=t.priority,
                predecessors=[
                    NewTaskLinkOut(code=x.code, lag_days=x.lag_days) for x in t.predecessors
                ],
            )
        )
    if orphans:
        raise Invalid(
            "Tasks would have no owner: their owner is no longer a member and the campaign "
            "has no owner to hand them to.",
            [
                FieldError(
                    "reassign",
                    f"Name who takes over {', '.join(orphans)} (reassign), or an owner_id.",
                )
            ],
        )
    return tasks


def _channels(plan: _Plan, document: TemplateDocument) -> list[str]:
    """Those it ran on and those its money named, if the workspace still has them."""
    named = [x.channel_key for x in document.budget_lines if x.channel_key]
    wanted = list(dict.fromkeys([*document.campaign.channel_keys, *named]))
    for key in wanted:
        if key not in plan.workspace.channels:
            plan.warn(
                "channel_not_in_workspace",
                f"Channel '{key}' is no longer in the workspace: not attached, and its budget "
                "lines name no channel.",
                f"channels/{key}",
            )
    return [key for key in wanted if key in plan.workspace.channels]


def _rules(plan: _Plan, document: TemplateDocument) -> list[NewRuleOut]:
    rules = []
    dropped = [k for k in document.campaign.channel_keys if k not in plan.workspace.channels]
    for i, r in enumerate(document.rules):
        ref = f"rules.{i}"
        problem = _rule_problem(r, plan.workspace.metrics)
        if problem is not None:
            plan.warn(*problem, ref)
            continue
        if r.per_channel and dropped:
            plan.warn(
                "rule_channel_gone",
                f"Rule '{r.name}' watched each channel, and {', '.join(dropped)} is no longer "
                "in the workspace: it watches the campaign's other channels.",
                ref,
            )
        policy = r.escalation_policy
        if policy is not None and policy.id not in plan.workspace.policies:
            plan.warn(
                "escalation_policy_gone",
                f"Rule '{r.name}' escalated by the policy '{policy.name}', which is gone: the "
                "workspace's default policy applies.",
                ref,
            )
            policy = None
        rules.append(
            NewRuleOut(
                ref=ref,
                **r.model_dump(exclude={"escalation_policy"}),
                escalation_policy_id=policy.id if policy else None,
            )
        )
    return rules


def _lessons(document: TemplateDocument) -> list[NewLessonOut]:
    return [
        NewLessonOut(
            position=i + 1,
            source_campaign_id=document.source_campaign_id,
            source_campaign_name=document.source_campaign_name,
            source_item_id=lesson.source_item_id,
            stage=lesson.stage,
            shortfall=lesson.shortfall,
            root_cause=lesson.root_cause,
            improvement_action=lesson.improvement_action,
        )
        for i, lesson in enumerate(document.lessons)
    ]


def build(
    document: TemplateDocument,
    request: NewCampaignIn,
    workspace: Workspace,
    source: NewCampaignSourceOut,
) -> NewCampaignPreviewOut:
    reassign = _check_request(request, workspace)
    part = document.campaign
    start, end = request.start_date, request.end_date
    if end is None:
        end = _day(start, part.duration_days)
        if end is None:
            raise Invalid(
                "The plan would run past the calendar we compute in.",
                [FieldError("start_date", f"The plan runs {part.duration_days} days from it.")],
            )
    plan = _Plan(start, end, _Members(workspace.members, reassign), workspace)
    owner = request.owner_id or plan.members.resolve(part.owner, "owner of the campaign")

    goals = _goals(plan, document)
    phases = _phases(plan, document, end_given=request.end_date is not None)
    risks = [
        NewRiskOut(
            description=r.description,
            phase_ref=f"phases.{r.phase_index}" if r.phase_index is not None else None,
            probability=r.probability,
            impact=r.impact,
            mitigation=r.mitigation,
            owner_id=plan.members.resolve(r.owner, "owner of a risk"),
        )
        for r in document.risks
    ]
    tasks = _tasks(plan, document, owner, {goal.ref for goal in goals})
    channel_keys = _channels(plan, document)
    budget, lines = _budget(document, request, channel_keys)
    rules = _rules(plan, document)
    lessons = _lessons(document)

    for member_id, name in plan.members.gone.items():
        plan.warn(
            "member_not_in_workspace",
            f"{name} is no longer a member of the workspace "
            f"({'; '.join(plan.members.held[member_id])}): their tasks go to the campaign's "
            "owner, the rest is left without (name someone in reassign).",
            f"members/{member_id}",
        )
    if goals:
        plan.warn(
            "targets_to_confirm",
            f"{len(goals)} goal{'s have their' if len(goals) > 1 else ' has its'} target to "
            "confirm (the source's is shown as reference_target); the campaign cannot be "
            "submitted until each is set.",
        )

    return NewCampaignPreviewOut(
        source=source,
        campaign=NewCampaignPartOut(
            name=request.name,
            kind=part.kind,
            start_date=start,
            end_date=end,
            duration_days=(end - start).days,
            timezone=part.timezone,
            currency=part.currency,
            owner_id=owner,
            owner_name=workspace.members.get(owner) if owner else None,
            background=part.background,
            objective_summary=part.objective_summary,
            target_audience=part.target_audience,
            core_message=part.core_message,
            channels=part.channels,
            channel_keys=channel_keys,
            tags=part.tags if request.tags is None else request.tags,
        ),
        counts=NewCampaignCountsOut(
            goals=len(goals),
            budget_lines=len(lines),
            phases=len(phases),
            risks=len(risks),
            tasks=len(tasks),
            dependencies=sum(len(t.predecessors) for t in tasks),
            rules=len(rules),
            lessons=len(lessons),
        ),
        goals=goals,
        budget=budget,
        budget_lines=lines,
        phases=phases,
        risks=risks,
        tasks=tasks,
        rules=rules,
        lessons=lessons,
        warnings=plan.warnings,
    )


def _budget(
    document: TemplateDocument, request: NewCampaignIn, channel_keys: list[str]
) -> tuple[NewBudgetOut, list[NewBudgetLineOut]]:
    source = document.budget_lines
    amounts = [x.reference_amount for x in source]
    reference = sum(amounts, Decimal(0))
    if request.total_budget is not None and reference == 0:
        raise Invalid(
            "The source plan has no budget to share a total by.",
            [FieldError("total_budget", "The source has no planned budget: leave it out.")],
        )
    if request.total_budget is None:
        planned, total = amounts, reference
    else:
        total = request.total_budget
        planned = shares.share_out(amounts, [x.category.value for x in source], total)
    lines = [
        NewBudgetLineOut(
            category=x.category,
            planned_amount=amount,
            share_percent=shares.percent(amount, total),
            note=x.note,
            channel_key=x.channel_key if x.channel_key in channel_keys else None,
            task_code=x.task_code,
        )
        for x, amount in zip(source, planned, strict=True)
    ]
    by_category: dict[BudgetCategory, Decimal] = {}
    for line in lines:
        by_category[line.category] = (
            by_category.get(line.category, Decimal(0)) + line.planned_amount
        )
    budget = NewBudgetOut(
        total=total,
        reference_total=reference,
        scaled=request.total_budget is not None,
        contingency_share_percent=shares.percent(
            by_category.get(BudgetCategory.contingency, Decimal(0)), total
        ),
        categories=[
            NewBudgetCategoryOut(
                category=category, planned=amount, share_percent=shares.percent(amount, total)
            )
            for category, amount in by_category.items()
        ],
    )
    return budget, lines
