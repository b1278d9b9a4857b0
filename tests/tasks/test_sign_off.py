"""Sign-off rules (R2) without a database: what PATCH may not do, what finishing sets."""

import uuid
from datetime import date

import pytest

from shared.errors import Conflict, Invalid
from shared.tasks import sign_off
from shared.tasks.models import Task, TaskStatus

WED = date(2024, 6, 5)


def test_review_actions_follow_the_status():
    assert sign_off.review_actions(TaskStatus.todo) == ["submit"]
    assert sign_off.review_actions(TaskStatus.blocked) == ["submit"]
    assert sign_off.review_actions(TaskStatus.in_review) == ["accept", "return"]
    assert sign_off.review_actions(TaskStatus.done) == []
    assert sign_off.review_actions(TaskStatus.cancelled) == []


def test_done_starts_a_task_that_never_recorded_its_start():
    started = Task(code="M-001", actual_start=date(2024, 6, 3))
    assert sign_off.done_changes(started, WED) == {
        "status": TaskStatus.done,
        "actual_end": WED,
        "progress": 100,
    }
    unstarted = Task(code="M-002", actual_start=None)
    assert sign_off.done_changes(unstarted, WED)["actual_start"] == WED


def patching(current: TaskStatus, *, approver: bool, **changes: object) -> None:
    task = Task(
        id=uuid.uuid4(),
        code="M-004",
        status=current,
        approver_id=uuid.uuid4() if approver else None,
    )
    sign_off.check_patch(task, dict(changes))


def test_patch_cannot_sign_a_task_off():
    with pytest.raises(Conflict) as refused:
        patching(TaskStatus.in_progress, approver=True, status=TaskStatus.done)
    assert refused.value.code == "sign_off_required"
    assert refused.value.extras["review_actions"] == ["submit"]
    with pytest.raises(Conflict) as entering:
        patching(TaskStatus.in_progress, approver=False, status=TaskStatus.in_review)
    assert entering.value.code == "sign_off_required"
    with pytest.raises(Conflict) as leaving:
        patching(TaskStatus.in_review, approver=True, status=TaskStatus.cancelled)
    assert leaving.value.code == "task_in_review"
    assert leaving.value.extras["review_actions"] == ["accept", "return"]
    with pytest.raises(Invalid):
        patching(TaskStatus.in_review, approver=True, approver_id=None)

    # Without an approver the owner's PATCH finishes it; clearing the approver in the
    # same PATCH does too; a task in review may change its approver.
    patching(TaskStatus.in_progress, approver=False, status=TaskStatus.done)
    patching(TaskStatus.in_progress, approver=True, status=TaskStatus.done, approver_id=None)
    patching(TaskStatus.in_review, approver=True, approver_id=uuid.uuid4(), progress=90)
