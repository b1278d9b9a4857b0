"""What follows when a campaign completes or is archived: its figures per channel are
stored for the channel history at once, in that transaction, so that a history read adds
them up from the moment the campaign counts (the worker's sweep refreshes them after)."""

from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign
from shared.channel_history import totals
from shared.events.models import Event


async def on_finished(session: AsyncSession, event: Event) -> None:
    campaign = await session.get(Campaign, event.subject_id)
    if campaign is None:
        return  # the event names no campaign here
    await totals.total_campaign(session, campaign=campaign, now=event.occurred_at)
