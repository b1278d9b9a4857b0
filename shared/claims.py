"""Per-campaign work that any number of workers may attempt, done by one at a time.

A domain that keeps something derived per campaign (its knowledge entries, its channel
totals) holds one state row per campaign. Whoever does the work locks that row until
commit; a worker that finds it locked skips the campaign (SKIP LOCKED) rather than
waiting, because the holder is doing the same work. A minute sweep finds the campaigns
that need it and sends one job per campaign; the minute in the job id makes a second
worker's tick of the same cron a no-op.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from shared import jobs


class CampaignState(Protocol):
    id: Any
    campaign_id: Any


State = TypeVar("State", bound=CampaignState)


async def lock_state(
    session: AsyncSession,
    model: type[State],
    campaign_id: uuid.UUID,
    *,
    wait: bool,
    first: dict[str, Any],
) -> State | None:
    """The campaign's state row of `model`, locked until commit; None when another
    transaction holds it and `wait` is false. `first` are the values of a row made on
    first need, chosen so that the work is done in full the first time.

    The row is made on first need only: inserting (even `ON CONFLICT DO NOTHING`) waits
    for a transaction that has updated the row, which would defeat SKIP LOCKED.
    """
    key: InstrumentedAttribute[Any] = model.campaign_id
    locked = (
        select(model)
        .where(key == campaign_id)
        .with_for_update(skip_locked=not wait)
        .execution_options(populate_existing=True)
    )
    state: State | None = await session.scalar(locked)
    if state is not None:
        return state
    if not wait:
        held = await session.scalar(select(model.id).where(key == campaign_id))
        if held is not None:
            return None  # it exists: another transaction is doing the work
    await session.execute(
        pg_insert(model)
        .values(campaign_id=campaign_id, **first)
        .on_conflict_do_nothing(index_elements=[key])
    )
    made: State | None = await session.scalar(locked)
    return made


def enqueue_per_campaign(
    session: AsyncSession,
    function: str,
    campaign_ids: Sequence[uuid.UUID],
    *,
    job_prefix: str,
    now: datetime,
) -> None:
    """One `function(campaign_id=...)` job per campaign, once per minute whichever worker's
    cron tick sends it."""
    minute = now.strftime("%Y%m%d%H%M")
    for campaign_id in campaign_ids:
        jobs.enqueue(
            session,
            function,
            job_id=f"{job_prefix}:{campaign_id}:{minute}",
            campaign_id=str(campaign_id),
        )
