"""What the API process holds for its lifetime: engine, Redis, job queue."""

from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.api.rate_limit import RateLimiter
from shared import jobs, migrate, plain_sql, startup
from shared.config import Settings
from shared.db import create_engine, create_sessionmaker
from shared.workspaces.verified_keys import VerifiedKeys


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: Any  # arq's ArqRedis, a redis.asyncio.Redis
    job_queue: jobs.JobQueue
    head_revision: str | None
    rate_limiter: RateLimiter
    verified_keys: VerifiedKeys
    read_pool: asyncpg.Pool | None = None

    @classmethod
    def create(cls, settings: Settings) -> "Runtime":
        if not settings.database_url or not settings.redis_url:
            raise RuntimeError(
                "DATABASE_URL and REDIS_URL must be set; `campaignops dev` sets them for you."
            )
        startup.install()
        engine = create_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )
        redis = jobs.create_redis(settings.redis_url, queue_name=settings.queue_name)
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            redis=redis,
            job_queue=jobs.ArqJobQueue(redis, settings.queue_name),
            head_revision=migrate.head_revision(),
            rate_limiter=RateLimiter(redis, prefix=settings.redis_prefix),
            verified_keys=VerifiedKeys(settings.api_key_cache_seconds),
        )

    async def open_read_pool(self) -> None:
        """Plain reads outside a transaction take these connections (opened as needed)."""
        if self.settings.db_read_pool_size > 0:
            self.read_pool = await plain_sql.open_read_pool(
                self.engine, size=self.settings.db_read_pool_size
            )

    async def close(self) -> None:
        await self.redis.aclose()
        if self.read_pool is not None:
            await self.read_pool.close()
        await self.engine.dispose()
