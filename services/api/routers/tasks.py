"""The work breakdown of a campaign, its schedule (critical path) and each task's timeline."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.deps import (
    AppRuntime,
    Caller,
    ChangeableCampaign,
    DbSession,
    Editor,
    Idempotent,
    IfMatch,
    Pagination,
    ReadableCampaign,
    Viewer,
    set_etag,
)
from services.api.problems import problem_responses
from shared.campaigns import service as campaigns
from shared.campaigns.models import Campaign, Level
from shared.pagination import Page
from shared.tasks import reads, service
from shared.tasks.models import Task, TaskLevel, TaskStatus
from shared.tasks.schemas import ScheduleOut, TaskBulkCreate, TaskCreate, TaskOut, TaskUpdate
from shared.timeutil import utcnow

router = APIRouter(tags=["tasks"])


async def _task_out(session: AsyncSession, campaign: Campaign, task: Task) -> TaskOut:
    [view] = await reads.task_views(session, campaign, [task], utcnow())
    return TaskOut.model_validate(view)


async def _task_and_campaign(
    session: AsyncSession, caller: Caller, task_id: uuid.UUID, lock: bool
) -> tuple[Task, Campaign]:
    task = await service.get_task(session, workspace_id=caller.workspace_id, task_id=task_id)
    campaign = await campaigns.get_campaign(
        session, workspace_id=caller.workspace_id, campaign_id=task.campaign_id, lock=lock
    )
    return task, campaign


@router.get(
    "/v1/campaigns/{campaign_id}/tasks",
    summary="List the campaign's tasks, with derived overdue, slip and critical path",
    response_model=Page[TaskOut],
    responses=problem_responses(400, 404, 422),
)
async def list_tasks(
    campaign: ReadableCampaign,
    session: DbSession,
    page: Pagination,
    status_: Annotated[list[TaskStatus] | None, Query(alias="status")] = None,
    owner_id: uuid.UUID | None = None,
    priority: Level | None = None,
    level: TaskLevel | None = None,
    overdue: bool | None = None,
    critical: Annotated[bool | None, Query(description="On the critical path")] = None,
    parent_id: uuid.UUID | None = None,
    goal_id: uuid.UUID | None = None,
) -> Page[TaskOut]:
    filters = reads.TaskFilters(
        status_, owner_id, priority, level, overdue, critical, parent_id, goal_id
    )
    results = await reads.list_tasks(session, campaign, filters=filters, page=page, now=utcnow())
    return Page[TaskOut](
        items=[TaskOut.model_validate(view) for view in results.items],
        next_cursor=results.next_cursor,
    )


@router.post(
    "/v1/campaigns/{campaign_id}/tasks",
    summary="Add a task (or strategy or module) to the breakdown",
    status_code=status.HTTP_201_CREATED,
    response_model=TaskOut,
    dependencies=[Idempotent],
    responses=problem_responses(404, 409, 415, 422),
)
async def create_task(
    body: TaskCreate,
    campaign: ChangeableCampaign,
    session: DbSession,
    caller: Editor,
    response: Response,
) -> TaskOut:
    data = body.model_dump()
    task = await service.create_task(session, campaign=campaign, data=data, actor=caller)
    response.headers["Location"] = f"/v1/tasks/{task.id}"
    set_etag(response, task.version)
    return await _task_out(session, campaign, task)


@router.post(
    "/v1/campaigns/{campaign_id}/tasks/bulk",
    summary="Create a whole breakdown in one call (all or nothing)",
    description="Items refer to each other (and to existing tasks) by code: `parent_code`, "
    "`predecessors[].code`. Any invalid item fails the whole call with a 422 whose `errors` "
    "name each item (`tasks.3.owner_id`).",
    status_code=status.HTTP_201_CREATED,
    response_model=list[TaskOut],
    dependencies=[Idempotent],
    responses=problem_responses(404, 409, 413, 415, 422),
)
async def bulk_create_tasks(
    body: TaskBulkCreate, campaign: ChangeableCampaign, session: DbSession, caller: Editor
) -> list[TaskOut]:
    created = await service.bulk_create(
        session, campaign=campaign, items=[item.model_dump() for item in body.tasks], actor=caller
    )
    return [
        TaskOut.model_validate(view)
        for view in await reads.task_views(session, campaign, created, utcnow())
    ]


@router.get(
    "/v1/tasks/{task_id}",
    summary="Get a task",
    response_model=TaskOut,
    responses=problem_responses(404, 422),
)
async def get_task(
    task_id: uuid.UUID, session: DbSession, caller: Viewer, response: Response
) -> TaskOut:
    task, campaign = await _task_and_campaign(session, caller, task_id, lock=False)
    set_etag(response, task.version)
    return await _task_out(session, campaign, task)


@router.patch(
    "/v1/tasks/{task_id}",
    summary="Edit a task, move it through its statuses",
    description="`in_review` and, for a task with an approver, `done` are reached through "
    "the review actions (`POST /v1/tasks/{id}/submit`, `/accept`, `/return`): PATCH is 409 "
    "`sign_off_required`, and a task in review changes status only by them (409 "
    "`task_in_review`). A new `owner_id` sends `task.assigned` to the new owner.",
    response_model=TaskOut,
    responses=problem_responses(404, 409, 412, 415, 422),
)
async def update_task(
    task_id: uuid.UUID,
    body: TaskUpdate,
    session: DbSession,
    caller: Editor,
    if_match: IfMatch,
    response: Response,
) -> TaskOut:
    task, campaign = await _task_and_campaign(session, caller, task_id, lock=True)
    task = await service.update_task(
        session,
        campaign=campaign,
        task=task,
        changes=body.model_dump(),
        expected_versions=if_match,
        actor=caller,
        now=utcnow(),
    )
    set_etag(response, task.version)
    return await _task_out(session, campaign, task)


@router.delete(
    "/v1/tasks/{task_id}",
    summary="Remove a task without children",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 409, 412, 422),
)
async def delete_task(
    task_id: uuid.UUID, session: DbSession, caller: Editor, if_match: IfMatch
) -> None:
    task, campaign = await _task_and_campaign(session, caller, task_id, lock=True)
    await service.delete_task(session, campaign=campaign, task=task, expected_versions=if_match)


@router.get(
    "/v1/campaigns/{campaign_id}/schedule",
    summary="Earliest/latest dates, floats, the critical path and conflicts, as Gantt rows",
    response_model=ScheduleOut,
    responses=problem_responses(404, 422),
)
async def get_schedule(
    campaign: ReadableCampaign, session: DbSession, runtime: AppRuntime
) -> Response:
    body = await reads.schedule_json(
        session,
        campaign,
        cache=runtime.redis,
        prefix=runtime.settings.redis_prefix,
        now=utcnow(),
    )
    return Response(body, media_type="application/json")
