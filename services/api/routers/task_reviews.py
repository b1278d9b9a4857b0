"""Signing tasks off (R2): the owner submits, the approver accepts or returns."""

import uuid

from fastapi import APIRouter, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.deps import Caller, DbSession, Editor, Idempotent, IfMatch, Viewer, set_etag
from services.api.problems import problem_responses
from shared.campaigns import service as campaigns
from shared.campaigns.models import Campaign
from shared.tasks import reads, review, service
from shared.tasks.models import Task
from shared.tasks.review_schemas import AcceptIn, ReturnIn, SubmitIn, TaskReviewOut
from shared.tasks.schemas import TaskOut
from shared.timeutil import utcnow

router = APIRouter(tags=["tasks"])

WHO = (
    " Taken by the member the API key is bound to (editor role at least); another key is "
    "403, and an admin key is no bypass: to hand a review to someone else, change the "
    "task's `approver_id`."
)
ACTION_PROBLEMS = problem_responses(404, 409, 412, 415, 422)


async def _task_and_campaign(
    session: AsyncSession, caller: Caller, task_id: uuid.UUID
) -> tuple[Task, Campaign]:
    task = await service.get_task(session, workspace_id=caller.workspace_id, task_id=task_id)
    campaign = await campaigns.get_campaign(
        session, workspace_id=caller.workspace_id, campaign_id=task.campaign_id, lock=True
    )
    return task, campaign


async def _task_out(
    session: AsyncSession, campaign: Campaign, task: Task, response: Response
) -> TaskOut:
    set_etag(response, task.version)
    [view] = await reads.task_views(session, campaign, [task], utcnow())
    return TaskOut.model_validate(view)


@router.post(
    "/v1/tasks/{task_id}/submit",
    summary="Submit the deliverable for review (the task's owner)",
    description="With an approver the task goes `in_review` and the approver hears of it "
    "(`task.submitted_for_review`); without one it is done at once. From `todo`, "
    "`in_progress` or `blocked`; 409 `predecessors_not_done` unless `force_reason`." + WHO,
    response_model=TaskOut,
    dependencies=[Idempotent],
    responses=ACTION_PROBLEMS,
)
async def submit_task(
    task_id: uuid.UUID,
    body: SubmitIn,
    session: DbSession,
    caller: Editor,
    if_match: IfMatch,
    response: Response,
) -> TaskOut:
    task, campaign = await _task_and_campaign(session, caller, task_id)
    await review.submit(
        session,
        campaign=campaign,
        task=task,
        actor=caller,
        link=None if body.link is None else str(body.link),
        note=body.note or None,
        force_reason=body.force_reason,
        expected_versions=if_match,
        now=utcnow(),
    )
    return await _task_out(session, campaign, task, response)


@router.post(
    "/v1/tasks/{task_id}/accept",
    summary="Accept the deliverable: the task is done (its approver)",
    description="Only from `in_review`; the actual end is today in the campaign's timezone "
    "and progress 100%." + WHO,
    response_model=TaskOut,
    dependencies=[Idempotent],
    responses=ACTION_PROBLEMS,
)
async def accept_task(
    task_id: uuid.UUID,
    session: DbSession,
    caller: Editor,
    if_match: IfMatch,
    response: Response,
    body: AcceptIn | None = None,
) -> TaskOut:
    task, campaign = await _task_and_campaign(session, caller, task_id)
    await review.accept(
        session,
        campaign=campaign,
        task=task,
        actor=caller,
        comment=(body.comment or None) if body is not None else None,
        expected_versions=if_match,
        now=utcnow(),
    )
    return await _task_out(session, campaign, task, response)


@router.post(
    "/v1/tasks/{task_id}/return",
    summary="Return the deliverable with a comment: back to in progress (its approver)",
    description="Only from `in_review`; the owner hears of it (`task.returned`)." + WHO,
    response_model=TaskOut,
    dependencies=[Idempotent],
    responses=ACTION_PROBLEMS,
)
async def return_task(
    task_id: uuid.UUID,
    body: ReturnIn,
    session: DbSession,
    caller: Editor,
    if_match: IfMatch,
    response: Response,
) -> TaskOut:
    task, campaign = await _task_and_campaign(session, caller, task_id)
    await review.return_to_owner(
        session,
        campaign=campaign,
        task=task,
        actor=caller,
        comment=body.comment,
        expected_versions=if_match,
        now=utcnow(),
    )
    return await _task_out(session, campaign, task, response)


@router.get(
    "/v1/tasks/{task_id}/reviews",
    summary="Every submission of the task, first to last, with what was decided",
    response_model=list[TaskReviewOut],
    responses=problem_responses(404, 422),
)
async def list_task_reviews(
    task_id: uuid.UUID, session: DbSession, caller: Viewer
) -> list[TaskReviewOut]:
    task = await service.get_task(session, workspace_id=caller.workspace_id, task_id=task_id)
    return [TaskReviewOut.model_validate(r) for r in await review.list_reviews(session, task=task)]
