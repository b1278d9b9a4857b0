"""Channels, and which of them each campaign runs on."""

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign
from shared.errors import Conflict, FieldError, Invalid
from shared.figures.models import CampaignChannel, Channel
from shared.pagination import PageRequest, Results, SortKey, paginate
from shared.tenancy import in_workspace


async def list_channels(
    session: AsyncSession, *, workspace_id: uuid.UUID, page: PageRequest
) -> Results[Channel]:
    sort = SortKey("key", Channel.key, "str")
    return await paginate(session, in_workspace(Channel, workspace_id), Channel, page, sort)


async def create_channel(
    session: AsyncSession, *, workspace_id: uuid.UUID, data: dict[str, Any]
) -> Channel:
    taken = await session.scalar(
        in_workspace(Channel, workspace_id).where(Channel.key == data["key"])
    )
    if taken is not None:
        raise Conflict(f"Channel '{data['key']}' exists.", field="key")
    channel = Channel(workspace_id=workspace_id, **data)
    session.add(channel)
    await session.flush()
    return channel


async def channel_keys(
    session: AsyncSession, *, workspace_id: uuid.UUID, ids: set[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The keys of the workspace's channels among `ids`: rows store a channel's id, the
    API names it by its key."""
    if not ids:
        return {}
    rows = await session.execute(
        select(Channel.id, Channel.key).where(
            Channel.workspace_id == workspace_id, Channel.id.in_(ids)
        )
    )
    return dict(rows.all())


async def campaign_channels(session: AsyncSession, campaign: Campaign) -> list[Channel]:
    rows = await session.scalars(
        select(Channel)
        .join(CampaignChannel, CampaignChannel.channel_id == Channel.id)
        .where(CampaignChannel.campaign_id == campaign.id)
        .order_by(Channel.key)
    )
    return list(rows)


async def set_campaign_channels(
    session: AsyncSession, *, campaign: Campaign, keys: list[str]
) -> list[Channel]:
    channels = (
        await session.scalars(
            in_workspace(Channel, campaign.workspace_id).where(Channel.key.in_(keys))
        )
    ).all()
    missing = sorted(set(keys) - {c.key for c in channels})
    if missing:
        raise Invalid(
            "Unknown channels.",
            [FieldError("channel_keys", f"No channel {', '.join(missing)}; create it first.")],
        )
    await session.execute(delete(CampaignChannel).where(CampaignChannel.campaign_id == campaign.id))
    for channel in channels:
        session.add(
            CampaignChannel(
                workspace_id=campaign.workspace_id, campaign_id=campaign.id, channel_id=channel.id
            )
        )
    await session.flush()
    return sorted(channels, key=lambda c: c.key)
