"""What the tasks domain tells the feed about people's work: a task assigned, submitted for
review, returned, due soon. Each event names the member it concerns (`owner_id`,
`approver_id`); who is reached, and how, is decided in `shared/reactions`."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.actor import Actor
from shared.campaigns.models import Campaign
from shared.events import kinds
from shared.events.models import Event
from shared.events.service import record_event
from shared.tasks.models import Task
from shared.workspaces.service import member_names


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def task_data(task: Task, message: str, **more: Any) -> dict[str, Any]:
    """The fields every task event carries, so a receiver can act without a lookup."""
    return {
        "code": task.code,
        "name": task.name,
        "status": task.status.value,
        "owner_id": _text(task.owner_id),
        "approver_id": _text(task.approver_id),
        "planned_end": _text(task.planned_end),
        "message": message,
        **more,
    }


async def record(
    session: AsyncSession,
    *,
    task: Task,
    kind: str,
    actor: Actor | None,
    message: str,
    **more: Any,
) -> Event:
    return await record_event(
        session,
        workspace_id=task.workspace_id,
        kind=kind,
        subject_type="task",
        subject_id=task.id,
        campaign_id=task.campaign_id,
        actor=actor,
        data=task_data(task, message, **more),
    )


async def record_assignments(
    session: AsyncSession,
    *,
    campaign: Campaign,
    assignments: Sequence[tuple[Task, uuid.UUID | None]],
    actor: Actor | None,
) -> list[Event]:
    """A `task.assigned` for each (task, previous owner) whose owner is new: on creation
    with an owner, and when the owner changes. Clearing the owner assigns nobody."""
    changed = [(t, before) for t, before in assignments if t.owner_id and t.owner_id != before]
    names = await member_names(
        session,
        workspace_id=campaign.workspace_id,
        member_ids=[t.owner_id for t, _ in changed],
    )
    events = []
    for task, before in changed:
        assert task.owner_id is not None
        owner = names.get(task.owner_id, str(task.owner_id))
        due = f" (due {task.planned_end})" if task.planned_end else ""
        events.append(
            await record(
                session,
                task=task,
                kind=kinds.TASK_ASSIGNED,
                actor=actor,
                message=f"{task.code} {task.name} is assigned to {owner}{due}.",
                owner_name=owner,
                previous_owner_id=_text(before),
            )
        )
    return events
