"""The work breakdown of a campaign, its schedule (critical path) and each task's timeline."""

import contextlib
import hashlib
import uuid
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.deps import (
    AppRuntime,
    Caller,
    DbSession,
    Editor,
    Idempotent,
    IfMatch,
    Pagination,
    Viewer,
    set_etag,
)
from services.api.problems import problem_responses
from services.api.routers.campaigns import ChangeableCampaign, ReadableCampaign
from shared.campaigns import service as campaigns
from shared.campaigns.models import Campaign, Level
from shared.errors import FieldError, Invalid
from shared.pagination import Page, SortKey, paginate_loaded
from shared.tasks import service, views
from shared.tasks.models import Task, TaskLevel, TaskStatus
from shared.tasks.schedule import CycleError
from shared.tasks.schemas import ScheduleOut, TaskBulkCreate, TaskCreate, TaskOut, TaskUpdate
from shared.timeutil import utcnow

router = APIRouter(tags=["tasks"])
CREATED_ORDER = SortKey("created_at", Task.created_at, "datetime")


async def _views(
    session: AsyncSession, campaign: Campaign
) -> tuple[service.Graph, Any, dict[uuid.UUID, views.Derived]]:
    graph = await service.load_schedule_graph(session, campaign)
    try:
        plan = views.build_schedule(campaign, graph)
    except CycleError as exc:  # only reachable if the database was edited by hand
        raise Invalid(
            "The dependencies form a cycle.", [FieldError("predecessors", str(exc))]
        ) from exc
    return graph, plan, views.derive(campaign, graph, plan, utcnow())


async def _task_out(session: AsyncSession, campaign: Campaign, task: Task) -> TaskOut:
    graph, _, derived = await _views(session, campaign)
    return TaskOut.model_validate(views.task_view(task, graph, derived[task.id]))


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
    graph, _, derived = await _views(session, campaign)
    selected = [
        t
        for t in graph.tasks.values()
        if (not status_ or t.status in status_)
        and (owner_id is None or t.owner_id == owner_id)
        and (priority is None or t.priority == priority)
        and (level is None or t.level == level)
        and (overdue is None or derived[t.id].overdue == overdue)
        and (critical is None or derived[t.id].on_critical_path == critical)
        and (parent_id is None or t.parent_id == parent_id)
        and (goal_id is None or t.goal_id == goal_id)
    ]
    results = paginate_loaded(selected, page, CREATED_ORDER)
    index = graph.predecessor_index()
    full = await service.get_tasks(
        session, workspace_id=campaign.workspace_id, task_ids=[t.id for t in results.items]
    )
    return Page[TaskOut](
        items=[
            TaskOut.model_validate(views.task_view(full[t.id], graph, derived[t.id], index))
            for t in results.items
        ],
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
    body: TaskCreate, campaign: ChangeableCampaign, session: DbSession, response: Response
) -> TaskOut:
    data = body.model_dump()
    task = await service.create_task(session, campaign=campaign, data=data)
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
    body: TaskBulkCreate, campaign: ChangeableCampaign, session: DbSession
) -> list[TaskOut]:
    created = await service.bulk_create(
        session, campaign=campaign, items=[item.model_dump() for item in body.tasks]
    )
    graph, _, derived = await _views(session, campaign)
    index = graph.predecessor_index()
    return [
        TaskOut.model_validate(views.task_view(t, graph, derived[t.id], index)) for t in created
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


SCHEDULE_CACHE_SECONDS = 3600


@router.get(
    "/v1/campaigns/{campaign_id}/schedule",
    summary="Earliest/latest dates, floats, the critical path and conflicts, as Gantt rows",
    response_model=ScheduleOut,
    responses=problem_responses(404, 422),
)
async def get_schedule(
    campaign: ReadableCampaign, session: DbSession, runtime: AppRuntime
) -> Response:
    # Thousands of rows cost a few hundred ms to compute; they only change with the plan,
    # so the finished JSON is kept in Redis under a fingerprint of everything it shows.
    fingerprint = await service.schedule_fingerprint(
        session, campaign, campaign.local_date(utcnow())
    )
    key = (
        f"{runtime.settings.redis_prefix}:schedule:"
        + hashlib.sha256(fingerprint.encode()).hexdigest()
    )
    try:
        cached = await runtime.redis.get(key)
    except Exception:
        cached = None  # the cache is an optimisation: compute without it
    if cached is None:
        graph, plan, derived = await _views(session, campaign)
        cached = orjson.dumps(
            {
                "finish": plan.finish,
                "critical_path": graph.codes(plan.critical_path),
                "rows": views.gantt_rows(graph, plan, derived),
                "conflicts": [c._asdict() for c in plan.conflicts],
            },
            default=str,
        )
        with contextlib.suppress(Exception):
            await runtime.redis.set(key, cached, ex=SCHEDULE_CACHE_SECONDS)
    return Response(cached, media_type="application/json")
