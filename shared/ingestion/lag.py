"""How far applying lags behind receiving, for operators (the API's /metrics/cluster).

Two reads, each on an index: the status index for what waits or failed, and the primary
key's range (UUIDv7 ids sort by creation) for the batches applied lately.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.ids import first_id_at
from shared.ingestion.models import BatchStatus, IngestBatch

# Lag is measured over batches applied in this window...
APPLIED_WINDOW = timedelta(minutes=5)
# ...and received in this one: a batch that waited longer shows in the oldest unapplied
# age while it waits, and the id range keeps the read to the newest rows.
RECEIVED_WINDOW = timedelta(minutes=15)
QUANTILES = (0.5, 0.95, 1.0)


@dataclass(frozen=True)
class IngestLag:
    waiting: int  # received, not applied yet
    failed: int  # gave up on (INGEST_MAX_ATTEMPTS), all time
    oldest_waiting_seconds: float  # 0 when nothing waits
    applied_recently: int
    lag_seconds: dict[float, float]  # received -> applied, by quantile, over APPLIED_WINDOW


async def ingest_lag(session: AsyncSession, *, now: datetime) -> IngestLag:
    by_status = (
        await session.execute(
            select(IngestBatch.status, func.count(), func.min(IngestBatch.created_at))
            .where(IngestBatch.status.in_([BatchStatus.received, BatchStatus.failed]))
            .group_by(IngestBatch.status)
        )
    ).all()
    counts = {status: (count, oldest) for status, count, oldest in by_status}
    waiting, oldest = counts.get(BatchStatus.received, (0, None))
    failed, _ = counts.get(BatchStatus.failed, (0, None))

    lag = extract("epoch", IngestBatch.applied_at - IngestBatch.created_at)
    recent = (
        await session.execute(
            select(
                func.count(),
                *(func.percentile_cont(q).within_group(lag) for q in QUANTILES),
            ).where(
                IngestBatch.id >= first_id_at(now - RECEIVED_WINDOW),
                IngestBatch.applied_at >= now - APPLIED_WINDOW,
            )
        )
    ).one()
    return IngestLag(
        waiting=waiting,
        failed=failed,
        oldest_waiting_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        applied_recently=recent[0],
        lag_seconds={q: float(v or 0) for q, v in zip(QUANTILES, recent[1:], strict=True)},
    )
