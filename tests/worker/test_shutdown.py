"""A worker told to stop stops, whatever its jobs do: a deploy's SIGTERM must not wait on
a sweep (a busy worker was seen taking jobs and crons 60 s after SIGTERM)."""

import asyncio
import signal
import time
from typing import Any

import pytest
from arq.worker import func

from services.worker import resilient
from services.worker.resilient import ResilientWorker
from services.worker.settings import build_worker_settings
from shared import jobs
from shared.config import Settings

started: list[str] = []


async def stubborn(ctx: dict[str, Any]) -> None:
    """A job that shrugs off a cancellation (on Python 3.11 one landing as a timeout scope
    exits can be lost) and would then run for minutes."""
    started.append(ctx["job_id"])
    try:
        await asyncio.sleep(600)
    except asyncio.CancelledError:
        await asyncio.sleep(600)


async def test_sigterm_ends_the_worker_and_starts_nothing_more(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(resilient, "SHUTDOWN_WAIT_SECONDS", 2.0)
    assert settings.redis_url
    pool = jobs.create_redis(settings.redis_url, queue_name=settings.queue_name)
    worker = ResilientWorker(
        **build_worker_settings(settings)
        | {
            "functions": [func(stubborn, name="stubborn", max_tries=5)],
            "cron_jobs": [],
            "poll_delay": 0.01,
            "handle_signals": False,
            "redis_pool": pool,
        }
    )
    # As in production, where arq installs the signal handlers: close() then does not
    # cancel the jobs a second time itself.
    worker._handle_signals = True
    running = asyncio.create_task(worker.async_run())
    started.clear()
    try:
        await pool.enqueue_job("stubborn", _job_id="stubborn-1")
        deadline = time.monotonic() + 30
        while not started:
            assert time.monotonic() < deadline, "the job never started"
            assert not running.done(), running
            await asyncio.sleep(0.01)

        asked = time.monotonic()
        worker.handle_sig(signal.SIGTERM)
        # arq retries a cancelled job: the loop must not take that retry after the signal.
        await asyncio.sleep(0.3)
        await asyncio.wait_for(worker.close(), timeout=10)
        assert time.monotonic() - asked < 5
        assert started == ["stubborn-1"]
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await pool.aclose()
