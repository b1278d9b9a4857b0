"""Task events reach the person they concern, on their personal notification endpoints
(the endpoints with a `member_id`, as escalations reach people): an assignment the new
owner, a submission the approver, a return and a due date the owner.

The ordinary fan-out (`notify_event`) still takes these events to the workspace's
endpoints subscribed to them; it leaves personal endpoints out, so a person's endpoint
gets each event once, from here, whatever kinds it lists.
"""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign
from shared.events import kinds
from shared.events.models import Event
from shared.ids import new_id
from shared.notifications.models import NotificationEndpoint
from shared.notifications.service import enqueue_delivery, event_payload

# Who hears of each kind: the member named by this field of the event's data.
RECIPIENTS = {
    kinds.TASK_ASSIGNED: ("owner_id", "owner"),
    kinds.TASK_SUBMITTED_FOR_REVIEW: ("approver_id", "approver"),
    kinds.TASK_RETURNED: ("owner_id", "owner"),
    kinds.TASK_DUE_SOON: ("owner_id", "owner"),
}
KINDS = tuple(RECIPIENTS)
ENDPOINTS_KEY = "campaignops.personal_endpoints"


async def notify_member(session: AsyncSession, event: Event) -> None:
    field, role = RECIPIENTS[event.kind]
    data = event.data or {}
    if not data.get(field):
        return
    member_id = uuid.UUID(data[field])
    if member_id == event.actor_member_id:
        return  # nobody is told what they did themselves (an owner assigning themselves)
    # No autoflush: the change that recorded the event is flushed when its service decides.
    with session.no_autoflush:
        endpoints = await _personal_endpoints(session, event.workspace_id, member_id)
        if not endpoints:
            return
        campaign = await session.get(Campaign, event.campaign_id) if event.campaign_id else None
    if event.id is None:
        event.id = new_id()  # the deliveries refer to it before the flush
    payload = _payload(event, campaign, member_id, role)
    for endpoint in endpoints:
        await enqueue_delivery(
            session,
            endpoint=endpoint,
            event_kind=event.kind,
            payload=payload,
            event_id=event.id,
            now=event.occurred_at,
        )


async def _personal_endpoints(
    session: AsyncSession, workspace_id: uuid.UUID, member_id: uuid.UUID
) -> list[NotificationEndpoint]:
    """A member's enabled endpoints, looked up once per transaction: a breakdown of 2,000
    tasks created in one call is assigned to a handful of people."""
    known: dict[uuid.UUID, list[NotificationEndpoint]] = session.info.setdefault(ENDPOINTS_KEY, {})
    if member_id not in known:
        rows = await session.scalars(
            select(NotificationEndpoint).where(
                NotificationEndpoint.workspace_id == workspace_id,
                NotificationEndpoint.member_id == member_id,
                NotificationEndpoint.enabled.is_(True),
            )
        )
        known[member_id] = list(rows.all())
    return known[member_id]


def _payload(
    event: Event, campaign: Campaign | None, member_id: uuid.UUID, role: str
) -> dict[str, Any]:
    """The feed's payload (as `notify_event` sends it), saying whom it is for and why."""
    return {"member_id": str(member_id), "member_role": role} | event_payload(event, campaign)
