"""Sign-off rules (R2): a task with an approver is done only when the approver accepts it.

The owner submits the deliverable (`in_review`), the approver accepts it (`done`) or
returns it with a comment (`in_progress`). A task without an approver is done by its
owner. These rules need no database: the services apply them.
"""

import uuid
from datetime import date
from typing import Any

from shared.errors import Conflict, FieldError, Invalid
from shared.tasks.models import Task, TaskStatus

# Where the owner may submit from: work not started, under way or blocked.
SUBMITTABLE = frozenset({TaskStatus.todo, TaskStatus.in_progress, TaskStatus.blocked})


def review_actions(status: TaskStatus) -> list[str]:
    """The review actions a task in `status` allows (`POST /v1/tasks/{id}/<action>`)."""
    if status == TaskStatus.in_review:
        return ["accept", "return"]
    if status in SUBMITTABLE:
        return ["submit"]
    return []


def done_changes(task: Task, today: date) -> dict[str, Any]:
    """Finishing: the actual end is today (the campaign's day), progress 100%, and a task
    that never recorded its start started the day it ended."""
    changes: dict[str, Any] = {"status": TaskStatus.done, "actual_end": today, "progress": 100}
    if task.actual_start is None:
        changes["actual_start"] = today
    return changes


def check_patch(task: Task, changes: dict[str, Any]) -> None:
    """What PATCH may not do to sign-off: enter or leave review, finish a task that has an
    approver, or leave a task in review without one."""
    status = changes.get("status", task.status)
    approver_id: uuid.UUID | None = changes.get("approver_id", task.approver_id)
    where = f"/v1/tasks/{task.id}"
    if task.status == TaskStatus.in_review:
        if status != TaskStatus.in_review:
            raise Conflict(
                f"{task.code} is in review: its approver accepts it (POST {where}/accept) or "
                f"returns it with a comment (POST {where}/return) first.",
                code="task_in_review",
                review_actions=review_actions(task.status),
            )
        if approver_id is None:
            raise Invalid(
                f"{task.code} is in review: name another approver, or have it returned first.",
                [FieldError("approver_id", "A task in review needs its approver.")],
            )
        return
    if status == task.status:
        return
    if status == TaskStatus.in_review:
        raise Conflict(
            f"{task.code} goes to review when its owner submits it (POST {where}/submit).",
            code="sign_off_required",
            review_actions=review_actions(task.status),
        )
    if status == TaskStatus.done and approver_id is not None:
        raise Conflict(
            f"{task.code} is done when its approver accepts it: the owner submits it "
            f"(POST {where}/submit), then the approver accepts it (POST {where}/accept).",
            code="sign_off_required",
            review_actions=review_actions(task.status),
        )


def check_can_submit(task: Task) -> None:
    if task.status not in SUBMITTABLE:
        raise Conflict(
            f"{task.code} is {task.status.value}: only a task to do, under way or blocked is "
            "submitted.",
            code="invalid_transition",
            task_status=task.status.value,
            review_actions=review_actions(task.status),
        )
    if task.owner_id is None:
        raise Conflict(
            f"{task.code} has no owner to submit it; set owner_id first.", code="no_owner"
        )


def check_in_review(task: Task, action: str) -> None:
    if task.status != TaskStatus.in_review:
        raise Conflict(
            f"{task.code} is {task.status.value}, not in review: there is nothing to {action}.",
            code="not_in_review",
            task_status=task.status.value,
            review_actions=review_actions(task.status),
        )
