"""Tracked problems: the brief's issue table, comments, history, the response and
resolution SLAs."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from services.api.deps import (
    Admin,
    DbSession,
    Editor,
    Idempotent,
    IfMatch,
    Pagination,
    Viewer,
    set_etag,
)
from services.api.problems import problem_responses
from shared.activity.models import ActivityEntry
from shared.issues import queries, service, sla
from shared.issues.models import Issue, IssueSource, IssueStatus, Severity
from shared.issues.schemas import (
    CommentCreate,
    CommentOut,
    FieldChangeOut,
    HistoryEntryOut,
    IssueCreate,
    IssueOut,
    IssueUpdate,
    ReopenRequest,
    ResolutionTimesIn,
    ResolutionTimesOut,
    ResponseTimesIn,
    ResponseTimesOut,
)
from shared.pagination import Page, page_of
from shared.timeutil import utcnow

router = APIRouter(prefix="/v1/issues", tags=["issues"])

IssueSort = Literal[
    "created_at",
    "-created_at",
    "response_due_at",
    "-response_due_at",
    "resolution_due_at",
    "-resolution_due_at",
    "expected_resolution_date",
    "-expected_resolution_date",
]


def _issue_out(issue: Issue, now: datetime) -> IssueOut:
    fields = {name: getattr(issue, name) for name in IssueOut.model_fields if hasattr(issue, name)}
    return IssueOut.model_validate(
        fields
        | {
            "response_overdue": issue.response_overdue(now),
            "resolution_overdue": issue.resolution_overdue(now),
        }
    )


def _answer(issue: Issue, response: Response) -> IssueOut:
    set_etag(response, issue.version)
    return _issue_out(issue, utcnow())


def _history_out(entry: ActivityEntry) -> HistoryEntryOut:
    assert entry.entity_id is not None  # issue and comment entries always name their row
    return HistoryEntryOut(
        id=entry.id,
        at=entry.created_at,
        entity_type=entry.entity_type,
        entity_id=entry.entity_id,
        action=entry.action,
        actor_api_key_id=entry.actor_api_key_id,
        actor_member_id=entry.actor_member_id,
        changes=[
            FieldChangeOut(field=name, old=old, new=new)
            for name, (old, new) in entry.changes.items()
        ],
    )


# Before /{issue_id}: otherwise "response-times" would be read as an issue id.
@router.get(
    "/response-times",
    summary="Minutes an issue of each severity may wait for its action plan",
    response_model=ResponseTimesOut,
)
async def get_response_times(session: DbSession, caller: Viewer) -> ResponseTimesOut:
    return ResponseTimesOut.of(*await sla.response_times(session, workspace_id=caller.workspace_id))


@router.put(
    "/response-times",
    summary="Set the response time per severity (admin)",
    description="Replaces the settings: a severity left out (or null) goes back to the "
    "default of 24 hours. New issues get `response_due_at` = opening + these minutes; "
    "issues already open keep their deadline.",
    response_model=ResponseTimesOut,
    responses=problem_responses(415, 422),
)
async def put_response_times(
    body: ResponseTimesIn, session: DbSession, caller: Admin
) -> ResponseTimesOut:
    await sla.set_response_times(
        session, workspace_id=caller.workspace_id, minutes=body.by_severity()
    )
    return ResponseTimesOut.of(*await sla.response_times(session, workspace_id=caller.workspace_id))


@router.get(
    "/resolution-times",
    summary="Minutes an issue of each severity may stay unresolved",
    response_model=ResolutionTimesOut,
)
async def get_resolution_times(session: DbSession, caller: Viewer) -> ResolutionTimesOut:
    return ResolutionTimesOut.of(
        *await sla.resolution_times(session, workspace_id=caller.workspace_id)
    )


@router.put(
    "/resolution-times",
    summary="Set the resolution time per severity (admin)",
    description="Replaces the settings: a severity left out (or null) goes back to the "
    "default of 48 hours (the manuals' emergency window). New issues get "
    "`resolution_due_at` = opening + these minutes, and so do issues whose severity "
    "changes before they are found overdue; other open issues keep their deadline. An "
    "issue still open or in progress past it is marked `resolution_overdue_at` once, "
    "with an `issue.resolution_overdue` event that its escalation policy acts on.",
    response_model=ResolutionTimesOut,
    responses=problem_responses(415, 422),
)
async def put_resolution_times(
    body: ResolutionTimesIn, session: DbSession, caller: Admin
) -> ResolutionTimesOut:
    await sla.set_resolution_times(
        session, workspace_id=caller.workspace_id, minutes=body.by_severity()
    )
    return ResolutionTimesOut.of(
        *await sla.resolution_times(session, workspace_id=caller.workspace_id)
    )


@router.get(
    "",
    summary="List issues",
    response_model=Page[IssueOut],
    responses=problem_responses(400, 422),
)
async def list_issues(
    session: DbSession,
    caller: Viewer,
    page: Pagination,
    status_: Annotated[list[IssueStatus] | None, Query(alias="status")] = None,
    severity: Annotated[list[Severity] | None, Query()] = None,
    campaign_id: uuid.UUID | None = None,
    owner_id: uuid.UUID | None = None,
    related_task_id: uuid.UUID | None = None,
    source: IssueSource | None = None,
    alert_id: uuid.UUID | None = None,
    overdue_response: Annotated[
        bool | None,
        Query(description="No action plan yet, not resolved or closed, past `response_due_at`"),
    ] = None,
    sla_breached: Annotated[
        bool | None, Query(description="The response time was found exceeded")
    ] = None,
    overdue_resolution: Annotated[
        bool | None,
        Query(description="Neither resolved nor closed, and past `resolution_due_at` now"),
    ] = None,
    resolution_breached: Annotated[
        bool | None,
        Query(description="The resolution time was found exceeded (`resolution_overdue_at`)"),
    ] = None,
    sort: Annotated[IssueSort, Query(description="`-` for descending")] = "-created_at",
) -> Page[IssueOut]:
    now = utcnow()
    filters = queries.IssueFilters(
        statuses=tuple(status_ or ()),
        severities=tuple(severity or ()),
        campaign_id=campaign_id,
        owner_id=owner_id,
        related_task_id=related_task_id,
        source=source,
        alert_id=alert_id,
        overdue_response=overdue_response,
        sla_breached=sla_breached,
        overdue_resolution=overdue_resolution,
        resolution_breached=resolution_breached,
    )
    results = await queries.list_issues(
        session, workspace_id=caller.workspace_id, filters=filters, sort=sort, page=page, now=now
    )
    return Page[IssueOut](
        items=[_issue_out(issue, now) for issue in results.items],
        next_cursor=results.next_cursor,
    )


@router.post(
    "",
    summary="Open an issue (by hand)",
    description="The owner is one member of the workspace; a related task must belong to "
    "the campaign. The action plan is due `response_due_at` (the workspace's response "
    "time for the severity, 24 hours by default); giving it sets `responded_at`. The "
    "issue is to be resolved by `resolution_due_at` (the resolution time, 48 hours by "
    "default).",
    status_code=status.HTTP_201_CREATED,
    response_model=IssueOut,
    dependencies=[Idempotent],
    responses=problem_responses(409, 415, 422),
)
async def create_issue(
    body: IssueCreate, session: DbSession, caller: Editor, response: Response
) -> IssueOut:
    issue = await service.create_issue(
        session,
        workspace_id=caller.workspace_id,
        data=body.model_dump(),
        actor=caller,
        now=utcnow(),
    )
    response.headers["Location"] = f"/v1/issues/{issue.id}"
    return _answer(issue, response)


@router.get(
    "/{issue_id}",
    summary="Get an issue",
    response_model=IssueOut,
    responses=problem_responses(404, 422),
)
async def get_issue(
    issue_id: uuid.UUID, session: DbSession, caller: Viewer, response: Response
) -> IssueOut:
    issue = await service.get_issue(session, workspace_id=caller.workspace_id, issue_id=issue_id)
    return _answer(issue, response)


@router.patch(
    "/{issue_id}",
    summary="Edit an issue, move it through its statuses",
    description="Statuses: open <-> in_progress; either -> resolved or closed; resolved -> "
    "closed. `allowed_statuses` lists what is accepted next; anything else is 409 "
    "`invalid_transition`. Resolving sets `resolved_at` and progress 100, closing sets "
    "`closed_at`. A closed issue is final (409 `issue_closed`) until reopened with "
    "`POST /v1/issues/{id}/reopen`, which is also the way back from resolved.",
    response_model=IssueOut,
    responses=problem_responses(404, 409, 412, 415, 422),
)
async def update_issue(
    issue_id: uuid.UUID,
    body: IssueUpdate,
    session: DbSession,
    caller: Editor,
    if_match: IfMatch,
    response: Response,
) -> IssueOut:
    issue = await service.get_issue(
        session, workspace_id=caller.workspace_id, issue_id=issue_id, lock=True
    )
    issue = await service.update_issue(
        session, issue=issue, changes=body.model_dump(), expected_versions=if_match, now=utcnow()
    )
    return _answer(issue, response)


@router.post(
    "/{issue_id}/reopen",
    summary="Reopen a resolved or closed issue, saying why",
    description="Back to `open`; `resolved_at` and `closed_at` are cleared and the reason "
    "is kept as a comment. 409 `invalid_transition` for an issue still open.",
    response_model=IssueOut,
    responses=problem_responses(404, 409, 412, 415, 422),
)
async def reopen_issue(
    issue_id: uuid.UUID,
    body: ReopenRequest,
    session: DbSession,
    caller: Editor,
    if_match: IfMatch,
    response: Response,
) -> IssueOut:
    issue = await service.get_issue(
        session, workspace_id=caller.workspace_id, issue_id=issue_id, lock=True
    )
    issue = await service.reopen_issue(
        session,
        issue=issue,
        reason=body.reason,
        expected_versions=if_match,
        actor=caller,
        now=utcnow(),
    )
    return _answer(issue, response)


@router.get(
    "/{issue_id}/comments",
    summary="The issue's comments, oldest first",
    response_model=Page[CommentOut],
    responses=problem_responses(400, 404, 422),
)
async def list_comments(
    issue_id: uuid.UUID, session: DbSession, caller: Viewer, page: Pagination
) -> Page[CommentOut]:
    issue = await service.get_issue(session, workspace_id=caller.workspace_id, issue_id=issue_id)
    return page_of(await queries.list_comments(session, issue=issue, page=page), CommentOut)


@router.post(
    "/{issue_id}/comments",
    summary="Comment on an issue",
    status_code=status.HTTP_201_CREATED,
    response_model=CommentOut,
    dependencies=[Idempotent],
    responses=problem_responses(404, 409, 415, 422),
)
async def add_comment(
    issue_id: uuid.UUID, body: CommentCreate, session: DbSession, caller: Editor
) -> CommentOut:
    issue = await service.get_issue(session, workspace_id=caller.workspace_id, issue_id=issue_id)
    comment = await service.add_comment(
        session, issue=issue, body=body.body, actor=caller, now=utcnow()
    )
    return CommentOut.model_validate(comment)


@router.get(
    "/{issue_id}/history",
    summary="Every change to the issue and its comments: who, when, field, before, after",
    description="Oldest first. Changes made by campaignops itself (an SLA breach found by "
    "the worker, a comment from a resolved alert) carry no API key or member.",
    response_model=Page[HistoryEntryOut],
    responses=problem_responses(400, 404, 422),
)
async def issue_history(
    issue_id: uuid.UUID, session: DbSession, caller: Viewer, page: Pagination
) -> Page[HistoryEntryOut]:
    issue = await service.get_issue(session, workspace_id=caller.workspace_id, issue_id=issue_id)
    results = await queries.list_history(session, issue=issue, page=page)
    return Page[HistoryEntryOut](
        items=[_history_out(entry) for entry in results.items], next_cursor=results.next_cursor
    )
