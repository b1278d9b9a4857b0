"""Signing a task off: the owner submits the deliverable, the approver (R2) accepts it or
returns it with a comment. Each step is taken by the member the API key is bound to, as
approvals are; an admin key is no bypass (reassign `approver_id` instead)."""

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.activity.service import NoteKind, add_note
from shared.actor import Actor
from shared.campaigns import lifecycle
from shared.campaigns.models import Campaign
from shared.errors import Conflict, FieldError, Forbidden, Invalid
from shared.events import kinds
from shared.tasks import breakdown, notices, service, sign_off
from shared.tasks.models import ReviewOutcome, Task, TaskReview, TaskStatus
from shared.versioning import apply_changes, check_version
from shared.workspaces.service import member_names


async def _acting_member(
    session: AsyncSession, *, actor: Actor, task: Task, role: str, doing: str
) -> uuid.UUID:
    """The member the key speaks for, who must be the task's `role` (owner or approver)."""
    expected = task.owner_id if role == "owner" else task.approver_id
    if actor.member_id is None:
        raise Forbidden(
            f"Sign-off is recorded against a member: use an API key bound to {task.code}'s {role}.",
            code="member_key_required",
        )
    if actor.member_id != expected:
        names = await member_names(
            session, workspace_id=task.workspace_id, member_ids=[expected, actor.member_id]
        )
        who = names.get(expected, "nobody") if expected else "nobody"
        raise Forbidden(
            f"Only {task.code}'s {role} ({who}) may {doing}; this API key speaks for "
            f"{names.get(actor.member_id, str(actor.member_id))}.",
            code=f"not_task_{role}",
        )
    return actor.member_id


def _name(names: dict[uuid.UUID, str], member_id: uuid.UUID | None) -> str:
    return names.get(member_id, "someone") if member_id else "someone"


async def _open_review(session: AsyncSession, task: Task) -> TaskReview:
    review = await session.scalar(
        select(TaskReview)
        .where(TaskReview.task_id == task.id, TaskReview.outcome.is_(None))
        .with_for_update()
    )
    if review is None:  # in_review always has one: only the database edited by hand lacks it
        raise Conflict(f"{task.code} has no open review.", code="not_in_review")
    return review


async def _note(
    session: AsyncSession, campaign: Campaign, actor: Actor, task: Task, text: str
) -> None:
    await add_note(
        session,
        campaign=campaign,
        actor=actor,
        kind=NoteKind.review,
        note=text,
        related_task_ids=[task.id],
    )


async def submit(
    session: AsyncSession,
    *,
    campaign: Campaign,
    task: Task,
    actor: Actor,
    link: str | None,
    note: str | None,
    force_reason: str | None,
    expected_versions: Collection[int] | None,
    now: datetime,
) -> Task:
    """The owner hands the deliverable in: to its approver (`in_review`), or, without one,
    it is done at once (the owner signs their own work off)."""
    check_version(task, expected_versions)
    lifecycle.ensure_editable(campaign, lifecycle.WORK_CLOSABLE, "Tasks")
    sign_off.check_can_submit(task)
    if not link and not note:
        raise Invalid(
            "Say what is handed in: a link to the deliverable, a note, or both.",
            [FieldError("link", "Give a link or a note.", code="missing")],
        )
    owner_id = await _acting_member(
        session, actor=actor, task=task, role="owner", doing="submit it for review"
    )
    has_approver = task.approver_id is not None
    graph = await breakdown.load_graph(session, campaign)
    await service.check_order_of_work(
        session,
        campaign,
        graph,
        task,
        TaskStatus.in_review if has_approver else TaskStatus.done,
        force_reason,
        actor,
    )
    today = campaign.local_date(now)
    number = await session.scalar(
        select(func.coalesce(func.max(TaskReview.number), 0)).where(TaskReview.task_id == task.id)
    )
    review = TaskReview(
        workspace_id=task.workspace_id,
        campaign_id=task.campaign_id,
        task_id=task.id,
        number=(number or 0) + 1,
        link=link,
        note=note,
        submitted_by_member_id=owner_id,
        submitted_at=now,
    )
    session.add(review)
    names = await member_names(
        session, workspace_id=task.workspace_id, member_ids=[owner_id, task.approver_id]
    )
    handed_in = " ".join(part for part in (note, link) if part)
    if not has_approver:
        review.outcome, review.decided_by_member_id, review.decided_at = (
            ReviewOutcome.accepted,
            owner_id,
            now,
        )
        apply_changes(task, sign_off.done_changes(task, today), None)
        await session.flush()
        await _note(
            session,
            campaign,
            actor,
            task,
            f"{task.code} done: signed off by its owner {_name(names, owner_id)} (no approver). "
            f"{handed_in}",
        )
        return task
    changes: dict[str, object] = {"status": TaskStatus.in_review}
    if task.actual_start is None:
        changes["actual_start"] = today
    apply_changes(task, changes, None)
    await session.flush()
    await _note(
        session,
        campaign,
        actor,
        task,
        f"{task.code} submitted for review to {_name(names, task.approver_id)}: {handed_in}",
    )
    await notices.record(
        session,
        task=task,
        kind=kinds.TASK_SUBMITTED_FOR_REVIEW,
        actor=actor,
        message=f"{task.code} {task.name} is submitted for your review by "
        f"{_name(names, owner_id)}: {handed_in}",
        review_number=review.number,
        deliverable_link=link,  # `link` is campaignops' own link to the task
        note=note,
        owner_name=_name(names, owner_id),
    )
    return task


async def _decide(
    session: AsyncSession,
    *,
    campaign: Campaign,
    task: Task,
    actor: Actor,
    action: str,
    outcome: ReviewOutcome,
    comment: str | None,
    expected_versions: Collection[int] | None,
    now: datetime,
) -> TaskReview:
    """The approver's decision on the open review (`action`: accept or return), recorded
    once the task is in review and the key speaks for its approver."""
    check_version(task, expected_versions)
    lifecycle.ensure_editable(campaign, lifecycle.WORK_CLOSABLE, "Tasks")
    sign_off.check_in_review(task, action)
    approver_id = await _acting_member(
        session, actor=actor, task=task, role="approver", doing=f"{action} it"
    )
    review = await _open_review(session, task)
    review.outcome, review.decided_by_member_id = outcome, approver_id
    review.decided_at, review.comment = now, comment
    return review


async def _name_of(session: AsyncSession, task: Task, member_id: uuid.UUID | None) -> str:
    names = await member_names(session, workspace_id=task.workspace_id, member_ids=[member_id])
    return _name(names, member_id)


async def accept(
    session: AsyncSession,
    *,
    campaign: Campaign,
    task: Task,
    actor: Actor,
    comment: str | None,
    expected_versions: Collection[int] | None,
    now: datetime,
) -> Task:
    """The approver accepts the deliverable: the task is done today (the campaign's day)."""
    review = await _decide(
        session,
        campaign=campaign,
        task=task,
        actor=actor,
        action="accept",
        outcome=ReviewOutcome.accepted,
        comment=comment,
        expected_versions=expected_versions,
        now=now,
    )
    apply_changes(task, sign_off.done_changes(task, campaign.local_date(now)), None)
    await session.flush()
    approver = await _name_of(session, task, review.decided_by_member_id)
    said = f": {comment}" if comment else "."
    await _note(session, campaign, actor, task, f"{task.code} accepted by {approver}{said}")
    return task


async def return_to_owner(
    session: AsyncSession,
    *,
    campaign: Campaign,
    task: Task,
    actor: Actor,
    comment: str,
    expected_versions: Collection[int] | None,
    now: datetime,
) -> Task:
    """The approver sends the deliverable back with what to change: work resumes."""
    review = await _decide(
        session,
        campaign=campaign,
        task=task,
        actor=actor,
        action="return",
        outcome=ReviewOutcome.returned,
        comment=comment,
        expected_versions=expected_versions,
        now=now,
    )
    apply_changes(task, {"status": TaskStatus.in_progress}, None)
    await session.flush()
    approver = await _name_of(session, task, review.decided_by_member_id)
    await _note(session, campaign, actor, task, f"{task.code} returned by {approver}: {comment}")
    await notices.record(
        session,
        task=task,
        kind=kinds.TASK_RETURNED,
        actor=actor,
        message=f"{task.code} {task.name} is returned by {approver}: {comment}",
        review_number=review.number,
        comment=comment,
        approver_name=approver,
    )
    return task


async def list_reviews(session: AsyncSession, *, task: Task) -> list[TaskReview]:
    """Every submission of the task, first to last, with what was decided."""
    rows = await session.scalars(
        select(TaskReview)
        .where(TaskReview.workspace_id == task.workspace_id, TaskReview.task_id == task.id)
        .order_by(TaskReview.number)
    )
    return list(rows)
