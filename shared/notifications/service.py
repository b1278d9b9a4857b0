"""Notification endpoints, and the outbox: deliveries owed to them, written in the
caller's transaction (services never commit; the worker sends after the commit)."""

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared import jobs
from shared.alerts.models import Alert
from shared.campaigns.models import Campaign
from shared.config import get_settings
from shared.errors import Conflict, FieldError, Invalid
from shared.events.models import Event
from shared.ids import new_id
from shared.integrations import signing
from shared.notifications import bots, formats, messages, urls
from shared.notifications.models import (
    BOT_FORMATS,
    SIGNED_BOT_FORMATS,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    EndpointFormat,
    NotificationEndpoint,
)
from shared.pagination import PageRequest, Results, SortKey, paginate
from shared.rules.models import Severity
from shared.tenancy import get_in_workspace, in_workspace
from shared.timeutil import utcnow
from shared.versioning import apply_changes
from shared.workspaces.models import Member

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
    subject_type, subject_id = event.subject_type, event.subject_id
    payload: dict[str, Any] = {
        "event_id": str(event.id),
        "workspace_id": str(workspace_id),
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "campaign_id": str(campaign_id) if campaign_id else None,
        "campaign_name": campaign.name if campaign is not None else None,
        "occurred_at": event.occurred_at.isoformat(),
        "link": _link(subject_type, subject_id, campaign_id),
        **data,
    }
    if subject_type == "alert" and "fingerprint" not in payload:
        with session.no_autoflush:
            alert = await _in_session(session, Alert, subject_id)
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


# --- endpoints -------------------------------------------------------------------------------


async def _check_url(url: str, allowed: Sequence[urls.IPNetwork]) -> None:
    try:
        await urls.check_url(url, allowed)
    except urls.UnsafeUrl as exc:
        raise Invalid(
            f"The callback URL is refused: {exc}", [FieldError("url", str(exc))]
        ) from None


async def _check_references(
    session: AsyncSession, workspace_id: uuid.UUID, data: dict[str, Any]
) -> None:
    errors: list[FieldError] = []
    if data.get("member_id") is not None:
        member = await session.scalar(
            select(Member.id).where(
                Member.workspace_id == workspace_id, Member.id == data["member_id"]
            )
        )
        if member is None:
            errors.append(FieldError("member_id", f"No member {data['member_id']} here."))
    campaign_ids = data.get("campaign_ids") or []
    if campaign_ids:
        found = set(
            (
                await session.scalars(
                    select(Campaign.id).where(
                        Campaign.workspace_id == workspace_id, Campaign.id.in_(campaign_ids)
                    )
                )
            ).all()
        )
        for index, campaign_id in enumerate(campaign_ids):
            if campaign_id not in found:
                errors.append(
                    FieldError(f"campaign_ids.{index}", f"No campaign {campaign_id} here.")
                )
    if errors:
        raise Invalid("The endpoint refers to what does not exist.", errors)


def _check_bot_secret(format: EndpointFormat, bot_secret: str | None) -> None:
    if bot_secret is not None and format not in SIGNED_BOT_FORMATS:
        raise Invalid(
            f"A {format.value} endpoint has no bot signing secret.",
            [
                FieldError(
                    "bot_secret",
                    "Only feishu and dingtalk bots sign with a secret of their own "
                    "(WeCom's key is in its URL; webhook endpoints get our whsec_ secret).",
                )
            ],
        )


async def _check_bot_url(
    format: EndpointFormat, url: str, allowed: Sequence[urls.IPNetwork]
) -> None:
    """A bot's URL has its service's host and path (any host inside the allowlisted
    networks, where a private deployment or relay may live)."""
    if format not in BOT_FORMATS:
        return
    problem = bots.url_problem(format, url, host_vouched=await urls.inside_allowed(url, allowed))
    if problem is not None:
        raise Invalid(f"The URL is refused: {problem}", [FieldError("url", problem)])


def _check_format(endpoint: NotificationEndpoint) -> None:
    if endpoint.format == EndpointFormat.pagerduty and not endpoint.routing_key:
        raise Invalid(
            "A pagerduty endpoint needs its routing key.",
            [FieldError("routing_key", "Required for the pagerduty format.", code="missing")],
        )


async def create_endpoint(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    data: dict[str, Any],
    allowed: Sequence[urls.IPNetwork],
) -> NotificationEndpoint:
    """`allowed`: the networks callbacks may reach besides the public internet.

    A chat bot keeps the signing secret given from its settings (`bot_secret`, or none);
    the other formats get a new Standard Webhooks secret of ours.
    """
    data = data | {"url": str(data["url"])}
    bot_secret = data.pop("bot_secret", None)
    format = EndpointFormat(data.get("format") or EndpointFormat.webhook)
    _check_bot_secret(format, bot_secret)
    await _check_url(data["url"], allowed)
    await _check_bot_url(format, data["url"], allowed)
    await _check_references(session, workspace_id, data)
    secret = (bot_secret or "") if format in BOT_FORMATS else signing.new_secret()
    endpoint = NotificationEndpoint(workspace_id=workspace_id, secret=secret, **data)
    _check_format(endpoint)
    session.add(endpoint)
    await session.flush()
    return endpoint


async def get_endpoint(
    session: AsyncSession, *, workspace_id: uuid.UUID, endpoint_id: uuid.UUID
) -> NotificationEndpoint:
    return await get_in_workspace(
        session,
        NotificationEndpoint,
        workspace_id=workspace_id,
        entity_id=endpoint_id,
        label="Notification endpoint",
    )


async def list_endpoints(
    session: AsyncSession, *, workspace_id: uuid.UUID, page: PageRequest
) -> Results[NotificationEndpoint]:
    return await paginate(
        session, in_workspace(NotificationEndpoint, workspace_id), NotificationEndpoint, page
    )


async def update_endpoint(
    session: AsyncSession,
    *,
    endpoint: NotificationEndpoint,
    changes: dict[str, Any],
    expected_versions: Collection[int] | None,
    allowed: Sequence[urls.IPNetwork],
    now: datetime | None = None,
) -> NotificationEndpoint:
    """`bot_secret` replaces a bot's signing secret at once (null: the bot does not sign):
    Feishu and DingTalk check one secret at a time, so there is no overlap to give."""
    changes = dict(changes)
    secret_given = "bot_secret" in changes
    bot_secret = changes.pop("bot_secret", None)
    format = EndpointFormat(changes.get("format", endpoint.format))
    if (format in BOT_FORMATS) != endpoint.is_bot:
        raise Invalid(
            "A chat bot endpoint cannot become a webhook, slack or pagerduty one, nor the "
            "reverse (their secrets differ): register a new endpoint.",
            [FieldError("format", f"Cannot change from {endpoint.format} to {format}.")],
        )
    if secret_given:
        _check_bot_secret(format, bot_secret)
    if "url" in changes:
        changes["url"] = str(changes["url"])
        if changes["url"] != endpoint.url:
            await _check_url(changes["url"], allowed)
    if changes.get("url", endpoint.url) != endpoint.url or format != endpoint.format:
        await _check_bot_url(format, changes.get("url", endpoint.url), allowed)
    if secret_given:
        changes["secret"] = bot_secret or ""
    elif format != endpoint.format and endpoint.is_bot:
        changes["secret"] = ""  # another bot's secret means nothing to this one
    if changes.get("secret", endpoint.secret) != endpoint.secret:
        changes["secret_rotated_at"] = now or utcnow()
    await _check_references(session, endpoint.workspace_id, changes)
    if changes.get("enabled") is True:
        changes = changes | {"disabled_reason": None}
    elif changes.get("enabled") is False and "disabled_reason" not in changes:
        changes = changes | {"disabled_reason": "disabled by an admin"}
    if apply_changes(endpoint, changes, expected_versions):
        _check_format(endpoint)
        await session.flush()
    return endpoint


async def delete_endpoint(
    session: AsyncSession,
    *,
    endpoint: NotificationEndpoint,
    expected_versions: Collection[int] | None,
) -> None:
    """Its deliveries go with it (nothing more will be sent to it)."""
    apply_changes(endpoint, {}, expected_versions)
    await session.delete(endpoint)
    await session.flush()


async def rotate_secret(
    session: AsyncSession, *, endpoint: NotificationEndpoint, overlap: timedelta, now: datetime
) -> NotificationEndpoint:
    """A new secret; requests are signed with both during `overlap`, so receivers can switch.

    Not for a chat bot: its secret is the bot's, reset in the bot's settings and given here
    with `bot_secret`.
    """
    if endpoint.is_bot:
        raise Conflict(
            f"A {endpoint.format.value} endpoint is signed with the bot's own secret: reset it "
            "in the bot's security settings, then PATCH the endpoint's `bot_secret`.",
            code="bot_secret_from_bot_settings",
        )
    endpoint.previous_secret = endpoint.secret if overlap > timedelta(0) else None
    endpoint.previous_expires_at = now + overlap if overlap > timedelta(0) else None
    endpoint.secret = signing.new_secret()
    endpoint.secret_rotated_at = now
    await session.flush()
    return endpoint


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
