"""`campaignops worker`: an arq worker that outlives Redis outages.

arq 0.28 ends its main loop at the first Redis error (a poll, its health record, a cron
enqueue, a job's bookkeeping) and, at start, tries Redis only `conn_retries` times; no
setting changes that. This worker instead waits for Redis with exponential backoff
(a warning per attempt, no traceback), then picks jobs up again from whatever server
answers on the same address, restarted or not.
"""

import asyncio
import signal
from typing import Any

import structlog
from arq.worker import Worker
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.exceptions import WatchError

from services.worker.settings import build_worker_settings
from shared import jobs, logs
from shared.backoff import Backoff
from shared.config import Settings

logger = structlog.get_logger(__name__)

# Redis did not answer. Any other error is a bug: it still ends the process, loudly.
# (redis-py's BusyLoadingError, while a restarted Redis reads its data, is a ConnectionError.)
REDIS_UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
FIRST_RETRY_SECONDS = 0.2
MAX_RETRY_SECONDS = 5.0
SHUTDOWN_WAIT_SECONDS = 10.0


def redis_unavailable(exc: BaseException) -> bool:
    """Redis did not answer. redis-py reports a connection lost while a WATCH is on (arq
    watches a job's key to take or to enqueue it) as a WatchError, which says "retry" but
    is an outage like any other: unhandled, it ended the worker."""
    if isinstance(exc, WatchError):
        return isinstance(exc.__context__, REDIS_UNAVAILABLE)
    return isinstance(exc, REDIS_UNAVAILABLE)


class ResilientWorker(Worker):
    """An arq Worker whose loop survives Redis errors. Give it a `redis_pool`."""

    def __init__(self, **options: Any) -> None:
        if options.get("redis_pool") is None:
            # arq would build its own pool in main() and give up after `conn_retries`.
            raise ValueError("ResilientWorker needs a redis_pool")
        super().__init__(**options)
        self._backoff = Backoff(FIRST_RETRY_SECONDS, MAX_RETRY_SECONDS)
        self._redis_down = False
        self._stopping = False

    def handle_sig(self, signum: signal.Signals) -> None:
        # arq stops by cancelling the poll loop and the jobs. A busy worker (a minute sweep's
        # chunk jobs) was seen taking jobs and crons 60 s after SIGTERM: the cancellation
        # did not end the loop (on Python 3.11 one landing as a Redis read's timeout scope
        # exits is lost). The loop also looks at this flag, and close() cancels again.
        self._stopping = True
        super().handle_sig(signum)

    async def main(self) -> None:
        # arq's main() asks Redis for its INFO straight away and would end on an error.
        while True:
            try:
                await self.pool.ping()
                break
            except REDIS_UNAVAILABLE as exc:
                await self._wait_for_redis(exc)
        self._redis_answered()
        await super().main()

    async def _poll_iteration(self) -> None:
        if self._stopping:
            raise asyncio.CancelledError  # ends arq's main loop, as its cancellation would
        self._forget_jobs_cut_off_by_redis()
        try:
            await super()._poll_iteration()
        except Exception as exc:
            if not redis_unavailable(exc):
                raise
            await self._wait_for_redis(exc)
        else:
            self._redis_answered()

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        for job_id in job_ids:
            if self.job_counter >= self.max_jobs:
                return
            task_before = self.tasks.get(job_id.decode())
            try:
                await super().start_jobs([job_id])
            except Exception as exc:
                if not redis_unavailable(exc):
                    raise
                # arq took a slot (counter and semaphore) before it failed to mark the job
                # in progress; no task will give it back.
                if self.tasks.get(job_id.decode()) is task_before:
                    self.job_counter -= 1
                    self.sem.release()
                raise

    def _forget_jobs_cut_off_by_redis(self) -> None:
        """Drop finished jobs whose bookkeeping failed on a Redis error, with a warning.

        arq re-raises a finished job's error from a later poll, one job per poll: after an
        outage, each job cut off by it would pass for Redis being down again, though it
        answers, and back the loop off (up to the maximum delay) while skipping the health
        record and the crons, the batch sweep among them: a dozen such jobs kept a worker
        idle for a minute after Redis was back. What the job did in PostgreSQL is
        committed or not; a job whose in-progress mark survived runs again once it
        expires, and the batch sweep re-queues a batch whose job Redis lost.
        """
        for job_id, task in list(self.tasks.items()):
            if not task.done() or task.cancelled():
                continue
            error = task.exception()
            if error is not None and redis_unavailable(error):
                del self.tasks[job_id]
                logger.warning(
                    "job bookkeeping cut off by redis", job_id=job_id, error=_describe(error)
                )

    async def close(self) -> None:
        """arq's close, but Redis being down does not skip our shutdown (nor fail the exit)."""
        if not self._handle_signals:
            self.handle_sig(signal.SIGUSR1)
        if self._pool is None:
            return
        await self._stop_polling()
        await self._stop_jobs()
        try:
            await self.pool.delete(self.health_check_key)
        except REDIS_UNAVAILABLE as exc:
            logger.warning("redis unavailable at shutdown", error=_describe(exc))
        if self.on_shutdown:
            await self.on_shutdown(self.ctx)
        await self.pool.aclose(close_connection_pool=True)
        self._pool = None

    async def _stop_polling(self) -> None:
        """End the polling loop before its pool is closed, or a last poll finds no pool.

        Cancelled by `handle_sig`, the loop ends at its next await; but on Python 3.11 a
        cancellation that lands as a Redis read's timeout scope exits can be lost, so it is
        repeated until the loop has ended (or the wait runs out)."""
        main = self.main_task
        if main is None or main is asyncio.current_task():
            return
        deadline = asyncio.get_running_loop().time() + SHUTDOWN_WAIT_SECONDS
        while not main.done() and asyncio.get_running_loop().time() < deadline:
            main.cancel()
            await asyncio.wait({main}, timeout=0.1)

    async def _stop_jobs(self) -> None:
        """Cancel the running jobs until they have ended, or the wait runs out (a job that
        outlives it is left to the process's exit; arq runs it again, as after a kill).
        A job whose bookkeeping failed with Redis ends in an error: nothing to do about it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SHUTDOWN_WAIT_SECONDS
        running = {task for task in self.tasks.values() if not task.done()}
        while running and loop.time() < deadline:
            for task in running:
                task.cancel()
            # A second before cancelling again: arq records a cancelled job for its retry.
            await asyncio.wait(running, timeout=min(1.0, max(0.0, deadline - loop.time())))
            running = {task for task in running if not task.done()}
        if running:
            logger.warning("jobs still running at shutdown", count=len(running))
        await asyncio.gather(
            *(task for task in self.tasks.values() if task.done()), return_exceptions=True
        )

    async def _wait_for_redis(self, exc: BaseException) -> None:
        delay = self._backoff.next_delay()
        logger.warning("redis unavailable; retrying", error=_describe(exc), retry_in_seconds=delay)
        self._redis_down = True
        await asyncio.sleep(delay)

    def _redis_answered(self) -> None:
        if self._redis_down:
            logger.info("redis reachable again")
            self._redis_down = False
        self._backoff.reset()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def run(settings: Settings) -> None:
    """Run one worker until SIGINT/SIGTERM, whatever Redis does meanwhile."""
    logs.configure(settings.log_level, settings.log_format)
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL must be set; `campaignops dev` sets it for you.")
    # Our client, not arq's: it connects lazily and has socket timeouts, so a Redis that
    # vanished without closing its connections fails a poll instead of hanging it.
    pool = jobs.create_redis(settings.redis_url, queue_name=settings.queue_name)
    ResilientWorker(**build_worker_settings(settings), redis_pool=pool).run()
