"""What follows when a campaign is archived: the knowledge base indexes it at once, in
the archiving transaction, so that it is found from the moment it is archived."""

from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign
from shared.events.models import Event
from shared.knowledge import index


async def on_archived(session: AsyncSession, event: Event) -> None:
    campaign = await session.get(Campaign, event.subject_id)
    if campaign is None:
        return  # the event names no campaign here
    await index.index_campaign(session, campaign=campaign, now=event.occurred_at)
