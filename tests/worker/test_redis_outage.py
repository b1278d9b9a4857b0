"""A worker outlives Redis going away: it waits with backoff, then takes jobs again."""

import asyncio
import contextlib
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from arq.jobs import Job
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import WatchError

from services.worker.resilient import ResilientWorker, redis_unavailable
from services.worker.settings import build_worker_settings
from shared import jobs
from shared.config import Settings
from shared.embedded import EmbeddedRedis, free_port
from tests.live import live_worker

pytestmark = pytest.mark.committed

UNAVAILABLE = "redis unavailable"  # the worker's warning while it waits
HEARTBEAT_FAILED = "heartbeat failed"


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A Redis of this test's own, to stop and start again on the same port.

    Durable (append-only file), as in `./dev run`: a job queued before a restart is
    still queued after it.
    """
    server = EmbeddedRedis(tmp_path / "redis", free_port(), durable=True)
    yield server
    server.stop()


@pytest.fixture
async def queue(own_redis: EmbeddedRedis, settings: Settings) -> AsyncIterator[Any]:
    """The test's client of `own_redis`, as the API enqueues."""
    pool = jobs.create_redis(own_redis.url(), queue_name=settings.queue_name)
    yield pool
    await pool.aclose()


def worker_env(settings: Settings, redis: EmbeddedRedis) -> dict[str, str]:
    assert settings.database_url
    return {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": redis.url(),
        "REDIS_PREFIX": settings.redis_prefix,
        "QUEUE_NAME": settings.queue_name,
        "WORKER_HEARTBEAT_SECONDS": "0.2",
    }


async def eventually(check: Any, what: str, *, alive: Any = None) -> Any:
    """Poll `check()` (sync or async) until it returns something truthy, for up to 30 s."""
    deadline = time.monotonic() + 30
    while True:
        if alive is not None:
            alive()
        with contextlib.suppress(RedisConnectionError):  # the test's own client, mid-restart
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def enqueue(pool: Any, settings: Settings, *, defer_by: timedelta | None = None) -> str:
    """Queue a job that succeeds without arranging anything; return its id."""
    job_id = f"outage-{uuid.uuid4().hex[:12]}"

    async def send() -> bool:
        # None (a job of that id exists) only if an attempt that seemed to fail got through.
        await pool.enqueue_job(
            "prune_idempotency_keys",
            _job_id=job_id,
            _queue_name=settings.queue_name,
            _defer_by=defer_by,
        )
        return True

    await eventually(send, f"enqueueing {job_id}")
    return job_id


async def succeeded(pool: Any, settings: Settings, job_id: str) -> bool:
    job = Job(job_id, pool, _queue_name=settings.queue_name, _deserializer=jobs.deserialize)
    info = await job.result_info()
    return info is not None and info.success


async def beat_since(pool: Any, settings: Settings, moment: float) -> bool:
    beats = await pool.zrangebyscore(f"{settings.redis_prefix}:workers", moment, "+inf")
    return bool(beats)


class WorkerLog:
    def __init__(self, path: Path, process: subprocess.Popen[bytes]) -> None:
        self.path = path
        self.process = process

    @property
    def text(self) -> str:
        return self.path.read_text(errors="replace") if self.path.exists() else ""

    def count(self, marker: str) -> int:
        return self.text.count(marker)

    def assert_alive(self) -> None:
        assert self.process.poll() is None, f"the worker exited:\n{self.text}"


@pytest.mark.slow
async def test_a_worker_process_waits_out_redis_restarts_and_keeps_taking_jobs(
    runtime, settings: Settings, own_redis: EmbeddedRedis, queue: Any, tmp_path: Path
):
    with live_worker(worker_env(settings, own_redis), log=tmp_path / "worker.log") as process:
        log = WorkerLog(tmp_path / "worker.log", process)
        alive = log.assert_alive
        # Started before Redis: it waits instead of giving up.
        await eventually(lambda: log.count(UNAVAILABLE), "a warning at start", alive=alive)
        own_redis.start()
        first = await enqueue(queue, settings)
        await eventually(lambda: succeeded(queue, settings, first), "the first job", alive=alive)

        # A job still queued (deferred) when Redis stops, another one after it returns.
        # Deferred by 3 s: taken just as Redis stopped, it would wait out its in-progress mark.
        queued = await enqueue(queue, settings, defer_by=timedelta(seconds=3))
        warned, missed = log.count(UNAVAILABLE), log.count(HEARTBEAT_FAILED)
        own_redis.stop()
        await eventually(lambda: log.count(UNAVAILABLE) > warned, "a warning", alive=alive)
        await eventually(lambda: log.count(HEARTBEAT_FAILED) > missed, "a missed beat", alive=alive)
        own_redis.start()
        back = time.time()
        after = await enqueue(queue, settings)

        await eventually(lambda: succeeded(queue, settings, queued), "the queued job", alive=alive)
        await eventually(lambda: succeeded(queue, settings, after), "the new job", alive=alive)
        await eventually(lambda: beat_since(queue, settings, back), "a heartbeat", alive=alive)
        alive()
    assert "Traceback" not in log.text  # a warning per attempt, no stack dump
    assert "redis reachable again" in log.text


@pytest.mark.slow
async def test_a_worker_stopped_while_redis_is_down_still_shuts_down_cleanly(
    runtime, settings: Settings, own_redis: EmbeddedRedis, tmp_path: Path
):
    own_redis.start()
    with live_worker(worker_env(settings, own_redis), log=tmp_path / "worker.log") as process:
        log = WorkerLog(tmp_path / "worker.log", process)
        await eventually(lambda: log.count("worker started"), "startup", alive=log.assert_alive)
        own_redis.stop()
        await eventually(lambda: log.count(UNAVAILABLE), "a warning", alive=log.assert_alive)
        process.terminate()
        assert process.wait(20) == 0, log.text
    assert "worker stopped" in log.text  # its shutdown ran: database pool closed
    assert "Traceback" not in log.text


async def test_a_redis_error_while_taking_a_job_does_not_cost_the_worker_a_slot(
    runtime, settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    """arq counts a job as running before it marks it in progress in Redis: an error in
    between must give the slot back, or after `max_jobs` such errors the worker idles."""
    assert settings.redis_url
    pool = jobs.create_redis(settings.redis_url, queue_name=settings.queue_name)
    real_pipeline = pool.pipeline
    failures = [RedisConnectionError("injected: Redis went away")]

    def pipeline(*args: Any, **kwargs: Any) -> Any:
        pipe = real_pipeline(*args, **kwargs)
        real_watch = pipe.watch

        async def watch(*names: Any) -> Any:
            if failures:  # only taking a job watches a key
                raise failures.pop()
            return await real_watch(*names)

        pipe.watch = watch
        return pipe

    monkeypatch.setattr(pool, "pipeline", pipeline)
    options = build_worker_settings(settings) | {
        "max_jobs": 1,
        "poll_delay": 0.01,
        "handle_signals": False,
        "cron_jobs": [],
        "redis_pool": pool,
    }
    worker = ResilientWorker(**options)
    running = asyncio.create_task(worker.async_run())

    def alive() -> None:
        assert not running.done(), running.exception()

    client = jobs.create_redis(settings.redis_url, queue_name=settings.queue_name)
    try:
        job_id = await enqueue(client, settings)
        await eventually(lambda: succeeded(client, settings, job_id), "the job", alive=alive)
        assert failures == []  # the injected error did happen
    finally:
        await worker.close()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await client.aclose()


async def connection_lost_while_watching(redis_url: str, queue_name: str) -> None:
    """What arq meets taking or enqueueing a job as Redis dies: the connection holding a
    WATCH is cut (here by CLIENT KILL), and redis-py raises a WatchError, not a
    ConnectionError."""
    client = jobs.create_redis(redis_url, queue_name=queue_name)
    killer = jobs.create_redis(redis_url, queue_name=queue_name)
    try:
        async with client.pipeline(transaction=True) as pipe:
            await pipe.watch(f"{queue_name}:watched")
            await killer.client_kill_filter(_id=await pipe.client_id())
            await pipe.exists(f"{queue_name}:watched")
    finally:
        await client.aclose()
        await killer.aclose()


async def refused(queue_name: str) -> None:
    """A command sent to a port nobody listens on: Redis killed, not yet back."""
    client = jobs.create_redis(f"redis://127.0.0.1:{free_port()}/0", queue_name=queue_name)
    try:
        await client.ping()
    finally:
        await client.aclose()


async def test_jobs_cut_off_by_redis_do_not_hold_the_next_polls_back(runtime, settings: Settings):
    """arq raises a finished job's error from the next poll, one per poll: after an outage,
    each job it cut off passed for another outage (backoff, no health record, no crons)
    and a dozen kept a worker idle for a minute after Redis was back."""
    assert settings.redis_url
    queue_name = f"{settings.queue_name}:cut-off-{uuid.uuid4().hex[:6]}"
    pool = jobs.create_redis(settings.redis_url, queue_name=queue_name)
    options = build_worker_settings(settings) | {
        "queue_name": queue_name,
        "handle_signals": False,
        "cron_jobs": [],
        "redis_pool": pool,
    }
    worker = ResilientWorker(**options)
    try:
        cut_off = {
            "lost-while-watching": asyncio.create_task(
                connection_lost_while_watching(settings.redis_url, queue_name)
            ),
            "refused": asyncio.create_task(refused(queue_name)),
        }
        await asyncio.wait(cut_off.values())
        assert isinstance(cut_off["lost-while-watching"].exception(), WatchError)
        errors = [task.exception() for task in cut_off.values()]
        assert all(error is not None and redis_unavailable(error) for error in errors), errors
        worker.tasks.update(cut_off)

        await worker._poll_iteration()

        assert worker.tasks == {}
        assert not worker._redis_down  # no backoff: Redis answered this poll
        assert await pool.exists(worker.health_check_key)  # the poll went on to its end
    finally:
        await worker.close()
