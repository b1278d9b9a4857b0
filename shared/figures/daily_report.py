"""The brief's daily channel report: for one of the campaign's local days, a row per
channel and one for the campaign's total, each rate computed from its parts in that row."""

import datetime as dt
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign
from shared.figures.channels import campaign_channels
from shared.figures.series import window_totals
from shared.metrics import service as metrics

# The report's columns, in the brief's order; those the dictionary lacks are left out.
METRICS = ("impressions", "ctr", "conversion_rate", "new_users", "gmv")


@dataclass(frozen=True)
class ReportRow:
    channel: str | None  # None for the campaign's total
    figures: dict[str, Decimal | None]


@dataclass(frozen=True)
class DailyReport:
    date: dt.date  # `dt.`: the field's name hides the type here
    metrics: list[str]
    rows: list[ReportRow]


async def daily_report(session: AsyncSession, *, campaign: Campaign, day: dt.date) -> DailyReport:
    """Every channel attached to the campaign or holding figures that day, by key, then
    the total."""
    dictionary = await metrics.dictionary(session, workspace_id=campaign.workspace_id)
    keys = [k for k in METRICS if k in dictionary]
    zone = ZoneInfo(campaign.timezone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    totals = await window_totals(
        session, campaign=campaign, dictionary=dictionary, keys=set(keys), start=start, end=end
    )
    attached = [c.key for c in await campaign_channels(session, campaign)]
    names = sorted(set(attached) | {c for c in totals if c is not None})
    rows = [
        ReportRow(channel=name, figures={k: totals.get(name, {}).get(k) for k in keys})
        for name in [*names, None]
    ]
    return DailyReport(date=day, metrics=keys, rows=rows)
