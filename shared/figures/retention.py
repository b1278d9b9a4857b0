"""How long hourly points are kept: whole months go once they are all older than the
retention period. Day rollups (`metric_days`) stay, so reads of whole local days, weeks
and months keep working for any period; reads that need hours refuse to reach back
beyond the horizon rather than answer from the little that may be left."""

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from shared.figures import partitions


def hourly_horizon(now: datetime, *, days: int) -> datetime:
    """The oldest instant whose hour is certainly still kept."""
    return now - timedelta(days=days)


async def drop_old_hours(
    session: AsyncSession, *, now: datetime, days: int
) -> list[partitions.Month]:
    """Drop the months of hourly points wholly older than `days`; returns them."""
    return await partitions.drop_before(session, cutoff=hourly_horizon(now, days=days))
