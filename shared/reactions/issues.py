"""What follows when an issue is not resolved in time: its escalation policy acts."""

from sqlalchemy.ext.asyncio import AsyncSession

from shared.escalations import resolution
from shared.events.models import Event
from shared.issues.models import Issue


async def on_resolution_overdue(session: AsyncSession, event: Event) -> None:
    issue = await session.get(Issue, event.subject_id)
    if issue is None or issue.resolution_overdue_at is None:
        return  # the event names no issue found overdue here
    await resolution.notify_resolution_overdue(
        session, issue=issue, event=event, now=issue.resolution_overdue_at
    )
