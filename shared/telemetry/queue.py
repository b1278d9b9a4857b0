"""How much work waits in the job queue: arq's sorted set, scored by when each job is due.

arq scores a job with the millisecond it may start (the enqueue time, or later when
deferred) and keeps it in the set until it finishes, so a job being run still counts.
"""

from dataclasses import dataclass

from redis.asyncio import Redis


@dataclass(frozen=True)
class QueueDepth:
    due: int  # may start now (or is running)
    scheduled: int  # deferred to a later time (retries, cron ticks ahead)
    oldest_due_age_seconds: float  # 0 when nothing is due


async def depth(redis: Redis, *, queue_name: str, now: float) -> QueueDepth:
    """One round trip: both counts and the lowest score. `now` is unix seconds."""
    now_ms = int(now * 1000)
    pipe = redis.pipeline(transaction=False)
    pipe.zcount(queue_name, "-inf", now_ms)
    pipe.zcount(queue_name, f"({now_ms}", "+inf")
    pipe.zrange(queue_name, 0, 0, withscores=True)
    due, scheduled, first = await pipe.execute()
    oldest = 0.0
    if first and first[0][1] <= now_ms:
        oldest = max(0.0, (now_ms - first[0][1]) / 1000)
    return QueueDepth(due=int(due), scheduled=int(scheduled), oldest_due_age_seconds=oldest)
