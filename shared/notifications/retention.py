"""Finished deliveries (delivered, or dead after their last try) are deleted after a
while, with their attempts; a pending one is never, whatever its age."""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.ids import first_id_at
from shared.notifications.models import Delivery, DeliveryStatus

PER_RUN = 20_000  # a run's share, so one transaction stays short; the next run goes on
FINISHED = (DeliveryStatus.delivered, DeliveryStatus.dead)


async def prune_deliveries(session: AsyncSession, *, before: datetime) -> int:
    """Delete finished deliveries created before `before`; returns how many. One the
    sender holds right now is skipped (next run)."""
    chosen = (
        select(Delivery.id)
        .where(Delivery.id < first_id_at(before), Delivery.status.in_(FINISHED))
        .order_by(Delivery.id)
        .limit(PER_RUN)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        delete(Delivery)
        .where(Delivery.id.in_(chosen.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
