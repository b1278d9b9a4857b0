"""Notification endpoints, as admins register and change them: a public https URL (or one
inside the allowlisted networks), what it refers to (a member, campaigns), and its
signing secret, ours (Standard Webhooks) or, for a chat bot, the bot's own."""

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign
from shared.errors import Conflict, FieldError, Invalid
from shared.integrations import signing
from shared.notifications import bots, urls
from shared.notifications.models import (
    BOT_FORMATS,
    SIGNED_BOT_FORMATS,
    EndpointFormat,
    NotificationEndpoint,
)
from shared.pagination import PageRequest, Results, paginate
from shared.tenancy import get_in_workspace, in_workspace
from shared.timeutil import utcnow
from shared.versioning import apply_changes
from shared.workspaces.models import Member


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
