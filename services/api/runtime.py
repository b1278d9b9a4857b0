"""What the API process holds for its lifetime: engine, Redis, job queue."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.api.rate_limit import RateLimiter
from shared import jobs, migrate, startup
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

    async def close(self) -> None:
        await self.redis.aclose()
        await self.engine.dispose()
