"""Live `campaignops api` and `worker` processes, for tests and benchmarks."""

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from shared.embedded import free_port


def create_workspace(env: dict[str, str], name: str) -> str:
    """Create a workspace with the CLI; return its admin API key."""
    created = subprocess.run(
        [sys.executable, "-m", "services.cli", "workspace", "create", name],
        env=os.environ | env,
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"(cok_\S+)", created.stdout)
    assert match, created.stdout
    return match.group(1)


@contextmanager
def live_api(env: dict[str, str], *, log: Path | None = None) -> Iterator[str]:
    """Run `campaignops api` on a free port until the block ends; yields its base URL.

    With `log`, its output goes to that file (as for `live_worker`).
    """
    port = free_port()
    with ExitStack() as stack:
        output = stack.enter_context(log.open("ab")) if log is not None else None
        server = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "api"],
            env=os.environ | env | {"API_PORT": str(port)},
            stdout=output,
            stderr=subprocess.STDOUT if output is not None else None,
        )
        yield from _serving(server, f"http://127.0.0.1:{port}")


def _serving(server: subprocess.Popen[bytes], base: str) -> Iterator[str]:
    try:
        deadline = time.monotonic() + 60  # imports alone took 30 s on a busy 2-core machine
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the API did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        _stop(server)


@contextmanager
def live_worker(
    env: dict[str, str], *, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `campaignops worker` until the block ends; yields its process.

    With `log`, its output goes to that file (a file, not a pipe nobody reads: a full
    pipe would block the worker).
    """
    with ExitStack() as stack:
        output = stack.enter_context(log.open("ab")) if log is not None else None
        worker = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "worker"],
            env=os.environ | env,
            stdout=output,
            stderr=subprocess.STDOUT if output is not None else None,
        )
        try:
            yield worker
        finally:
            _stop(worker)


def _stop(process: subprocess.Popen[bytes], grace: float = 20) -> None:
    """SIGTERM, then SIGKILL if it has not ended within `grace`: never left running."""
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
