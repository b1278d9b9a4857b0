"""N `campaignops api` processes and M `campaignops worker` processes on one PostgreSQL and
Redis, for the scale-out benchmark: the APIs each on a port of their own (the sender
spreads its connections over the list), the workers all on the one queue."""

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from shared.embedded import free_port

# The APIs start together and may take a while: importing the code base costs ~6 s of
# CPU, and on a loaded 2-core machine that was 20 s each, past tests.live's 30 s wait;
# and a busy worker may need more than its 10 s to stop, after which it is killed here
# rather than left running.
START_WITHIN = 180.0


def _start(command: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "services.cli", command]
    return subprocess.Popen(argv, env=os.environ | env)  # noqa: S603 - our own module


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def cluster(env: dict[str, str], *, apis: int, workers: int) -> Iterator[list[str]]:
    """Start the workers and the APIs; yield the APIs' base URLs once all answer."""
    # Compiled modules kept outside the checkout, so that each process compiles once.
    cache = Path(tempfile.gettempdir()) / "campaignops-bench-pycache"
    env = env | {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(cache)}
    with ExitStack() as stack:
        for _ in range(workers):
            stack.callback(_stop, _start("worker", env))
        bases = []
        for _ in range(apis):
            port = free_port()
            process = _start("api", env | {"API_PORT": str(port)})
            stack.callback(_stop, process)
            bases.append((f"http://127.0.0.1:{port}", process))
        deadline = time.monotonic() + START_WITHIN
        for base, process in bases:
            while True:
                try:
                    httpx.get(f"{base}/healthz", timeout=1)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError(f"the API at {base} did not start") from None
                    time.sleep(0.2)
        yield [base for base, _ in bases]
