"""What every page starts with: the campaign's header, and the money formatting rules."""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign
from shared.change_requests import plan_versions
from shared.report_pages.views import Header
from shared.reviews.snapshot import campaign_days
from shared.workspaces.service import member_names


async def header(session: AsyncSession, *, campaign: Campaign, now: datetime) -> Header:
    day = campaign.local_date(now)
    number, total, elapsed = campaign_days(campaign.start_date, campaign.end_date, day)
    owners = await member_names(
        session, workspace_id=campaign.workspace_id, member_ids=[campaign.owner_id]
    )
    return Header(
        campaign_id=campaign.id,
        name=campaign.name,
        kind=campaign.kind.value,
        status=campaign.status.value,
        registration_number=campaign.registration_number,
        owner_name=owners.get(campaign.owner_id) if campaign.owner_id else None,
        start_date=campaign.start_date,
        end_date=campaign.end_date,
        timezone=campaign.timezone,
        currency=campaign.currency,
        day_number=number,
        days_total=total,
        time_elapsed_percent=elapsed,
        as_of=now.astimezone(ZoneInfo(campaign.timezone)),
        plan_version=await plan_versions.current_number(session, campaign),
    )
