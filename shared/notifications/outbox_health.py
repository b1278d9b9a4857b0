"""What the outbox still owes, per endpoint, for operators (the API's /metrics/cluster).

Pending rows are read through the sender's own partial index (`status = 'pending'`);
dead ones through the primary key's range (UUIDv7 ids sort by creation), since they are
the rare end of a long table.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.ids import first_id_at
from shared.notifications.models import Delivery, DeliveryStatus

# Longer than the whole retry schedule (about 28 h, sender.py): every delivery that died
# lately was created within this window.
DEAD_WINDOW = timedelta(hours=48)


@dataclass(frozen=True)
class EndpointBacklog:
    pending: int = 0  # owed, not tried yet
    failed: int = 0  # owed, tried and failed at least once: retrying
    dead: int = 0  # retries ran out (or the endpoint went away), created in DEAD_WINDOW


async def backlog_by_endpoint(
    session: AsyncSession, *, now: datetime
) -> dict[uuid.UUID, EndpointBacklog]:
    tried = (Delivery.attempts > 0).label("tried")
    owed = (
        await session.execute(
            select(Delivery.endpoint_id, tried, func.count())
            .where(Delivery.status == DeliveryStatus.pending)
            .group_by(Delivery.endpoint_id, tried)
        )
    ).all()
    dead = (
        await session.execute(
            select(Delivery.endpoint_id, func.count())
            .where(
                Delivery.id >= first_id_at(now - DEAD_WINDOW),
                Delivery.status == DeliveryStatus.dead,
            )
            .group_by(Delivery.endpoint_id)
        )
    ).all()
    counts: dict[uuid.UUID, dict[str, int]] = {}
    for endpoint_id, was_tried, count in owed:
        counts.setdefault(endpoint_id, {})["failed" if was_tried else "pending"] = count
    for endpoint_id, count in dead:
        counts.setdefault(endpoint_id, {})["dead"] = count
    return {endpoint_id: EndpointBacklog(**by_state) for endpoint_id, by_state in counts.items()}
