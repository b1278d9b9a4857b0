"""Events older than the retention period leave the feed. A reader resuming from an older
position simply gets what is left after it; deliveries keep their own payload snapshot."""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.events.models import Event
from shared.ids import first_id_at

PER_RUN = 20_000  # a run's share, so one transaction stays short; the next run goes on


async def prune_events(session: AsyncSession, *, before: datetime) -> int:
    """Delete events recorded before `before`; returns how many."""
    chosen = (
        select(Event.id)
        .where(Event.id < first_id_at(before))  # UUIDv7: the primary key is time-ordered
        .order_by(Event.id)
        .limit(PER_RUN)
    )
    result = await session.execute(
        delete(Event)
        .where(Event.id.in_(chosen.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
