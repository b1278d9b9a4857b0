"""The servers and processes the fault suite breaks: its own PostgreSQL and Redis (never
the session's), the API and workers as real `campaignops` processes."""

import asyncio
import json
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from shared.embedded import EmbeddedPostgres, EmbeddedRedis
from tests.live import live_worker

T = TypeVar("T")

# Retry timing shortened so that every safety net acts within seconds (the service's own
# settings, read by the worker): a batch waiting 3 s is queued again, looked for every
# 2 s; a callback is tried again after 0.5 s, 0.5 s, 1 s... 8 steps over ~15 s.
FAST_RECOVERY = {
    "INGEST_REQUEUE_AFTER_SECONDS": "3",
    "INGEST_REQUEUE_EVERY_SECONDS": "2",
    "NOTIFY_RETRY_DELAYS_SECONDS": json.dumps([0.5, 0.5, 1, 1, 1.5, 2, 3, 5]),
    "NOTIFY_ALLOWED_NETWORKS": "127.0.0.0/8",
    "WORKER_HEARTBEAT_SECONDS": "0.5",
    "WORKER_STALE_AFTER_SECONDS": "3",
    "RATE_LIMIT_PER_MINUTE": "0",
    "LOG_LEVEL": "INFO",  # the logs (under pytest's tmp_path) are what to read when one fails
}


async def eventually(
    check: Callable[[], Awaitable[T | None]],
    what: str,
    *,
    within: float,
    alive: Callable[[], None] | None = None,
) -> T:
    """Poll `check()` until it returns something truthy; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        if alive is not None:
            alive()
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.1)


@dataclass
class FaultStack:
    postgres: EmbeddedPostgres
    redis: EmbeddedRedis
    database_url: str
    logs: Path

    @property
    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.database_url, "REDIS_URL": self.redis.url()} | FAST_RECOVERY

    def kill_redis(self) -> None:
        """SIGKILL: not durable, so every queued job, in-progress mark and beat is gone."""
        assert self.redis.process is not None
        self.redis.process.send_signal(signal.SIGKILL)
        self.redis.stop()

    def start_redis(self) -> None:
        self.redis.start()  # same port, empty

    def stop_postgres(self) -> None:
        self.postgres.stop()  # fast shutdown: sessions are ended, in-flight ones fail

    def start_postgres(self) -> None:
        self.postgres.start("postgres")  # same port and data directory

    async def query(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(self.database_url.replace("+asyncpg", ""))
        try:
            return list(await connection.fetch(sql, *args))
        finally:
            await connection.close()


@dataclass
class Workers:
    """Worker processes of one test; what a supervisor (`./dev run`, systemd) would do when
    one dies is `restart`."""

    env: dict[str, str]
    log: Path
    _stack: ExitStack = field(default_factory=ExitStack)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self) -> subprocess.Popen[bytes]:
        process = self._stack.enter_context(live_worker(self.env, log=self.log))
        self.processes.append(process)
        return process

    @property
    def current(self) -> subprocess.Popen[bytes]:
        return self.processes[-1]

    def kill_and_restart(self) -> None:
        self.current.send_signal(signal.SIGKILL)
        self.current.wait(10)
        self.start()

    def assert_alive(self) -> None:
        code = self.current.poll()
        assert code is None, f"the worker exited with {code}:\n{self.tail()}"

    def tail(self) -> str:
        lines = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        return "\n".join(lines[-30:])

    def close(self) -> None:
        # What a test proves ends with its assertions; a worker still finishing jobs of
        # a broken stack may take longer than a graceful stop allows, and being killed is
        # what this suite shows is safe.
        for process in self.processes:
            if process.poll() is None:
                process.kill()
        self._stack.close()
