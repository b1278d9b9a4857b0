"""Issues: one owner, same-campaign references, the status table, the response and
resolution SLAs.

Every change goes through the ORM, so the execution log's change tracking records it
(who, when, field, before, after): that log is the issue's history.
"""

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.actor import Actor
from shared.campaigns.models import Campaign
from shared.errors import Conflict, FieldError, Invalid
from shared.events import kinds
from shared.events.service import record_event
from shared.issues.models import (
    REOPENABLE,
    TRANSITIONS,
    CommentKind,
    Issue,
    IssueComment,
    IssueSource,
    IssueStatus,
    Severity,
)
from shared.issues.sla import resolution_due, response_due
from shared.tasks.models import Task
from shared.tenancy import get_in_workspace
from shared.versioning import apply_changes, check_version
from shared.workspaces.service import check_member_fields

# --- reading ------------------------------------------------------------------------------


async def get_issue(
    session: AsyncSession, *, workspace_id: uuid.UUID, issue_id: uuid.UUID, lock: bool = False
) -> Issue:
    """`lock`: held until commit, so an edit and the SLA watch never interleave."""
    return await get_in_workspace(
        session,
        Issue,
        workspace_id=workspace_id,
        entity_id=issue_id,
        label="Issue",
        for_update=lock,
    )


# --- validation ---------------------------------------------------------------------------


async def _campaign_errors(
    session: AsyncSession, workspace_id: uuid.UUID, campaign_id: uuid.UUID
) -> list[FieldError]:
    found = await session.scalar(
        select(Campaign.id).where(Campaign.workspace_id == workspace_id, Campaign.id == campaign_id)
    )
    if found is None:
        return [FieldError("campaign_id", f"No campaign {campaign_id} in this workspace.")]
    return []


async def _task_errors(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    campaign_id: uuid.UUID,
    task_id: uuid.UUID | None,
) -> list[FieldError]:
    if task_id is None:
        return []
    task_campaign = await session.scalar(
        select(Task.campaign_id).where(Task.workspace_id == workspace_id, Task.id == task_id)
    )
    if task_campaign is None:
        return [FieldError("related_task_id", f"No task {task_id} in this workspace.")]
    if task_campaign != campaign_id:
        return [
            FieldError(
                "related_task_id",
                "The task belongs to another campaign than the issue.",
                code="other_campaign",
            )
        ]
    return []


# --- writes -------------------------------------------------------------------------------


async def _issue_created(session: AsyncSession, issue: Issue, actor: Actor | None) -> None:
    await record_event(
        session,
        workspace_id=issue.workspace_id,
        kind=kinds.ISSUE_CREATED,
        subject_type="issue",
        subject_id=issue.id,
        campaign_id=issue.campaign_id,
        actor=actor,
        data={
            "title": issue.title,
            "severity": issue.severity.value,
            "source": issue.source.value,
            "owner_id": str(issue.owner_id),
            "alert_id": None if issue.alert_id is None else str(issue.alert_id),
            "response_due_at": issue.response_due_at.isoformat(),
            "resolution_due_at": issue.resolution_due_at.isoformat(),
        },
    )


async def create_issue(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    data: dict[str, Any],
    actor: Actor | None,
    now: datetime,
    source: IssueSource = IssueSource.manual,
) -> Issue:
    """A manual issue (or one of another `source` whose link is in `data`, such as a
    retrospective item's); its response and its resolution are due after the workspace's
    times for its severity."""
    campaign_id: uuid.UUID = data["campaign_id"]
    errors = await _campaign_errors(session, workspace_id, campaign_id)
    if not errors:
        errors += await _task_errors(
            session, workspace_id, campaign_id, data.get("related_task_id")
        )
    errors += await check_member_fields(
        session, workspace_id=workspace_id, fields={"owner_id": data["owner_id"]}
    )
    if errors:
        raise Invalid("The issue is not valid.", errors)
    severity = Severity(data["severity"])
    issue = Issue(
        workspace_id=workspace_id,
        **data,
        status=IssueStatus.open,
        source=source,
        opened_at=now,
        response_due_at=await response_due(session, workspace_id, severity, now),
        resolution_due_at=await resolution_due(session, workspace_id, severity, now),
        responded_at=now if data.get("action_plan") else None,
    )
    session.add(issue)
    await session.flush()
    await _issue_created(session, issue, actor)
    return issue


async def _issue_of_alert(session: AsyncSession, alert_id: uuid.UUID) -> Issue | None:
    return await session.scalar(select(Issue).where(Issue.alert_id == alert_id))


async def open_issue_for_alert(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    campaign_id: uuid.UUID,
    alert_id: uuid.UUID,
    title: str,
    description: str,
    severity: str,
    owner_id: uuid.UUID,
    related_task_id: uuid.UUID | None = None,
    now: datetime,
) -> Issue:
    """The alert's one issue: opened now, or the one opened before (by any transaction).

    Two transactions opening it at once both insert; the partial unique index on
    `alert_id` makes the later one wait for the first and then refuse its row. That
    refusal is confined to a savepoint, so the caller's transaction carries on with the
    issue the first one committed. (An ORM insert rather than ON CONFLICT DO NOTHING:
    the execution log's change tracking only sees ORM flushes.)
    """
    existing = await _issue_of_alert(session, alert_id)
    if existing is not None:
        return existing
    level = Severity(severity)
    issue = Issue(
        workspace_id=workspace_id,
        campaign_id=campaign_id,
        related_task_id=related_task_id,
        title=title[:200],
        description=description,
        owner_id=owner_id,
        progress=0,
        status=IssueStatus.open,
        severity=level,
        source=IssueSource.alert,
        alert_id=alert_id,
        opened_at=now,
        response_due_at=await response_due(session, workspace_id, level, now),
        resolution_due_at=await resolution_due(session, workspace_id, level, now),
    )
    try:
        async with session.begin_nested():
            session.add(issue)
            await session.flush()
    except IntegrityError:
        existing = await _issue_of_alert(session, alert_id)
        if existing is None:
            raise  # not the race on the alert: a real error
        return existing
    await _issue_created(session, issue, None)
    return issue


async def note_alert_resolved(
    session: AsyncSession, *, alert_id: uuid.UUID, note: str, now: datetime
) -> None:
    """A system comment on the alert's issue; the issue stays as it is (a person closes it)."""
    for issue in (await session.scalars(select(Issue).where(Issue.alert_id == alert_id))).all():
        session.add(_comment(issue, note, CommentKind.system, None, now))
    await session.flush()


def _check_transition(issue: Issue, target: IssueStatus) -> None:
    if target in TRANSITIONS[issue.status]:
        return
    hint = " Reopen it with POST /v1/issues/{id}/reopen." if issue.status in REOPENABLE else ""
    raise Conflict(
        f"An issue that is {issue.status.value} cannot become {target.value}.{hint}",
        code="invalid_transition",
        issue_status=issue.status.value,
        allowed_statuses=[s.value for s in issue.allowed_statuses],
    )


async def update_issue(
    session: AsyncSession,
    *,
    issue: Issue,
    changes: dict[str, Any],
    expected_versions: Collection[int] | None,
    now: datetime,
) -> Issue:
    check_version(issue, expected_versions)
    changes = {name: value for name, value in changes.items() if getattr(issue, name) != value}
    if not changes:
        return issue
    if issue.status == IssueStatus.closed:
        raise Conflict(
            "A closed issue does not change; reopen it first with POST /v1/issues/{id}/reopen.",
            code="issue_closed",
            issue_status=issue.status.value,
        )
    errors = await _task_errors(
        session, issue.workspace_id, issue.campaign_id, changes.get("related_task_id")
    )
    if "owner_id" in changes:
        errors += await check_member_fields(
            session, workspace_id=issue.workspace_id, fields={"owner_id": changes["owner_id"]}
        )
    if errors:
        raise Invalid("The issue is not valid.", errors)

    status = changes.get("status")
    if status is not None:
        _check_transition(issue, status)
        if status == IssueStatus.resolved:
            changes |= {"resolved_at": now, "progress": 100}
        elif status == IssueStatus.closed:
            changes["closed_at"] = now
    if changes.get("action_plan") and issue.responded_at is None:
        changes["responded_at"] = now
    severity = changes.get("severity")
    awaiting_response = issue.responded_at is None and "responded_at" not in changes
    if severity is not None and awaiting_response and issue.sla_breached_at is None:
        # A new severity brings its own response time, counted from the opening.
        changes["response_due_at"] = await response_due(
            session, issue.workspace_id, severity, issue.opened_at
        )
    if severity is not None and issue.resolution_overdue_at is None:
        # Likewise for the resolution, until it was found overdue (that mark is history).
        changes["resolution_due_at"] = await resolution_due(
            session, issue.workspace_id, severity, issue.opened_at
        )
    apply_changes(issue, changes, None)
    await session.flush()
    return issue


async def reopen_issue(
    session: AsyncSession,
    *,
    issue: Issue,
    reason: str,
    expected_versions: Collection[int] | None,
    actor: Actor | None,
    now: datetime,
) -> Issue:
    """Back to open from resolved or closed; the reason is kept as the actor's comment."""
    check_version(issue, expected_versions)
    if issue.status not in REOPENABLE:
        raise Conflict(
            f"Only resolved or closed issues reopen; this one is {issue.status.value}.",
            code="invalid_transition",
            issue_status=issue.status.value,
            allowed_statuses=[s.value for s in issue.allowed_statuses],
        )
    apply_changes(issue, {"status": IssueStatus.open, "resolved_at": None, "closed_at": None}, None)
    session.add(_comment(issue, f"Reopened: {reason}", CommentKind.person, actor, now))
    await session.flush()
    return issue


def _comment(
    issue: Issue, body: str, kind: CommentKind, actor: Actor | None, now: datetime
) -> IssueComment:
    return IssueComment(
        workspace_id=issue.workspace_id,
        campaign_id=issue.campaign_id,
        issue_id=issue.id,
        kind=kind,
        body=body,
        actor_api_key_id=actor.api_key_id if actor else None,
        actor_member_id=actor.member_id if actor else None,
        created_at=now,
    )


async def add_comment(
    session: AsyncSession, *, issue: Issue, body: str, actor: Actor | None, now: datetime
) -> IssueComment:
    comment = _comment(issue, body, CommentKind.person, actor, now)
    session.add(comment)
    await session.flush()
    return comment
