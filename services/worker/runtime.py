"""What a worker process holds: engine, sessions, HTTP client, heartbeat; and the job wrapper."""

import asyncio
import contextlib
import functools
import os
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared import jobs, logs
from shared import startup as process_setup
from shared.config import Settings
from shared.db import create_engine, create_sessionmaker, unit_of_work
from shared.ids import new_id
from shared.notifications import client, urls
from shared.telemetry import heartbeat, job_metrics

logger = structlog.get_logger(__name__)

CONTEXT_KEY = "campaignops"
# How long a job may run. A job also waits this long, at most, for a database connection:
# a worker runs more jobs at once (WORKER_MAX_JOBS, for those waiting on the network)
# than its pool has connections, and a minute sweep enqueues dozens of chunk jobs at
# once; with SQLAlchemy's default 30 s wait, the chunks queued behind the others failed
# ("QueuePool limit ... reached") and their campaigns went unwatched for that minute.
JOB_TIMEOUT_SECONDS = 300
P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class WorkerRuntime:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: Any  # arq's ArqRedis
    job_queue: jobs.JobQueue
    http: httpx.AsyncClient
    notify_clients: client.CallbackClients  # callbacks to notification endpoints, SSRF-guarded
    worker_id: str
    heartbeat_task: asyncio.Task[None] | None = None


def startup(settings: Settings) -> Callable[[dict[str, Any]], Awaitable[None]]:
    async def on_startup(ctx: dict[str, Any]) -> None:
        logs.configure(settings.log_level, settings.log_format)
        assert settings.database_url, "DATABASE_URL must be set"
        process_setup.install()
        engine = create_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=JOB_TIMEOUT_SECONDS,
        )
        runtime = WorkerRuntime(
            settings=settings,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            redis=ctx["redis"],
            job_queue=jobs.ArqJobQueue(ctx["redis"], settings.queue_name),
            # Outgoing calls never follow redirects nor read proxy settings from the env.
            http=httpx.AsyncClient(
                timeout=httpx.Timeout(15.0, connect=5.0), follow_redirects=False, trust_env=False
            ),
            notify_clients=client.CallbackClients(
                urls.parse_networks(settings.notify_allowed_networks)
            ),
            worker_id=f"{socket.gethostname()}:{os.getpid()}:{new_id().hex[-6:]}",
        )
        # Beat once before taking jobs, so /readyz sees this worker from its first job on.
        await heartbeat.beat(
            ctx["redis"], prefix=settings.redis_prefix, worker_id=runtime.worker_id
        )
        runtime.heartbeat_task = asyncio.create_task(
            heartbeat.run(
                ctx["redis"],
                prefix=settings.redis_prefix,
                worker_id=runtime.worker_id,
                interval=settings.worker_heartbeat_seconds,
            )
        )
        ctx[CONTEXT_KEY] = runtime
        logger.info("worker started", worker_id=runtime.worker_id)

    return on_startup


async def on_shutdown(ctx: dict[str, Any]) -> None:
    runtime: WorkerRuntime | None = ctx.get(CONTEXT_KEY)
    if runtime is None:
        return
    if runtime.heartbeat_task is not None:
        runtime.heartbeat_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runtime.heartbeat_task
    await runtime.http.aclose()
    await runtime.notify_clients.aclose()
    await runtime.engine.dispose()
    logger.info("worker stopped", worker_id=runtime.worker_id)


def transactional(
    fn: Callable[Concatenate[AsyncSession, WorkerRuntime, P], Awaitable[R]],
) -> Callable[..., Coroutine[Any, Any, R]]:
    """Make `fn(session, runtime, **ids)` an arq job: one transaction, committed once, timed.

    Jobs run at least once (arq re-runs a job whose worker died): `fn` must be idempotent.
    """

    @functools.wraps(fn)
    async def job(ctx: dict[str, Any], *args: P.args, **kwargs: P.kwargs) -> R:
        runtime: WorkerRuntime = ctx[CONTEXT_KEY]
        structlog.contextvars.bind_contextvars(job=fn.__name__, job_id=ctx.get("job_id"))
        started = time.perf_counter()
        status = "failed"
        try:
            async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as session:
                result = await fn(session, runtime, *args, **kwargs)
            status = "succeeded"
            return result
        finally:
            seconds = time.perf_counter() - started
            logger.info("job finished", status=status, duration_ms=round(seconds * 1000, 2))
            with contextlib.suppress(Exception):
                await job_metrics.record(
                    runtime.redis,
                    prefix=runtime.settings.redis_prefix,
                    function=fn.__name__,
                    status=status,
                    seconds=seconds,
                )
            structlog.contextvars.unbind_contextvars("job", "job_id")

    return job
