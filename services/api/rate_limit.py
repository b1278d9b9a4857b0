"""Requests per API key over a sliding window, counted in Redis by the `limits` library.

A per-clock-minute counter let twice the limit through around a minute's boundary: the
last seconds of one minute and the first of the next each had the whole budget. The
sliding-window counter weighs the previous window's count by how much of it still
overlaps the last `window` seconds, so no `window` seconds ever see much more than the
limit. It is one Lua script (EVALSHA) per request, on the API's own Redis connections
(redis-py, which `limits` supports from 5.2; we pin redis>=5,<6), with two small keys
per API key: no per-request sorted-set growth.
"""

import math
import time
import uuid
from functools import lru_cache

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio import Redis


@lru_cache(maxsize=16)
def _item(limit: int, window_seconds: int) -> RateLimitItem:
    return RateLimitItemPerSecond(limit, window_seconds)


class RateLimiter:
    def __init__(self, redis: Redis, *, prefix: str) -> None:
        # The URI only picks the implementation; the connections are the given pool's.
        storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            key_prefix=f"{prefix}:ratelimit",
            connection_pool=redis.connection_pool,  # type: ignore[arg-type]  # typed too narrowly
        )
        self._limiter = SlidingWindowCounterRateLimiter(storage)

    async def hit(self, api_key_id: uuid.UUID, *, limit: int, window_seconds: int) -> bool:
        """Count one request; False when it would go over the limit (it is then not counted)."""
        return await self._limiter.hit(_item(limit, window_seconds), str(api_key_id))

    async def retry_after(self, api_key_id: uuid.UUID, *, limit: int, window_seconds: int) -> int:
        """Whole seconds until one more request fits (for Retry-After), at least 1."""
        stats = await self._limiter.get_window_stats(_item(limit, window_seconds), str(api_key_id))
        return max(1, math.ceil(stats.reset_time - time.time()))
