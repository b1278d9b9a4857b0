"""An issue's deadlines read at a moment: what `response_overdue` and `resolution_overdue`
say on the issue and in the list's filters."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.issues.models import Issue, IssueStatus

OPENED = datetime(2024, 6, 10, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def issue(status: IssueStatus, *, responded: bool = False) -> Issue:
    return Issue(
        status=status,
        opened_at=OPENED,
        response_due_at=OPENED + timedelta(hours=24),
        responded_at=OPENED if responded else None,
        resolution_due_at=OPENED + timedelta(hours=48),
    )


@pytest.mark.parametrize(
    ("status", "overdue"),
    [
        (IssueStatus.open, True),
        (IssueStatus.in_progress, True),
        (IssueStatus.resolved, False),
        (IssueStatus.closed, False),
    ],
)
def test_resolution_is_overdue_from_its_deadline_until_resolved_or_closed(status, overdue):
    late = issue(status)
    assert late.resolution_overdue(OPENED + timedelta(hours=47, minutes=59)) is False
    assert late.resolution_overdue(OPENED + timedelta(hours=48)) is overdue


def test_an_action_plan_answers_the_response_not_the_resolution():
    planned = issue(IssueStatus.in_progress, responded=True)
    two_days_later = OPENED + timedelta(hours=48)
    assert planned.response_overdue(two_days_later) is False
    assert planned.resolution_overdue(two_days_later) is True
