"""Making the new campaign exactly as its preview says, through the domains' own service
functions (so their checks apply): the draft, its channels, goals, phases, the breakdown,
budget lines, risks, rules; then the lessons, the origin and a note in the execution log.
All in the caller's transaction."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.activity.service import NoteKind, add_note
from shared.actor import Actor
from shared.allocations import references
from shared.campaigns import plan
from shared.campaigns import service as campaigns
from shared.campaigns.models import Campaign
from shared.escalations import policies
from shared.figures.channels import set_campaign_channels
from shared.retrospectives.models import RetrospectiveItem
from shared.rules import service as rules
from shared.tasks import service as tasks
from shared.templates.models import CampaignLesson, CampaignOrigin
from shared.templates.preview_schemas import NewCampaignPreviewOut


async def _existing(
    session: AsyncSession, model: Any, workspace_id: uuid.UUID, ids: set[uuid.UUID | None]
) -> set[uuid.UUID]:
    """Which of `ids` still exist in the workspace (the source may have lost some since)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return set()
    found = await session.scalars(
        select(model.id).where(model.workspace_id == workspace_id, model.id.in_(wanted))
    )
    return set(found)


async def make(
    session: AsyncSession,
    *,
    actor: Actor,
    preview: NewCampaignPreviewOut,
    template_id: uuid.UUID | None,
) -> tuple[Campaign, CampaignOrigin]:
    part = preview.campaign
    created = await campaigns.create_campaign(
        session,
        actor=actor,
        data={
            "name": part.name,
            "kind": part.kind,
            "background": part.background,
            "objective_summary": part.objective_summary,
            "target_audience": part.target_audience,
            "core_message": part.core_message,
            "channels": part.channels,
            "start_date": part.start_date,
            "end_date": part.end_date,
            "timezone": part.timezone,
            "currency": part.currency,
            "owner_id": part.owner_id,
            "tags": part.tags,
        },
    )
    campaign = await campaigns.get_campaign(
        session, workspace_id=actor.workspace_id, campaign_id=created["id"]
    )
    if part.channel_keys:
        await set_campaign_channels(session, campaign=campaign, keys=part.channel_keys)

    goal_ids: dict[str, uuid.UUID] = {}
    for goal in preview.goals:
        data = goal.model_dump(
            include={
                "goal_type",
                "strategy",
                "metric_key",
                "target_kind",
                "target_value",
                "baseline_value",
                "direction",
                "owner_id",
                "due_date",
                "notes",
            }
        )
        made = await plan.create_item(session, plan.GOALS, campaign=campaign, data=data)
        goal_ids[goal.ref] = made.id

    phase_ids: dict[str, uuid.UUID] = {}
    for phase in preview.phases:
        data = phase.model_dump(exclude={"ref"})
        phase_ids[phase.ref] = (
            await plan.create_item(session, plan.PHASES, campaign=campaign, data=data)
        ).id

    task_ids: dict[str, uuid.UUID] = {}
    if preview.tasks:
        made_tasks = await tasks.bulk_create(
            session,
            campaign=campaign,
            items=[
                t.model_dump(exclude={"goal_ref", "phase_ref"})
                | {
                    "goal_id": goal_ids.get(t.goal_ref) if t.goal_ref else None,
                    "phase_id": phase_ids.get(t.phase_ref) if t.phase_ref else None,
                }
                for t in preview.tasks
            ],
            actor=actor,
        )
        task_ids = {t.code: t.id for t in made_tasks}

    for line in preview.budget_lines:
        await plan.create_item(
            session,
            references.BUDGET_LINES,
            campaign=campaign,
            data={
                "category": line.category,
                "planned_amount": line.planned_amount,
                "note": line.note,
                "channel_key": line.channel_key,
                "task_id": task_ids.get(line.task_code) if line.task_code else None,
            },
        )

    for risk in preview.risks:
        data = risk.model_dump(exclude={"phase_ref"}) | {
            "phase_id": phase_ids.get(risk.phase_ref) if risk.phase_ref else None
        }
        await plan.create_item(session, plan.RISKS, campaign=campaign, data=data)

    for rule in preview.rules:
        data = rule.model_dump(exclude={"ref"}) | {"campaign_id": campaign.id}
        made_rule = await rules.create_rule(session, workspace_id=campaign.workspace_id, data=data)
        await policies.check_policy_reference(
            session, workspace_id=campaign.workspace_id, policy_id=made_rule.escalation_policy_id
        )

    # The source and its items may be gone since a template was saved: keep the text.
    source_id = preview.source.campaign_id
    sources = await _existing(session, Campaign, campaign.workspace_id, {source_id})
    items = await _existing(
        session,
        RetrospectiveItem,
        campaign.workspace_id,
        {lesson.source_item_id for lesson in preview.lessons},
    )
    for lesson in preview.lessons:
        session.add(
            CampaignLesson(
                workspace_id=campaign.workspace_id,
                campaign_id=campaign.id,
                done=False,
                **lesson.model_dump(exclude={"source_campaign_id", "source_item_id"}),
                source_campaign_id=lesson.source_campaign_id
                if lesson.source_campaign_id in sources
                else None,
                source_item_id=lesson.source_item_id if lesson.source_item_id in items else None,
            )
        )

    origin = CampaignOrigin(
        workspace_id=campaign.workspace_id,
        campaign_id=campaign.id,
        template_id=template_id,
        template_name=preview.source.template_name,
        source_campaign_id=source_id if source_id in sources else None,
        source_campaign_name=preview.source.campaign_name,
        summary={
            "counts": preview.counts.model_dump(mode="json"),
            "budget_total": str(preview.budget.total),
            "budget_scaled": preview.budget.scaled,
            "warnings": [w.model_dump(mode="json") for w in preview.warnings],
            "goals": [
                {
                    "goal_id": str(goal_ids[g.ref]),
                    "metric_key": g.metric_key,
                    "reference_target": _text(g.reference_target),
                    "reference_baseline": _text(g.reference_baseline),
                }
                for g in preview.goals
            ],
        },
        created_by_member_id=actor.member_id,
        created_by_api_key_id=actor.api_key_id,
    )
    session.add(origin)
    await session.flush()
    await add_note(
        session,
        campaign=campaign,
        actor=actor,
        kind=NoteKind.note,
        note=_note(preview),
        related_task_ids=[],
    )
    return campaign, origin


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _note(preview: NewCampaignPreviewOut) -> str:
    source = preview.source
    origin = (
        f"template '{source.template_name}' (saved from {source.campaign_name})"
        if source.type == "template"
        else f"campaign '{source.campaign_name}'"
    )
    counts = preview.counts
    return (
        f"Started from {origin}: {counts.goals} goals (targets to confirm), "
        f"{counts.budget_lines} budget lines ({preview.budget.total} {preview.campaign.currency}), "
        f"{counts.phases} phases, {counts.risks} risks, {counts.tasks} tasks with "
        f"{counts.dependencies} dependencies, {counts.rules} rules, {counts.lessons} lessons "
        f"carried over; {len(preview.warnings)} warnings."
    )
