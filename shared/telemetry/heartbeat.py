"""Worker liveness, kept in Redis: a sorted set of worker ids scored by their last beat."""

import asyncio
import contextlib
import logging
import time

from redis.asyncio import Redis

logger = logging.getLogger(__name__)


def _key(prefix: str) -> str:
    return f"{prefix}:workers"


async def beat(redis: Redis, *, prefix: str, worker_id: str) -> None:
    await redis.zadd(_key(prefix), {worker_id: time.time()})


async def forget(redis: Redis, *, prefix: str, worker_id: str) -> None:
    await redis.zrem(_key(prefix), worker_id)


async def live_workers(redis: Redis, *, prefix: str, stale_after: float) -> list[str]:
    """Ids of workers that beat within `stale_after` seconds; older entries are dropped."""
    cutoff = time.time() - stale_after
    await redis.zremrangebyscore(_key(prefix), "-inf", cutoff)
    members = await redis.zrangebyscore(_key(prefix), cutoff, "+inf")
    return [m.decode() if isinstance(m, bytes) else str(m) for m in members]


async def run(redis: Redis, *, prefix: str, worker_id: str, interval: float) -> None:
    """Beat every `interval` seconds until cancelled; a Redis outage is logged, not fatal.

    One warning when beats start failing and one line when they resume: the worker's
    poll loop already reports each attempt to reach Redis.
    """
    failing = False
    try:
        while True:
            try:
                await beat(redis, prefix=prefix, worker_id=worker_id)
            except Exception as exc:
                if not failing:
                    logger.warning("heartbeat failed: %s: %s", type(exc).__name__, exc)
                failing = True
            else:
                if failing:
                    logger.info("heartbeat resumed")
                failing = False
            await asyncio.sleep(interval)
    finally:
        with contextlib.suppress(Exception):
            await forget(redis, prefix=prefix, worker_id=worker_id)
