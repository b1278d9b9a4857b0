"""The outbox: deliveries owed to notification endpoints, written in the caller's
transaction (services never commit; the worker sends after the commit), which endpoints
an event reaches, and the deliveries' history. The endpoints are kept by endpoints.py."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared import jobs
from shared.alerts.models import Alert
from shared.campaigns.models import Campaign
from shared.config import get_settings
from shared.errors import Conflict
from shared.events.models import Event
from shared.ids import new_id
from shared.notifications import formats, messages
from shared.notifications.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    NotificationEndpoint,
)
from shared.pagination import PageRequest, Results, SortKey, paginate
from shared.rules.models import Severity
from shared.tenancy import get_in_workspace, in_workspace

SEND_JOB = "send_due_deliveries"
T = TypeVar("T")
SEVERITY_RANK = {Severity.info: 0, Severity.warning: 1, Severity.critical: 2}


# --- the interface escalation policies build on ------------------------------------------


async def enqueue_delivery(
    session: AsyncSession,
    *,
    endpoint: NotificationEndpoint,
    event_kind: str,
    payload: dict[str, Any],
    event_id: uuid.UUID | None = None,
    dedup_key: str | None = None,
    now: datetime,
) -> Delivery:
    """Owe `endpoint` a notification: an outbox row in the caller's transaction.

    It is due at once; a `send_due_deliveries` job goes out after the commit, and the
    sender's cron picks it up anyway if that job is lost. With `dedup_key`, a second call
    for the same endpoint and key (in this transaction or any other) returns the first
    delivery instead of owing it twice.
    """
    values = {
        "id": new_id(),
        "workspace_id": endpoint.workspace_id,
        "endpoint_id": endpoint.id,
        "event_id": event_id,
        "event_kind": event_kind,
        "payload": payload,
        "dedup_key": dedup_key,
        "webhook_id": formats.new_webhook_id(),
        "status": DeliveryStatus.pending,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "version": 1,
    }
    if dedup_key is None:
        delivery = Delivery(**values)
        session.add(delivery)
    else:
        # Core insert (the session flushes first): ON CONFLICT needs the statement itself.
        inserted = await session.scalar(
            insert(Delivery)
            .values(**values)
            .on_conflict_do_nothing(
                index_elements=["endpoint_id", "dedup_key"],
                index_where=Delivery.dedup_key.is_not(None),
            )
            .returning(Delivery.id)
        )
        existing = await session.scalar(
            select(Delivery).where(
                Delivery.endpoint_id == endpoint.id, Delivery.dedup_key == dedup_key
            )
        )
        assert existing is not None
        delivery = existing
        if inserted is None:
            return delivery
    jobs.enqueue_once(session, SEND_JOB)  # one sending job per transaction
    return delivery


def endpoint_wants(
    endpoint: NotificationEndpoint,
    *,
    event_kind: str,
    severity: str | None,
    campaign_id: uuid.UUID | None,
    campaign_tags: list[str],
) -> bool:
    """Whether the endpoint's filter takes this event (enabled or not is not asked here).

    Kinds: empty takes every kind. Severity: at least `min_severity`; an event without
    one counts as info. Campaigns: with ids or tags given, the event's campaign must be
    listed or carry one of the tags (so events without a campaign are left out).
    """
    if endpoint.event_kinds and event_kind not in endpoint.event_kinds:
        return False
    try:
        rank = SEVERITY_RANK[Severity(severity)] if severity else 0
    except ValueError:
        rank = 0
    if rank < SEVERITY_RANK[Severity(endpoint.min_severity)]:
        return False
    if endpoint.campaign_ids or endpoint.campaign_tags:
        listed = campaign_id is not None and campaign_id in endpoint.campaign_ids
        tagged = bool(set(endpoint.campaign_tags) & set(campaign_tags))
        if not (listed or tagged):
            return False
    return True


# --- events -> notifications --------------------------------------------------------------


def _link(subject_type: str, subject_id: uuid.UUID, campaign_id: uuid.UUID | None) -> str:
    known = messages.subject_link(subject_type, subject_id, campaign_id)
    if known is not None:
        return known
    base = get_settings().public_base_url.rstrip("/")
    return f"{base}/v1/{subject_type}s/{subject_id}"


def event_payload(event: Event, campaign: Campaign | None) -> dict[str, Any]:
    """What a notification of the event carries, however it is sent (the feed, an
    escalation, a person's own endpoint): the event, its subject with a link, its campaign,
    then the event's own data. The event's id must be set."""
    return {
        "event_id": str(event.id),
        "workspace_id": str(event.workspace_id),
        "subject_type": event.subject_type,
        "subject_id": str(event.subject_id),
        "campaign_id": str(event.campaign_id) if event.campaign_id else None,
        "campaign_name": campaign.name if campaign is not None else None,
        "occurred_at": event.occurred_at.isoformat(),
        "link": _link(event.subject_type, event.subject_id, event.campaign_id),
        **(event.data or {}),
    }


async def notify_event(session: AsyncSession, event: Event) -> list[Delivery]:
    """A delivery for every enabled workspace endpoint whose filter takes the event.

    Silenced alerts notify nobody. Personal endpoints (a member's) are left out: they
    are reached through escalation policies, not by subscribing to the whole feed.
    """
    data = event.data or {}
    if data.get("silenced"):
        return []
    workspace_id, campaign_id, kind = event.workspace_id, event.campaign_id, event.kind
    # No autoflush: the caller's pending changes are flushed when it decides, not here,
    # halfway through its change (they may not be complete yet).
    with session.no_autoflush:
        endpoints = (
            await session.scalars(
                in_workspace(NotificationEndpoint, workspace_id).where(
                    NotificationEndpoint.enabled.is_(True),
                    NotificationEndpoint.member_id.is_(None),
                )
            )
        ).all()
        if not endpoints:
            return []  # the common case: one indexed lookup and nothing else
        # Usually already in the session (the change that raised the event loaded it).
        campaign = await _in_session(session, Campaign, campaign_id) if campaign_id else None
    tags = list(campaign.tags or []) if campaign is not None else []
    wanted = [
        endpoint
        for endpoint in endpoints
        if endpoint_wants(
            endpoint,
            event_kind=kind,
            severity=data.get("severity"),
            campaign_id=campaign_id,
            campaign_tags=tags,
        )
    ]
    if not wanted:
        return []
    if event.id is None:
        event.id = new_id()  # set now: the deliveries refer to it before the flush
    payload = event_payload(event, campaign)
    if event.subject_type == "alert" and "fingerprint" not in payload:
        with session.no_autoflush:
            alert = await _in_session(session, Alert, event.subject_id)
        if alert is not None:
            payload["fingerprint"] = alert.fingerprint
    return [
        await enqueue_delivery(
            session,
            endpoint=endpoint,
            event_kind=kind,
            payload=payload,
            event_id=event.id,
            now=event.occurred_at,
        )
        for endpoint in wanted
    ]


async def _in_session(session: AsyncSession, model: type[T], entity_id: uuid.UUID) -> T | None:
    """The entity, from the session when it is there, even if not flushed yet."""
    for pending in session.new:
        if isinstance(pending, model) and getattr(pending, "id", None) == entity_id:
            return pending
    return await session.get(model, entity_id)


# --- deliveries -------------------------------------------------------------------------------


def _delivery_order() -> SortKey:
    return SortKey("created_at", Delivery.created_at, "datetime", descending=True)


async def list_deliveries(
    session: AsyncSession, *, endpoint: NotificationEndpoint, page: PageRequest
) -> Results[Delivery]:
    """Newest first: the latest deliveries are what one looks at."""
    query = in_workspace(Delivery, endpoint.workspace_id).where(Delivery.endpoint_id == endpoint.id)
    return await paginate(session, query, Delivery, page, _delivery_order())


async def attempts_of(
    session: AsyncSession, delivery_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[DeliveryAttempt]]:
    by_delivery: dict[uuid.UUID, list[DeliveryAttempt]] = {d: [] for d in delivery_ids}
    if delivery_ids:
        rows = await session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id.in_(delivery_ids))
            .order_by(DeliveryAttempt.delivery_id, DeliveryAttempt.at, DeliveryAttempt.id)
        )
        for attempt in rows:
            by_delivery[attempt.delivery_id].append(attempt)
    return by_delivery


async def get_delivery(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    delivery_id: uuid.UUID,
    for_update: bool = False,
) -> Delivery:
    return await get_in_workspace(
        session,
        Delivery,
        workspace_id=workspace_id,
        entity_id=delivery_id,
        label="Delivery",
        for_update=for_update,
    )


async def redeliver(session: AsyncSession, *, delivery: Delivery, now: datetime) -> Delivery:
    """Send a dead or delivered notification again: same webhook-id, a fresh schedule."""
    if delivery.status == DeliveryStatus.pending:
        raise Conflict(
            "The delivery is still pending; it is sent at its next attempt.",
            code="delivery_pending",
        )
    endpoint = await session.get(NotificationEndpoint, delivery.endpoint_id)
    if endpoint is not None and not endpoint.enabled:
        raise Conflict(
            "The endpoint is disabled; enable it first.",
            code="endpoint_disabled",
        )
    delivery.status = DeliveryStatus.pending
    delivery.next_attempt_at = now
    delivery.attempts = 0  # a fresh schedule; the attempt log keeps the earlier ones
    await session.flush()
    jobs.enqueue_once(session, SEND_JOB)
    return delivery
