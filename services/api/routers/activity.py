"""The execution log: one timeline per campaign and per task, and free stand-up entries."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from services.api.deps import DbSession, Editor, Idempotent, Pagination, ReadableCampaign, Viewer
from services.api.problems import problem_responses
from shared.activity import service
from shared.activity.models import EntryAction
from shared.activity.schemas import ActivityEntryOut, LogEntryCreate
from shared.activity.service import ActivityFilters, NoteKind
from shared.campaigns import service as campaigns
from shared.pagination import Page, page_of
from shared.schemas import Instant
from shared.tasks import service as tasks

router = APIRouter(tags=["activity"])


@router.get(
    "/v1/campaigns/{campaign_id}/activity",
    summary="The campaign's timeline: every change (field before/after, who, when) and note",
    response_model=Page[ActivityEntryOut],
    responses=problem_responses(400, 404, 422),
)
async def list_activity(
    campaign: ReadableCampaign,
    session: DbSession,
    page: Pagination,
    entity_type: Annotated[str | None, Query(max_length=32)] = None,
    task_id: uuid.UUID | None = None,
    action: EntryAction | None = None,
    kind: NoteKind | None = None,
    actor_member_id: uuid.UUID | None = None,
    since: Instant | None = None,  # with an offset: "the 10th" differs per zone
    until: Instant | None = None,
) -> Page[ActivityEntryOut]:
    filters = ActivityFilters(entity_type, task_id, action, kind, actor_member_id, since, until)
    results = await service.list_entries(session, campaign=campaign, filters=filters, page=page)
    return page_of(results, ActivityEntryOut)


@router.get(
    "/v1/campaigns/{campaign_id}/log",
    summary="The campaign's free entries (stand-ups, decisions, blockers...), newest first",
    response_model=Page[ActivityEntryOut],
    responses=problem_responses(400, 404, 422),
)
async def list_log(
    campaign: ReadableCampaign,
    session: DbSession,
    page: Pagination,
    kind: NoteKind | None = None,
    task_id: uuid.UUID | None = None,
) -> Page[ActivityEntryOut]:
    filters = ActivityFilters(action=EntryAction.note, kind=kind, task_id=task_id)
    results = await service.list_entries(session, campaign=campaign, filters=filters, page=page)
    return page_of(results, ActivityEntryOut)


@router.post(
    "/v1/campaigns/{campaign_id}/log",
    summary="Write a stand-up, decision or blocker entry",
    status_code=status.HTTP_201_CREATED,
    response_model=ActivityEntryOut,
    dependencies=[Idempotent],
    responses=problem_responses(404, 415, 422),
)
async def add_log_entry(
    campaign_id: uuid.UUID, body: LogEntryCreate, session: DbSession, caller: Editor
) -> ActivityEntryOut:
    campaign = await campaigns.get_campaign(
        session, workspace_id=caller.workspace_id, campaign_id=campaign_id
    )
    entry = await tasks.write_log_entry(
        session,
        campaign=campaign,
        actor=caller,
        kind=body.kind,
        note=body.note,
        related_task_ids=body.related_task_ids,
    )
    return ActivityEntryOut.model_validate(entry)


@router.get(
    "/v1/tasks/{task_id}/activity",
    summary="One task's timeline: its changes and the entries about it",
    response_model=Page[ActivityEntryOut],
    responses=problem_responses(400, 404, 422),
)
async def list_task_activity(
    task_id: uuid.UUID, session: DbSession, caller: Viewer, page: Pagination
) -> Page[ActivityEntryOut]:
    task = await tasks.get_task(session, workspace_id=caller.workspace_id, task_id=task_id)
    campaign = await campaigns.get_campaign(
        session, workspace_id=caller.workspace_id, campaign_id=task.campaign_id
    )
    results = await service.list_entries(
        session, campaign=campaign, filters=ActivityFilters(task_id=task.id), page=page
    )
    return page_of(results, ActivityEntryOut)
