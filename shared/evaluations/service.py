"""The evaluation: read (live draft or finalised version), analyses edited per goal,
finalised into frozen versions, and the workspace's dimension mapping.

The close-out checklist calls `final_version` and `has_unfinalised_changes`.
"""

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.activity import service as activity
from shared.actor import Actor
from shared.campaigns.models import Campaign, CampaignStatus, Goal
from shared.errors import Conflict, FieldError, Invalid, NotFound, PreconditionFailed
from shared.evaluations import document
from shared.evaluations.models import (
    Dimension,
    EvaluationDimensionMetric,
    EvaluationGoalAnalysis,
    EvaluationVersion,
)
from shared.evaluations.schemas import (
    DimensionMetricIn,
    EvaluationDocument,
    EvaluationOut,
    GoalAnalysisOut,
)
from shared.events import kinds
from shared.events.kinds import SubjectType
from shared.events.service import record_event
from shared.metrics import service as metrics
from shared.pagination import PageRequest, Results, paginate
from shared.tenancy import in_workspace
from shared.versioning import apply_changes

# Statuses whose figures are evaluated: running (provisional), completed, archived.
RAN = frozenset({CampaignStatus.active, CampaignStatus.completed, CampaignStatus.archived})
# Analyses are written while the campaign runs (a provisional draft) and after it completes.
ANALYSABLE = frozenset({CampaignStatus.active, CampaignStatus.completed})
# Fields of the document that say when it was read, not what it found: two documents that
# differ only in them are the same evaluation.
_WHEN_READ = ("computed_at", "campaign_status", "provisional", "late_data")


def ran(campaign: Campaign) -> bool:
    if campaign.status in RAN:
        return True
    return campaign.status == CampaignStatus.cancelled and campaign.activated_at is not None


def _ensure_ran(campaign: Campaign) -> None:
    if not ran(campaign):
        raise Conflict(
            f"The campaign never ran (it is {campaign.status.value}): there is nothing to "
            "evaluate until it is active.",
            code="campaign_not_run",
            campaign_status=campaign.status.value,
        )


async def _latest(session: AsyncSession, campaign: Campaign) -> EvaluationVersion | None:
    latest: EvaluationVersion | None = await session.scalar(
        in_workspace(EvaluationVersion, campaign.workspace_id)
        .where(EvaluationVersion.campaign_id == campaign.id)
        .order_by(EvaluationVersion.number.desc())
        .limit(1)
    )
    return latest


async def final_version(session: AsyncSession, *, campaign: Campaign) -> int | None:
    """The latest finalised evaluation version of the campaign; None if never finalised."""
    number: int | None = await session.scalar(
        select(func.max(EvaluationVersion.number)).where(
            EvaluationVersion.workspace_id == campaign.workspace_id,
            EvaluationVersion.campaign_id == campaign.id,
        )
    )
    return number


async def _edited_since(session: AsyncSession, campaign: Campaign, moment: datetime | None) -> bool:
    query = select(EvaluationGoalAnalysis.id).where(
        EvaluationGoalAnalysis.workspace_id == campaign.workspace_id,
        EvaluationGoalAnalysis.campaign_id == campaign.id,
    )
    if moment is not None:
        query = query.where(EvaluationGoalAnalysis.edited_at > moment)
    return bool(await session.scalar(select(exists(query))))


async def has_unfinalised_changes(session: AsyncSession, *, campaign: Campaign) -> bool:
    """True when the evaluation was never finalised, or an analysis was edited after the
    latest finalised version (the draft would become the next version)."""
    latest = await _latest(session, campaign)
    if latest is None:
        return True
    return await _edited_since(session, campaign, latest.finalised_at)


async def dimension_mapping(
    session: AsyncSession, *, workspace_id: uuid.UUID
) -> list[tuple[str, Dimension]]:
    rows = await session.execute(
        select(EvaluationDimensionMetric.metric_key, EvaluationDimensionMetric.dimension)
        .where(EvaluationDimensionMetric.workspace_id == workspace_id)
        .order_by(EvaluationDimensionMetric.metric_key)
    )
    return [(key, dimension) for key, dimension in rows]


async def set_dimension_mapping(
    session: AsyncSession, *, workspace_id: uuid.UUID, wanted: Sequence[DimensionMetricIn]
) -> list[tuple[str, Dimension]]:
    """Replace the workspace's mapping; 422 naming each unknown or repeated metric."""
    known = await metrics.known_keys(session, workspace_id=workspace_id)
    errors, seen = [], set()
    for index, item in enumerate(wanted):
        if item.metric_key not in known:
            errors.append(
                FieldError(
                    f"metrics.{index}.metric_key",
                    f"'{item.metric_key}' is not in the metric dictionary (/v1/metrics).",
                    code="unknown_metric",
                )
            )
        elif item.metric_key in seen:
            errors.append(
                FieldError(
                    f"metrics.{index}.metric_key",
                    f"'{item.metric_key}' is mapped twice; a metric goes under one dimension.",
                    code="duplicate",
                )
            )
        seen.add(item.metric_key)
    if errors:
        raise Invalid("The mapping cannot be stored; nothing changed.", errors)
    await session.execute(
        delete(EvaluationDimensionMetric).where(
            EvaluationDimensionMetric.workspace_id == workspace_id
        )
    )
    session.add_all(
        EvaluationDimensionMetric(
            workspace_id=workspace_id, metric_key=item.metric_key, dimension=item.dimension
        )
        for item in wanted
    )
    await session.flush()
    return await dimension_mapping(session, workspace_id=workspace_id)


async def _analyses(
    session: AsyncSession, campaign: Campaign
) -> dict[uuid.UUID, EvaluationGoalAnalysis]:
    rows = await session.scalars(
        in_workspace(EvaluationGoalAnalysis, campaign.workspace_id).where(
            EvaluationGoalAnalysis.campaign_id == campaign.id
        )
    )
    return {row.goal_id: row for row in rows}


async def compute(
    session: AsyncSession, *, campaign: Campaign, now: datetime
) -> EvaluationDocument:
    """The evaluation as it stands now, with the analyses as they are."""
    return await document.compute(
        session,
        campaign=campaign,
        analyses=await _analyses(session, campaign),
        mapping=await dimension_mapping(session, workspace_id=campaign.workspace_id),
        now=now,
    )


def _finalised(row: EvaluationVersion, *, latest: int, unfinalised: bool) -> EvaluationOut:
    return EvaluationOut.model_validate(
        row.document
        | {
            "state": "finalised",
            "version": row.number,
            "latest_version": latest,
            "has_unfinalised_changes": unfinalised,
            "finalised_at": row.finalised_at,
            "finalised_by_member_id": row.finalised_by_member_id,
            "finalised_by_api_key_id": row.finalised_by_api_key_id,
        }
    )


def _draft(found: EvaluationDocument, *, latest: int | None, unfinalised: bool) -> EvaluationOut:
    return EvaluationOut.model_validate(
        found.model_dump()
        | {
            "state": "draft",
            "version": None,
            "latest_version": latest,
            "has_unfinalised_changes": unfinalised,
            "finalised_at": None,
            "finalised_by_member_id": None,
            "finalised_by_api_key_id": None,
        }
    )


async def get_evaluation(
    session: AsyncSession, *, campaign: Campaign, draft: bool, now: datetime
) -> EvaluationOut:
    """The latest finalised version (unless `draft`), else the draft computed now."""
    _ensure_ran(campaign)
    latest = await _latest(session, campaign)
    unfinalised = latest is None or await _edited_since(session, campaign, latest.finalised_at)
    if latest is not None and not draft:
        return _finalised(latest, latest=latest.number, unfinalised=unfinalised)
    found = await compute(session, campaign=campaign, now=now)
    return _draft(found, latest=latest.number if latest else None, unfinalised=unfinalised)


async def get_version(session: AsyncSession, *, campaign: Campaign, number: int) -> EvaluationOut:
    row = await session.scalar(
        in_workspace(EvaluationVersion, campaign.workspace_id).where(
            EvaluationVersion.campaign_id == campaign.id, EvaluationVersion.number == number
        )
    )
    latest = await _latest(session, campaign)
    if row is None or latest is None:
        raise NotFound(
            f"No finalised evaluation version {number} of this campaign.",
            latest_version=latest.number if latest else None,
        )
    unfinalised = await _edited_since(session, campaign, latest.finalised_at)
    return _finalised(row, latest=latest.number, unfinalised=unfinalised)


async def list_versions(
    session: AsyncSession, *, campaign: Campaign, page: PageRequest
) -> Results[EvaluationVersion]:
    query = in_workspace(EvaluationVersion, campaign.workspace_id).where(
        EvaluationVersion.campaign_id == campaign.id
    )
    return await paginate(session, query, EvaluationVersion, page)


# --- analyses -------------------------------------------------------------------------------


async def _goal(session: AsyncSession, campaign: Campaign, goal_id: uuid.UUID) -> Goal:
    goal = await session.scalar(
        in_workspace(Goal, campaign.workspace_id).where(
            Goal.id == goal_id, Goal.campaign_id == campaign.id
        )
    )
    if goal is None:
        raise NotFound(f"Goal {goal_id} not found in this campaign.")
    return goal


async def _analysis(
    session: AsyncSession, campaign: Campaign, goal_id: uuid.UUID
) -> EvaluationGoalAnalysis | None:
    found: EvaluationGoalAnalysis | None = await session.scalar(
        in_workspace(EvaluationGoalAnalysis, campaign.workspace_id).where(
            EvaluationGoalAnalysis.goal_id == goal_id,
            EvaluationGoalAnalysis.campaign_id == campaign.id,
        )
    )
    return found


async def get_analysis(
    session: AsyncSession, *, campaign: Campaign, goal_id: uuid.UUID
) -> GoalAnalysisOut:
    _ensure_ran(campaign)
    goal = await _goal(session, campaign, goal_id)
    return GoalAnalysisOut.of(goal.id, await _analysis(session, campaign, goal.id))


async def update_analysis(
    session: AsyncSession,
    *,
    campaign: Campaign,
    goal_id: uuid.UUID,
    changes: dict[str, Any],
    expected_versions: Collection[int] | None,
    actor: Actor,
    now: datetime,
) -> GoalAnalysisOut:
    """Write the goal's analysis (only the fields in `changes`). After a finalised version
    this starts the next draft; the finalised versions never change. The campaign is locked
    by the caller."""
    _ensure_ran(campaign)
    if campaign.status not in ANALYSABLE:
        raise Conflict(
            f"Analyses are written while the campaign is active or completed; it is "
            f"{campaign.status.value}, so its evaluation is closed.",
            code="evaluation_closed",
            campaign_status=campaign.status.value,
        )
    goal = await _goal(session, campaign, goal_id)
    row = await _analysis(session, campaign, goal.id)
    if row is None:
        if expected_versions is not None and 0 not in expected_versions:
            raise PreconditionFailed(
                "The goal has no analysis yet (version 0), not the one you edited.",
                current_version=0,
            )
        row = EvaluationGoalAnalysis(
            workspace_id=campaign.workspace_id,
            campaign_id=campaign.id,
            goal_id=goal.id,
            cause_category=None,
            analysis=None,
            improvement_proposal=None,
        )
        changed = True
        for name, value in changes.items():
            setattr(row, name, value)
        session.add(row)
    else:
        changed = apply_changes(row, changes, expected_versions)
    if changed:
        row.edited_at = now
        row.edited_by_member_id = actor.member_id
        row.edited_by_api_key_id = actor.api_key_id
        await session.flush()
    return GoalAnalysisOut.of(goal.id, row)


# --- finalising -----------------------------------------------------------------------------


def _comparable(found: dict[str, Any]) -> dict[str, Any]:
    """The document without what only says when it was read."""
    kept = {k: v for k, v in found.items() if k not in _WHEN_READ}
    kept["goals"] = [
        goal | {"data_source": goal["data_source"] | {"late_data_open": None}}
        for goal in found["goals"]
    ]
    return kept


async def finalise(
    session: AsyncSession, *, campaign: Campaign, actor: Actor, now: datetime
) -> EvaluationOut:
    """Freeze the evaluation as the next version (1, 2...). Only for completed campaigns;
    409 `no_changes` when it would repeat the latest version. The campaign is locked by the
    caller, so numbers follow one another."""
    if campaign.status != CampaignStatus.completed:
        raise Conflict(
            f"An evaluation is finalised once the campaign is completed; it is "
            f"{campaign.status.value}.",
            code="campaign_not_completed",
            campaign_status=campaign.status.value,
        )
    found = (await compute(session, campaign=campaign, now=now)).model_dump(mode="json")
    latest = await _latest(session, campaign)
    if latest is not None and _comparable(latest.document) == _comparable(found):
        raise Conflict(
            f"Nothing changed since version {latest.number}: no analysis was edited and the "
            "figures are the same.",
            code="no_changes",
            latest_version=latest.number,
        )
    row = EvaluationVersion(
        workspace_id=campaign.workspace_id,
        campaign_id=campaign.id,
        number=(latest.number if latest else 0) + 1,
        document=found,
        finalised_at=now,
        finalised_by_member_id=actor.member_id,
        finalised_by_api_key_id=actor.api_key_id,
    )
    session.add(row)
    await session.flush()
    await record_event(
        session,
        workspace_id=campaign.workspace_id,
        kind=kinds.CAMPAIGN_EVALUATED,
        subject_type=SubjectType.campaign.value,
        subject_id=campaign.id,
        campaign_id=campaign.id,
        actor=actor,
        data={"version": row.number},
    )
    outcomes = [goal["outcome"] for goal in found["goals"]]
    await activity.add_note(
        session,
        campaign=campaign,
        actor=actor,
        kind=activity.NoteKind.note,
        note=f"Evaluation version {row.number} finalised: {outcomes.count('met')} of "
        f"{len(outcomes)} goals met.",
        related_task_ids=[],
    )
    return _finalised(row, latest=row.number, unfinalised=False)
