"""An issue not resolved in time: its escalation policy tells the policy's
`resolution_overdue` targets, once, through the outbox, and each line goes on the issue's
escalation timeline.

The policy is the one of the rule whose alert opened the issue, else the workspace
default (an issue opened by hand has the default). The targets are told at once, whatever
the hour: the issue is already late.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.alerts.models import Alert
from shared.campaigns.models import Campaign
from shared.escalations import levels as lv
from shared.escalations import targets
from shared.escalations.models import EscalationPolicy, EscalationStep
from shared.events import kinds
from shared.events.models import Event
from shared.ids import new_id
from shared.issues.models import Issue
from shared.notifications.models import Delivery
from shared.notifications.service import enqueue_delivery, event_payload
from shared.rules.models import Rule
from shared.tenancy import in_workspace

TIMELINE_TARGET = "resolution_overdue"
NO_PHONE = "no enabled personal endpoint"


async def policy_for_issue(
    session: AsyncSession, issue: Issue, alert: Alert | None
) -> EscalationPolicy | None:
    policy: EscalationPolicy | None = None
    rule = await session.get(Rule, alert.rule_id) if alert is not None else None
    if rule is not None and rule.escalation_policy_id is not None:
        policy = await session.get(EscalationPolicy, rule.escalation_policy_id)
    if policy is None:
        policy = await session.scalar(
            in_workspace(EscalationPolicy, issue.workspace_id).where(EscalationPolicy.is_default)
        )
    return policy if policy is not None and policy.workspace_id == issue.workspace_id else None


def _payload(campaign: Campaign, event: Event, policy: EscalationPolicy) -> dict[str, Any]:
    """The feed's payload for the event, and which policy sent it."""
    return event_payload(event, campaign) | {
        "escalation": TIMELINE_TARGET,
        "escalation_policy_id": str(policy.id),
        "escalation_policy": policy.name,
    }


async def notify_resolution_overdue(
    session: AsyncSession, *, issue: Issue, event: Event, now: datetime
) -> list[EscalationStep]:
    """Tell the policy's `resolution_overdue` targets about `event` (the issue's
    `issue.resolution_overdue`), in the event's transaction; returns the timeline lines.

    Each endpoint gets one delivery (a key per issue, whoever asks twice). An endpoint
    already given the event by its subscription to the feed is not sent it again: the
    line points at that delivery.
    """
    campaign = await session.get(Campaign, issue.campaign_id)
    if campaign is None:
        return []
    alert = await session.get(Alert, issue.alert_id) if issue.alert_id else None
    lines: list[EscalationStep] = []

    def line(action: str, target: str, **more: Any) -> None:
        step = EscalationStep(
            workspace_id=issue.workspace_id,
            issue_id=issue.id,
            level=0,
            round=0,
            at=now,
            action=action,
            target=target[:300],
            **more,
        )
        session.add(step)
        lines.append(step)

    policy = await policy_for_issue(session, issue, alert)
    action = lv.parse_resolution_overdue(policy.resolution_overdue) if policy else None
    if policy is None or action is None:
        line(
            "skipped",
            TIMELINE_TARGET,
            note="no escalation policy applies to the issue"
            if policy is None
            else f"the policy '{policy.name}' names nobody for an overdue resolution",
        )
        await session.flush()
        return lines

    if event.id is None:
        event.id = new_id()  # the deliveries refer to it before the flush
    fed = await session.execute(
        select(Delivery.endpoint_id, Delivery.id).where(Delivery.event_id == event.id)
    )
    by_feed: dict[uuid.UUID, uuid.UUID] = {row.endpoint_id: row.id for row in fed}
    payload = _payload(campaign, event, policy)
    subject = targets.Subject(campaign, alert=alert, issue=issue)
    for label, endpoint in await targets.reach(session, action.targets, subject):
        if endpoint is None:
            gone = "the endpoint is disabled or gone"
            line("unreachable", label, note=gone if label.startswith("endpoint ") else NO_PHONE)
            continue
        delivery_id: uuid.UUID | None = by_feed.get(endpoint.id)
        note = "given the event by its subscription" if delivery_id is not None else None
        if delivery_id is None:
            delivery = await enqueue_delivery(
                session,
                endpoint=endpoint,
                event_kind=kinds.ISSUE_RESOLUTION_OVERDUE,
                payload=payload,
                event_id=event.id,
                dedup_key=f"resolution-overdue:{issue.id}",
                now=now,
            )
            delivery_id = delivery.id
        line("notified", label, endpoint_id=endpoint.id, delivery_id=delivery_id, note=note)
    await session.flush()
    return lines
