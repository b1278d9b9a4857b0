"""`campaignops dev`: the whole stack in one command, and nothing left running after Ctrl-C.

Starts embedded PostgreSQL and Redis when DATABASE_URL / REDIS_URL are unset (data kept
under CAMPAIGNOPS_DATA_DIR), migrates, creates a demo workspace on first start, then runs
the API and one worker as child processes until interrupted.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from shared import migrate
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
from shared.workspaces import api_keys, service
from shared.workspaces.models import Role

DEMO_KEY_FILE = "demo-admin-key"


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
            _, token = await api_keys.create_api_key(
                session, workspace_id=workspace.id, name="demo admin", role=Role.admin
            )
    finally:
        await engine.dispose()
    key_file = data_dir / DEMO_KEY_FILE
    key_file.write_text(token + "\n")
    key_file.chmod(0o600)
    return token


class DevStack:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data_dir = settings.data_dir.resolve()
        self.servers: list[ChildServer] = []
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.stopping = False

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._request_stop)
        signal.signal(signal.SIGTERM, self._request_stop)
        try:
            env = self._start_servers()
            _say("applying migrations")
            migrate.upgrade(env["DATABASE_URL"])
            self._announce_key(env["DATABASE_URL"])
            self._spawn("api", env)
            self._spawn("worker", env)
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
            _say(f"embedded PostgreSQL on 127.0.0.1:{postgres.port} (data in {postgres.data_dir})")
        if not self.settings.redis_url:
            redis = EmbeddedRedis(self.data_dir / "redis", self.settings.embedded_redis_port)
            self.servers.append(redis)
            env["REDIS_URL"] = redis.start()
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

    def _spawn(self, command: str, env: dict[str, str]) -> None:
        process = subprocess.Popen(  # noqa: S603 - our own entry point
            [sys.executable, "-m", "services.cli", command],
            env=env,
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGTERM),  # noqa: PLW1509
        )
        self.children.append((command, process))

    def _request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _supervise(self) -> int:
        while not self.stopping:
            for name, process in self.children:
                if process.poll() is not None:
                    _say(f"{name} exited with code {process.returncode}; stopping")
                    return 1
            for server in self.servers:
                if not server.is_running():
                    _say(f"{server.name} stopped unexpectedly; see {server.log_path}")
                    return 1
            time.sleep(0.2)
        _say("stopping")
        return 0

    def _shutdown(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut this short
        for _, process in self.children:
            if process.poll() is None:
                process.terminate()
        for name, process in self.children:
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
