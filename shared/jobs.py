"""Our enqueue interface. Callers name a job and pass ids; arq stays behind `ArqJobQueue`.

`enqueue()` only buffers on the session: the unit of work sends the buffer after the
transaction commits and drops it on rollback, so a job never sees uncommitted data.
Payloads are JSON (arq's default is pickle).
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

logger = logging.getLogger(__name__)

_PENDING = "campaignops.pending_jobs"


@dataclass(frozen=True)
class Job:
    function: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    job_id: str | None = None
    defer_by: timedelta | None = None


def enqueue(
    session: AsyncSession,
    function: str,
    *,
    job_id: str | None = None,
    defer_by: timedelta | None = None,
    **kwargs: Any,
) -> None:
    """Send `function(**kwargs)` to the worker once the session's transaction commits.

    kwargs must be JSON values (ids as strings). A fixed `job_id` makes arq drop
    duplicates while a job of that id is queued or its result is kept.
    """
    json.dumps(kwargs)  # fail at the call site, not in the worker
    session.info.setdefault(_PENDING, []).append(Job(function, kwargs, job_id, defer_by))


def enqueue_once(session: AsyncSession, function: str) -> None:
    """`enqueue` unless this transaction already owes a `function` job: for jobs that
    work off a backlog, one per transaction is enough however much it adds."""
    if not any(job.function == function for job in session.info.get(_PENDING, [])):
        enqueue(session, function)


def take_pending(session: AsyncSession) -> list[Job]:
    pending: list[Job] = session.info.pop(_PENDING, [])
    return pending


def serialize(payload: Any) -> bytes:
    # default=str: arq also stores results and exceptions with this serializer.
    return json.dumps(payload, default=str).encode()


def deserialize(raw: bytes) -> Any:
    return json.loads(raw)


class JobQueue(Protocol):
    async def send(self, pending: list[Job]) -> None: ...


class ArqJobQueue:
    def __init__(self, pool: Any, queue_name: str) -> None:
        self._pool = pool
        self._queue_name = queue_name

    async def send(self, pending: list[Job]) -> None:
        for job in pending:
            try:
                await self._pool.enqueue_job(
                    job.function,
                    _job_id=job.job_id,
                    _defer_by=job.defer_by,
                    _queue_name=self._queue_name,
                    **job.kwargs,
                )
            except Exception:
                # The transaction is already committed; jobs that must not be lost keep
                # their intent in PostgreSQL and a sweeper re-enqueues them.
                logger.exception("enqueue failed after commit", extra={"job": job.function})


class DiscardingJobQueue:
    """For command-line tools that run no worker: pending jobs are logged and dropped."""

    async def send(self, pending: list[Job]) -> None:
        for job in pending:
            logger.warning("job dropped: no queue configured", extra={"job": job.function})


def create_redis(redis_url: str, *, queue_name: str) -> Any:
    """An arq Redis client (a redis.asyncio.Redis) that connects lazily.

    Lazily, so an API process starts while Redis is down and says so in /readyz
    instead of crashing; short timeouts, so a dead Redis fails fast.
    """
    from arq.connections import ArqRedis  # noqa: PLC0415 - keep arq out of import time
    from redis.asyncio import ConnectionPool  # noqa: PLC0415

    pool = ConnectionPool.from_url(
        redis_url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
    )
    return ArqRedis(
        connection_pool=pool,
        job_serializer=serialize,
        job_deserializer=deserialize,
        default_queue_name=queue_name,
    )
