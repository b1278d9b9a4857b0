"""`campaignops dev`: the whole stack in one command, and nothing left running after Ctrl-C.

Starts embedded PostgreSQL and Redis when DATABASE_URL / REDIS_URL are unset (data kept
under CAMPAIGNOPS_DATA_DIR), migrates, creates a demo workspace on first start, then runs
the API and one worker as child processes until interrupted. A child or server that
exits on its own is restarted after a backoff (1 s, doubling to 30 s), not the end of the
stack: the others keep running, and Ctrl-C still stops them all in order.
"""

import asyncio
import functools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from shared import migrate
from shared.actor import Role
from shared.backoff import Backoff
from shared.config import Settings
from shared.db import create_engine, create_sessionmaker, unit_of_work
from shared.embedded import (
    ChildServer,
    EmbeddedPostgres,
    EmbeddedRedis,
    EmbeddedServerError,
    die_with_parent,
)
from shared.jobs import DiscardingJobQueue
from shared.metrics import service as metric_dictionary
from shared.workspaces import api_keys, service

DEMO_KEY_FILE = "demo-admin-key"
FIRST_RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 30.0
STABLE_AFTER = 60.0  # up this long, a process's next exit counts as a first one again


def _say(message: str) -> None:
    print(f"campaignops dev | {message}", flush=True)


async def bootstrap_demo(database_url: str, data_dir: Path) -> str | None:
    """Create the demo workspace and an admin key when the database has no workspace yet."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with unit_of_work(create_sessionmaker(engine), DiscardingJobQueue()) as session:
            if await service.list_workspaces(session):
                return None
            workspace = await service.create_workspace(
                session,
                name="Demo workspace",
                default_timezone="Asia/Shanghai",
                default_currency="CNY",
            )
            await metric_dictionary.seed_standard(session, workspace_id=workspace.id)
            _, token = await api_keys.create_api_key(
                session, workspace_id=workspace.id, name="demo admin", role=Role.admin
            )
    finally:
        await engine.dispose()
    key_file = data_dir / DEMO_KEY_FILE
    key_file.write_text(token + "\n")
    key_file.chmod(0o600)
    return token


class Restarts:
    """When to start a process again that exited: after 1 s, then 2 s, 4 s... up to 30 s;
    a process that had stayed up `STABLE_AFTER` seconds is back to 1 s."""

    def __init__(self, now: float) -> None:
        self.backoff = Backoff(FIRST_RESTART_DELAY, MAX_RESTART_DELAY)
        self.started_at = now
        self.due: float | None = None  # set while the process is down

    def exited(self, now: float) -> float:
        """The process exited at `now`: how long until it is started again."""
        if now - self.started_at >= STABLE_AFTER:
            self.backoff.reset()
        return self._wait(now)

    def start_failed(self, now: float) -> float:
        return self._wait(now)

    def started(self, now: float) -> None:
        self.started_at = now
        self.due = None

    def _wait(self, now: float) -> float:
        delay = self.backoff.next_delay()
        self.due = now + delay
        return delay


class DevStack:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data_dir = settings.data_dir.resolve()
        self.servers: list[ChildServer] = []
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.restarts: dict[str, Restarts] = {}
        self.env: dict[str, str] = {}
        self.stopping = False

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._request_stop)
        signal.signal(signal.SIGTERM, self._request_stop)
        try:
            self.env = self._start_servers()
            _say("applying migrations")
            migrate.upgrade(self.env["DATABASE_URL"])
            self._announce_key(self.env["DATABASE_URL"])
            self._spawn("api")
            self._spawn("worker")
            return self._supervise()
        except (EmbeddedServerError, OSError) as exc:
            _say(f"cannot start: {exc}")
            return 1
        finally:
            self._shutdown()

    def _start_servers(self) -> dict[str, str]:
        env = dict(os.environ)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.settings.database_url:
            postgres = EmbeddedPostgres(
                self.data_dir / "postgres", self.settings.embedded_postgres_port
            )
            self.servers.append(postgres)
            env["DATABASE_URL"] = postgres.start()
            self.restarts[postgres.name] = Restarts(time.monotonic())
            _say(f"embedded PostgreSQL on 127.0.0.1:{postgres.port} (data in {postgres.data_dir})")
        if not self.settings.redis_url:
            redis = EmbeddedRedis(self.data_dir / "redis", self.settings.embedded_redis_port)
            self.servers.append(redis)
            env["REDIS_URL"] = redis.start()
            self.restarts[redis.name] = Restarts(time.monotonic())
            _say(f"embedded Redis on 127.0.0.1:{redis.port} (data in {redis.data_dir})")
        return env

    def _announce_key(self, database_url: str) -> None:
        token = asyncio.run(bootstrap_demo(database_url, self.data_dir))
        base = f"http://{self.settings.api_host}:{self.settings.api_port}"
        if token is None:
            key_file = self.data_dir / DEMO_KEY_FILE
            hint = f"$(cat {key_file})" if key_file.exists() else "<your key>"
            _say("workspace exists; new keys: `campaignops api-key create --workspace <slug>`")
        else:
            hint = token
            _say("created the demo workspace")
            _say(f"API key: {token}")
        _say(f"try: curl -H 'Authorization: Bearer {hint}' {base}/v1/workspace")
        _say(f"docs: {base}/docs   readiness: {base}/readyz   Ctrl-C stops everything")

    def _spawn(self, command: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(  # noqa: S603 - our own entry point
            [sys.executable, "-m", "services.cli", command],
            env=self.env,
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGTERM),  # noqa: PLW1509
        )
        self.children[command] = process
        self.restarts.setdefault(command, Restarts(time.monotonic()))
        return process

    def _request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _supervise(self) -> int:
        while not self.stopping:
            for name, process in list(self.children.items()):
                self._keep_up(name, process.poll(), functools.partial(self._respawn, name))
            for server in self.servers:
                self._keep_up(
                    server.name,
                    _exit_code(server),
                    functools.partial(_restart, server),
                    note=f" (its log: {server.log_path})",
                )
            time.sleep(0.2)
        _say("stopping")
        return 0

    def _keep_up(
        self, name: str, exit_code: int | None, start: Callable[[], str], note: str = ""
    ) -> None:
        """Notice that `name` exited, and start it again once its backoff has passed."""
        restarts, now = self.restarts[name], time.monotonic()
        if restarts.due is None:
            if exit_code is not None:
                delay = restarts.exited(now)
                _say(f"{name} exited with code {exit_code}; restarting in {delay:g}s{note}")
            return
        if now < restarts.due or self.stopping:
            return
        try:
            where = start()
        except (EmbeddedServerError, OSError) as exc:
            delay = restarts.start_failed(time.monotonic())
            _say(f"{name} did not start ({exc}); trying again in {delay:g}s")
            return
        restarts.started(time.monotonic())
        _say(f"{name} restarted ({where})")

    def _respawn(self, name: str) -> str:
        return f"pid {self._spawn(name).pid}"

    def _shutdown(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut this short
        for process in self.children.values():
            if process.poll() is None:
                process.terminate()
        for name, process in self.children.items():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                _say(f"{name} did not stop in time; killing it")
                process.kill()
                process.wait()
        for server in reversed(self.servers):
            server.stop()
        self.children.clear()
        self.servers.clear()
        _say("stopped")


def _exit_code(server: ChildServer) -> int | None:
    """None while `server` runs; its exit code (-1 if unknown) once it has stopped."""
    if server.is_running():
        return None
    return server.process.returncode if server.process is not None else -1


def _restart(server: ChildServer) -> str:
    server.stop()  # it has exited: this only closes its log
    server.start()
    return f"127.0.0.1:{server.port}"
