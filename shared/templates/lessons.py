"""What a campaign started from a template or an earlier campaign keeps: its origin (with
the goals whose targets were to confirm) and the lessons carried over, which the team
ticks off."""

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.actor import Actor
from shared.campaigns import lifecycle
from shared.campaigns.models import Campaign, Goal, TargetKind
from shared.errors import NotFound
from shared.pagination import PageRequest, Results, paginate
from shared.templates.models import CampaignLesson, CampaignOrigin
from shared.tenancy import in_workspace
from shared.versioning import apply_changes, check_version
from shared.workspaces.service import member_names


async def get_origin(session: AsyncSession, *, campaign: Campaign) -> CampaignOrigin:
    origin = await session.scalar(
        in_workspace(CampaignOrigin, campaign.workspace_id).where(
            CampaignOrigin.campaign_id == campaign.id
        )
    )
    if origin is None:
        raise NotFound(
            "The campaign was not started from a template or an earlier campaign.",
            code="no_origin",
        )
    return origin


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


async def present_origin(
    session: AsyncSession, *, campaign: Campaign, origin: CampaignOrigin
) -> dict[str, Any]:
    """The origin with each goal made from the source as it stands now (deleted ones left
    out): confirmed once the team set its target (and baseline, for a lift)."""
    summary = origin.summary
    made = {uuid.UUID(g["goal_id"]): g for g in summary.get("goals", [])}
    goals = {
        g.id: g
        for g in await session.scalars(
            in_workspace(Goal, campaign.workspace_id).where(
                Goal.campaign_id == campaign.id, Goal.id.in_(list(made))
            )
        )
    }
    tally = (
        await session.execute(
            select(func.count(), func.count().filter(CampaignLesson.done)).where(
                CampaignLesson.workspace_id == campaign.workspace_id,
                CampaignLesson.campaign_id == campaign.id,
            )
        )
    ).one()
    return {
        "campaign_id": campaign.id,
        "source": {
            "type": "template" if origin.template_name is not None else "campaign",
            "template_id": origin.template_id,
            "template_name": origin.template_name,
            "campaign_id": origin.source_campaign_id,
            "campaign_name": origin.source_campaign_name,
        },
        "counts": summary["counts"],
        "budget_total": summary["budget_total"],
        "budget_scaled": summary["budget_scaled"],
        "warnings": summary["warnings"],
        "goals_to_confirm": [
            {
                "goal_id": goal.id,
                "metric_key": goal.metric_key,
                "reference_target": _decimal(made[goal.id]["reference_target"]),
                "reference_baseline": _decimal(made[goal.id]["reference_baseline"]),
                "target_value": goal.target_value,
                "baseline_value": goal.baseline_value,
                "confirmed": goal.target_value is not None
                and (
                    goal.target_kind != TargetKind.relative_lift or goal.baseline_value is not None
                ),
            }
            for goal_id in made
            if (goal := goals.get(goal_id)) is not None
        ],
        "lessons": {"total": tally[0], "done": tally[1]},
        "created_by_member_id": origin.created_by_member_id,
        "created_at": origin.created_at,
    }


async def list_lessons(
    session: AsyncSession, *, campaign: Campaign, page: PageRequest
) -> Results[CampaignLesson]:
    query = in_workspace(CampaignLesson, campaign.workspace_id).where(
        CampaignLesson.campaign_id == campaign.id
    )
    return await paginate(session, query, CampaignLesson, page)


async def get_lesson(
    session: AsyncSession, *, campaign: Campaign, lesson_id: uuid.UUID
) -> CampaignLesson:
    lesson = await session.scalar(
        in_workspace(CampaignLesson, campaign.workspace_id).where(
            CampaignLesson.id == lesson_id, CampaignLesson.campaign_id == campaign.id
        )
    )
    if lesson is None:
        raise NotFound(f"Lesson {lesson_id} not found in this campaign.")
    return lesson


async def tick(
    session: AsyncSession,
    *,
    campaign: Campaign,
    lesson: CampaignLesson,
    done: bool,
    actor: Actor,
    now: datetime,
    expected_versions: Collection[int] | None,
) -> CampaignLesson:
    """Ticked with who and when; unticked clears both. Until the campaign is archived or
    cancelled (and not while an approval is pending, when nothing changes)."""
    check_version(lesson, expected_versions)
    lifecycle.ensure_editable(campaign, lifecycle.WORK_CLOSABLE, "Lessons carried over")
    if lesson.done == done:
        return lesson
    changes: dict[str, Any] = {
        "done": done,
        "done_at": now if done else None,
        "done_by_member_id": actor.member_id if done else None,
        "done_by_api_key_id": actor.api_key_id if done else None,
    }
    apply_changes(lesson, changes, None)
    await session.flush()
    return lesson


async def present_lessons(
    session: AsyncSession, *, campaign: Campaign, lessons: Sequence[CampaignLesson]
) -> list[dict[str, Any]]:
    names = await member_names(
        session,
        workspace_id=campaign.workspace_id,
        member_ids=[lesson.done_by_member_id for lesson in lessons],
    )
    return [
        {
            "id": lesson.id,
            "campaign_id": lesson.campaign_id,
            "position": lesson.position,
            "source_campaign_id": lesson.source_campaign_id,
            "source_campaign_name": lesson.source_campaign_name,
            "source_item_id": lesson.source_item_id,
            "stage": lesson.stage,
            "shortfall": lesson.shortfall,
            "root_cause": lesson.root_cause,
            "improvement_action": lesson.improvement_action,
            "done": lesson.done,
            "done_at": lesson.done_at,
            "done_by_member_id": lesson.done_by_member_id,
            "done_by_member_name": names.get(lesson.done_by_member_id)
            if lesson.done_by_member_id
            else None,
            "done_by_api_key_id": lesson.done_by_api_key_id,
            "created_at": lesson.created_at,
            "updated_at": lesson.updated_at,
            "version": lesson.version,
        }
        for lesson in lessons
    ]
