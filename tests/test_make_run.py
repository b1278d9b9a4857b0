"""`./dev run`, the README run command, on its own data dir.

It serves the printed key, keeps data across restarts, starts again a child that died
and leaves no process behind.
"""

import os
import queue
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

import httpx
import psutil
import pytest
from redis import Redis

from shared.embedded import free_port

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


class Stack:
    def __init__(
        self,
        data_dir: Path,
        api_port: int,
        pg_port: int,
        redis_port: int,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env |= (extra_env or {}) | {
            "CAMPAIGNOPS_DATA_DIR": str(data_dir),
            "API_PORT": str(api_port),
            "EMBEDDED_POSTGRES_PORT": str(pg_port),
            "EMBEDDED_REDIS_PORT": str(redis_port),
        }
        self.base = f"http://127.0.0.1:{api_port}"
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self.process = subprocess.Popen(
            ["./dev", "run"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for_line(self, marker: str, timeout: float = 180) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                assert self.process.poll() is None, "".join(self.output)
                continue
            self.output.append(line)
            if marker in line:
                return line
        raise AssertionError(f"no {marker!r} in output:\n{''.join(self.output)}")

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError("never ready: " + httpx.get(f"{self.base}/readyz").text)

    def child(self, command: str) -> psutil.Process:
        """The supervisor's child running `command` (`campaignops <command>` or a server)."""
        for process in psutil.Process(self.process.pid).children():
            try:
                if process.cmdline()[-2:] == ["services.cli", command] or (
                    process.name() == command  # servers: Redis rewrites its command line
                ):
                    return process
            except psutil.Error:  # exited meanwhile
                continue
        raise AssertionError(f"no {command} child")

    def ctrl_c(self) -> str:
        """Interrupt like a terminal does (the whole foreground group); return all output."""
        os.killpg(self.process.pid, signal.SIGINT)
        self.process.wait(90)
        time.sleep(0.2)
        while not self.lines.empty():
            self.output.append(self.lines.get())
        return "".join(self.output)


def processes_using(data_dir: Path) -> list[str]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if str(data_dir) in cmdline:
            found.append(cmdline)
    return found


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def left_behind(data_dir: Path, ports: tuple[int, ...]) -> list[str]:
    """Processes of this stack still alive, or its ports still answering (waits a little)."""
    deadline = time.monotonic() + 10
    while True:
        found = processes_using(data_dir) + [f"port {p}" for p in ports if port_open(p)]
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@contextmanager
def probing(url: str) -> Iterator[list[str]]:
    """GET `url` every 0.1 s until the block ends; yields the failures, as they happen."""
    failures: list[str] = []
    done = threading.Event()

    def probe() -> None:
        while not done.wait(0.1):
            try:
                status = httpx.get(url, timeout=5).status_code
                if status != 200:
                    failures.append(f"status {status}")
            except httpx.HTTPError as exc:
                failures.append(repr(exc))

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    try:
        yield failures
    finally:
        done.set()
        prober.join()


def urls_of(settings) -> dict[str, str]:
    """The test servers' URLs, for a stack that starts no embedded server."""
    return {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "REDIS_PREFIX": settings.redis_prefix,  # so the test cleanup finds its keys
        "QUEUE_NAME": settings.queue_name,
    }


def beating_pids(redis: Redis, prefix: str) -> set[int]:
    """Pids of the workers with a heartbeat (worker ids are host:pid:suffix)."""
    members = cast(list[bytes], redis.zrange(f"{prefix}:workers", 0, -1))  # sync client
    return {int(member.decode().split(":")[1]) for member in members}


def test_make_run_end_to_end(tmp_path: Path):
    data_dir = tmp_path / "data"
    ports = (free_port(), free_port(), free_port())

    stack = Stack(data_dir, *ports)
    try:
        key = stack.wait_for_line("API key:").split("API key:")[1].strip()
        stack.wait_for_line("try: curl")
        stack.wait_ready()
        response = httpx.get(
            f"{stack.base}/v1/workspace", headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == 200
        assert response.json()["name"] == "Demo workspace"
    finally:
        output = stack.ctrl_c()
    assert left_behind(data_dir, ports) == []
    assert "campaignops dev | stopped" in output

    # Data survives a restart: the same key still works, no second demo workspace.
    again = Stack(data_dir, *ports)
    try:
        again.wait_for_line("workspace exists")
        again.wait_ready()
        response = httpx.get(
            f"{again.base}/v1/workspace", headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == 200
    finally:
        # Even a supervisor killed outright takes its servers with it (parent-death signal).
        again.process.kill()
        again.process.wait(10)
    assert left_behind(data_dir, ports) == []


@pytest.mark.committed
def test_with_urls_set_no_embedded_server_starts(tmp_path: Path, settings):
    data_dir = tmp_path / "data"
    stack = Stack(data_dir, free_port(), free_port(), free_port(), extra_env=urls_of(settings))
    try:
        stack.wait_for_line("try: curl")
        stack.wait_ready()
    finally:
        output = stack.ctrl_c()
    assert "embedded" not in output
    assert not (data_dir / "postgres").exists()
    assert not (data_dir / "redis").exists()


@pytest.mark.committed
def test_a_killed_worker_is_restarted_while_the_api_keeps_answering(
    tmp_path: Path,
    settings,
    runtime,  # truncates the demo workspace afterwards
):
    stack = Stack(tmp_path / "data", free_port(), free_port(), free_port(), urls_of(settings))
    redis = Redis.from_url(settings.redis_url)
    try:
        stack.wait_for_line("try: curl")
        stack.wait_ready()
        api, worker = stack.child("api"), stack.child("worker")
        with probing(f"{stack.base}/healthz") as api_failures:
            worker.kill()
            stack.wait_for_line("worker exited with code -9; restarting in 1s")
            restarted = stack.wait_for_line("worker restarted (pid ")
            pid = int(restarted.split("(pid ")[1].split(")")[0])
            assert pid != worker.pid
            deadline = time.monotonic() + 60
            while pid not in beating_pids(redis, settings.redis_prefix):
                assert time.monotonic() < deadline, "the new worker never beat"
                time.sleep(0.1)
        assert api_failures == []
        assert stack.child("api").pid == api.pid  # the API was left alone
    finally:
        output = stack.ctrl_c()
        redis.close()
    assert "campaignops dev | stopped" in output
    assert not psutil.pid_exists(pid)  # the restarted worker was stopped too


@pytest.mark.committed
def test_a_killed_embedded_redis_is_restarted_and_the_worker_carries_on(
    tmp_path: Path,
    settings,
    runtime,  # truncates the demo workspace afterwards
):
    data_dir = tmp_path / "data"
    ports = (free_port(), free_port(), free_port())
    # The test database (no embedded PostgreSQL to initialise), an embedded Redis.
    stack = Stack(data_dir, *ports, extra_env={"DATABASE_URL": settings.database_url})
    try:
        stack.wait_for_line("try: curl")
        stack.wait_ready()
        worker = stack.child("worker")
        stack.child("redis-server").kill()
        stack.wait_for_line("redis exited with code -9; restarting in 1s")
        stack.wait_for_line(f"redis restarted (127.0.0.1:{ports[2]})")
        stack.wait_for_line("redis reachable again")  # the worker's log: it reconnected
        stack.wait_ready()
        assert stack.child("worker").pid == worker.pid
    finally:
        output = stack.ctrl_c()
    assert left_behind(data_dir, ports) == []
    assert "campaignops dev | stopped" in output
