"""What follows when an alert fires or resolves: its escalation, its task, its issue."""

from sqlalchemy.ext.asyncio import AsyncSession

from shared.alerts.models import Alert
from shared.campaigns.models import Campaign
from shared.escalations import service as escalations
from shared.events import kinds
from shared.events.models import Event
from shared.events.service import record_event
from shared.issues import service as issues
from shared.rules.models import Rule
from shared.tasks.models import Task


async def on_fired(session: AsyncSession, event: Event) -> None:
    alert = await session.get(Alert, event.subject_id)
    if alert is None or alert.fired_at is None:
        return  # the event names no alert that fired here
    rule = await session.get(Rule, alert.rule_id)
    campaign = await session.get(Campaign, alert.campaign_id)
    if rule is None or campaign is None:
        return
    now = alert.fired_at
    await escalations.start_for_alert(session, alert=alert, rule=rule, now=now)
    owner_id = campaign.owner_id
    if alert.task_id is not None:
        task = await session.get(Task, alert.task_id)
        owner_id = task.owner_id if task is not None and task.owner_id else owner_id
        await record_event(
            session,
            workspace_id=alert.workspace_id,
            kind=kinds.TASK_OVERDUE,
            subject_type="task",
            subject_id=alert.task_id,
            campaign_id=alert.campaign_id,
            data={"alert_id": str(alert.id), "message": alert.message},
        )
    if rule.opens_issue and owner_id is not None:
        await issues.open_issue_for_alert(
            session,
            workspace_id=alert.workspace_id,
            campaign_id=alert.campaign_id,
            alert_id=alert.id,
            title=f"{rule.name}: {alert.message}"[:200],
            description=alert.message,
            severity=alert.severity.value,
            owner_id=owner_id,
            related_task_id=alert.task_id,
            now=now,
        )


async def on_resolved(session: AsyncSession, event: Event) -> None:
    alert = await session.get(Alert, event.subject_id)
    if alert is None or alert.resolved_at is None:
        return  # the event names no alert that resolved here
    now = alert.resolved_at
    await escalations.stop_for_alert(session, alert_id=alert.id, reason="resolved", now=now)
    await issues.note_alert_resolved(
        session,
        alert_id=alert.id,
        note=f"The alert resolved: {alert.resolve_note or 'recovered'}.",
        now=now,
    )
