"""Reading issues: filtered lists, comments, and the history of changes."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.activity.models import ActivityEntry
from shared.issues.models import (
    AWAITING_WORK,
    Issue,
    IssueComment,
    IssueSource,
    IssueStatus,
    Severity,
)
from shared.pagination import PageRequest, Results, SortKey, created_order, paginate
from shared.tenancy import in_workspace

_FAR_FUTURE = date(9999, 12, 31)
_NO_EXPECTED_DATE = func.coalesce(Issue.expected_resolution_date, _FAR_FUTURE)

SORTS: dict[str, SortKey] = {
    "created_at": SortKey("created_at", Issue.created_at, "datetime"),
    "-created_at": SortKey("created_at", Issue.created_at, "datetime", descending=True),
    "response_due_at": SortKey("response_due_at", Issue.response_due_at, "datetime"),
    "-response_due_at": SortKey(
        "response_due_at", Issue.response_due_at, "datetime", descending=True
    ),
    "resolution_due_at": SortKey("resolution_due_at", Issue.resolution_due_at, "datetime"),
    "-resolution_due_at": SortKey(
        "resolution_due_at", Issue.resolution_due_at, "datetime", descending=True
    ),
    # Issues without an expected date sort as if due at the end of time.
    "expected_resolution_date": SortKey(
        "expected_resolution_date", _NO_EXPECTED_DATE, "date", null_as=_FAR_FUTURE
    ),
    "-expected_resolution_date": SortKey(
        "expected_resolution_date",
        _NO_EXPECTED_DATE,
        "date",
        descending=True,
        null_as=_FAR_FUTURE,
    ),
}


def response_overdue(now: datetime) -> ColumnElement[bool]:
    """No action plan yet, still awaiting work, and past its response time."""
    return and_(
        Issue.responded_at.is_(None),
        Issue.status.in_(AWAITING_WORK),
        Issue.response_due_at <= now,
    )


def resolution_overdue(now: datetime) -> ColumnElement[bool]:
    """Still awaiting work (not resolved or closed) past its resolution time."""
    return and_(Issue.status.in_(AWAITING_WORK), Issue.resolution_due_at <= now)


@dataclass(frozen=True)
class IssueFilters:
    statuses: tuple[IssueStatus, ...] = ()
    severities: tuple[Severity, ...] = ()
    campaign_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    related_task_id: uuid.UUID | None = None
    source: IssueSource | None = None
    alert_id: uuid.UUID | None = None
    overdue_response: bool | None = None
    sla_breached: bool | None = None
    overdue_resolution: bool | None = None
    resolution_breached: bool | None = None


async def list_issues(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    filters: IssueFilters,
    sort: str,
    page: PageRequest,
    now: datetime,
) -> Results[Issue]:
    query = in_workspace(Issue, workspace_id)
    conditions: list[Any] = []
    if filters.statuses:
        conditions.append(Issue.status.in_(filters.statuses))
    if filters.severities:
        conditions.append(Issue.severity.in_(filters.severities))
    for column, value in (
        (Issue.campaign_id, filters.campaign_id),
        (Issue.owner_id, filters.owner_id),
        (Issue.related_task_id, filters.related_task_id),
        (Issue.source, filters.source),
        (Issue.alert_id, filters.alert_id),
    ):
        if value is not None:
            conditions.append(column == value)
    if filters.overdue_response is not None:
        overdue = response_overdue(now)
        conditions.append(overdue if filters.overdue_response else not_(overdue))
    if filters.sla_breached is not None:
        breached = Issue.sla_breached_at.is_not(None)
        conditions.append(breached if filters.sla_breached else not_(breached))
    if filters.overdue_resolution is not None:
        late = resolution_overdue(now)
        conditions.append(late if filters.overdue_resolution else not_(late))
    if filters.resolution_breached is not None:
        marked = Issue.resolution_overdue_at.is_not(None)
        conditions.append(marked if filters.resolution_breached else not_(marked))
    return await paginate(session, query.where(*conditions), Issue, page, SORTS[sort])


async def list_comments(
    session: AsyncSession, *, issue: Issue, page: PageRequest
) -> Results[IssueComment]:
    """Oldest first: a conversation reads from the top."""
    query = in_workspace(IssueComment, issue.workspace_id).where(IssueComment.issue_id == issue.id)
    return await paginate(session, query, IssueComment, page, created_order(IssueComment))


async def list_history(
    session: AsyncSession, *, issue: Issue, page: PageRequest
) -> Results[ActivityEntry]:
    """The issue's changes and its comments, as the execution log recorded them, oldest
    first. The log is the campaign's, so the campaign narrows the search to its index."""
    comment_ids = select(IssueComment.id).where(IssueComment.issue_id == issue.id)
    query = in_workspace(ActivityEntry, issue.workspace_id).where(
        ActivityEntry.campaign_id == issue.campaign_id,
        or_(
            and_(ActivityEntry.entity_type == "issue", ActivityEntry.entity_id == issue.id),
            and_(
                ActivityEntry.entity_type == "issue_comment",
                ActivityEntry.entity_id.in_(comment_ids),
            ),
        ),
    )
    return await paginate(session, query, ActivityEntry, page, created_order(ActivityEntry))
