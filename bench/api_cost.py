"""What the API's own machinery costs: three calls against minimal apps doing the same work.

    .venv/bin/python -m bench.api_cost [--duration 10] [--rounds 3] [--connections 16]
        [--profile DIR]

Starts embedded PostgreSQL (fsync on) and Redis (or uses DATABASE_URL / REDIS_URL), one
`campaignops api` process (rate limit off, INFO access logs to a file) and one reference
app per call (bench/reference_apps.py) on its own port, then drives the service and the
reference in turn, round after round, with `wrk -t1 -cN -dD --latency` (install it with
`apt-get install -y wrk`; without it an httpx load generator runs in a separate process,
which is slower and less precise).

The calls: an authenticated read of one resource (GET /v1/workspace), a page of 50
campaigns with filters, and an idempotent campaign create. Prints the mean req/s over the
rounds, the median p50 and the worst p99, the API process's CPU per request (psutil),
the reference's mean req/s and worst p99, and the ratio of the means (each round's
ratio beside it). With --profile, the API runs under pyinstrument and its text report is written
to DIR/api-profile.txt (the figures then include the profiler's overhead).
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import psutil

from bench.servers import servers
from shared.embedded import free_port
from tests.live import create_workspace

PAGE_QUERY = "/v1/campaigns?status=draft&kind=promotion&limit=50"
SEEDED_CAMPAIGNS = 60

CREATE_SCRIPT = """
local counter = 0
local prefix, auth = "", ""
function init(args)
  prefix, auth = args[1], args[2]
end
function request()
  counter = counter + 1
  local key = prefix .. "-" .. counter
  local body = '{"name": "Bench ' .. key .. '", "kind": "brand_awareness"}'
  return wrk.format("POST", "/v1/campaigns", {
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key,
    ["Authorization"] = auth,
  }, body)
end
"""


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    failures: int


@dataclass(frozen=True)
class Call:
    name: str
    method: str
    path: str
    reference: str | None  # REFERENCE_CALL of its reference app


CALLS = (
    Call("GET /v1/workspace (key)", "GET", "/v1/workspace", "read"),
    Call("GET campaigns page of 50", "GET", PAGE_QUERY, "page"),
    Call("POST campaign (idempotent)", "POST", "/v1/campaigns", "create"),
    Call("GET /healthz", "GET", "/healthz", None),
)


def _milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(base: str, call: Call, key: str, seconds: int, connections: int, tmp: Path) -> Load:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if call.method == "POST":
        script = tmp / "create.lua"
        script.write_text(CREATE_SCRIPT)
        command += ["-s", str(script), base + call.path, "--", uuid.uuid4().hex, f"Bearer {key}"]
    else:
        command += ["-H", f"Authorization: Bearer {key}", base + call.path]
    # The command is ours: wrk and its arguments.
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    if "99" not in percentiles:
        raise RuntimeError(f"unexpected output of {command}:\n{output}")
    failures = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: .*?timeout (\d+)", output)
    return Load(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        p50_ms=_milliseconds(percentiles["50"]),
        p99_ms=_milliseconds(percentiles["99"]),
        requests=int(re.search(r"(\d+) requests in", output).group(1)),  # type: ignore[union-attr]
        failures=(int(failures.group(1)) if failures else 0)
        + (int(errors.group(1)) if errors else 0),
    )


async def _httpx_load(url: str, method: str, key: str, seconds: float, connections: int) -> Load:
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:

        async def user() -> None:
            nonlocal failures
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                if method == "POST":
                    idem = uuid.uuid4().hex
                    body = {"name": f"Bench {idem}", "kind": "brand_awareness"}
                    response = await client.post(url, json=body, headers={"Idempotency-Key": idem})
                else:
                    response = await client.get(url)
                latencies.append((time.perf_counter() - started) * 1000)
                failures += response.status_code >= 400

        started = time.perf_counter()
        await asyncio.gather(*(user() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return Load(
        requests_per_second=len(latencies) / elapsed,
        p50_ms=latencies[len(latencies) // 2],
        p99_ms=latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        requests=len(latencies),
        failures=failures,
    )


def run_httpx(base: str, call: Call, key: str, seconds: int, connections: int) -> Load:
    """The fallback load generator, in its own process so it does not share the GIL."""
    command = [sys.executable, "-m", "bench.api_cost", "--drive", base + call.path, call.method]
    output = subprocess.run(  # noqa: S603 - our own module
        [*command, key, str(seconds), str(connections)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return Load(**json.loads(output))


def load(base: str, call: Call, key: str, seconds: int, connections: int, tmp: Path) -> Load:
    if shutil.which("wrk"):
        return run_wrk(base, call, key, seconds, connections, tmp)
    return run_httpx(base, call, key, seconds, connections)


@contextmanager
def server(
    command: list[str], env: dict[str, str], log: Path, *, port_flag: bool = False
) -> Iterator[tuple[str, int]]:
    """Run an HTTP server until the block ends; yields its base URL and process id.

    The port goes to `campaignops api` by API_PORT, to uvicorn by `--port` (port_flag)."""
    port = free_port()
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 - our servers
            [*command, "--port", str(port)] if port_flag else command,
            env=os.environ | env | {"API_PORT": str(port)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a profiled start is slow
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{command} did not start; see {log}") from None
                time.sleep(0.1)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(30)


def _reference_command() -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.reference_apps:create_app",
        "--factory",
        "--no-access-log",
        "--log-level",
        "warning",
    ]


async def _ids(database_url: str) -> tuple[str, str]:
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    try:
        row = await connection.fetchrow("SELECT id, workspace_id FROM api_keys LIMIT 1")
    finally:
        await connection.close()
    assert row is not None
    return str(row["workspace_id"]), str(row["id"])


def seed(base: str, key: str) -> None:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
        for i in range(SEEDED_CAMPAIGNS):
            response = client.post("/v1/campaigns", json={"name": f"Seed {i}", "kind": "promotion"})
            response.raise_for_status()


def measure(args: argparse.Namespace) -> None:
    with servers("api-cost") as (database_url, redis_url), tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "LOG_LEVEL": "INFO",
            "RATE_LIMIT_PER_MINUTE": "0",
        }
        key = create_workspace(env, "Bench")
        workspace_id, api_key_id = asyncio.run(_ids(database_url))
        api = [sys.executable, "-m", "services.cli", "api"]
        if args.profile:
            report = Path(args.profile) / "api-profile.txt"
            api = [sys.executable, "-m", "bench.api_cost", "--serve-profiled", str(report)]
        results: list[Measured] = []
        with server(api, env, tmp / "api.log") as (base, pid):
            seed(base, key)
            process = psutil.Process(pid)
            for call in CALLS:
                load(base, call, key, 2, args.connections, tmp)  # warm-up
                if not call.reference:
                    results.append(_rounds(process, call, base, None, key, args, tmp))
                    continue
                ref_env = env | {
                    "REFERENCE_CALL": call.reference,
                    "WORKSPACE_ID": workspace_id,
                    "API_KEY_ID": api_key_id,
                }
                log = tmp / "reference.log"
                with server(_reference_command(), ref_env, log, port_flag=True) as (ref_base, _):
                    load(ref_base, call, key, 2, args.connections, tmp)
                    results.append(_rounds(process, call, base, ref_base, key, args, tmp))
        report_table(results, args)


@dataclass(frozen=True)
class Measured:
    call: Call
    rounds: list[Load]
    cpu_ms_per_request: float
    reference_rounds: list[Load]

    def ratios(self) -> list[float]:
        return [
            ours.requests_per_second / theirs.requests_per_second
            for ours, theirs in zip(self.rounds, self.reference_rounds, strict=True)
        ]


def _rounds(
    process: psutil.Process,
    call: Call,
    base: str,
    ref_base: str | None,
    key: str,
    args: argparse.Namespace,
    tmp: Path,
) -> Measured:
    """The service and its reference in turn, round after round: the machine's speed drifts
    (steal time), and a ratio of two runs minutes apart measured the drift as much as us."""
    rounds: list[Load] = []
    reference_rounds: list[Load] = []
    cpu = 0.0
    for _ in range(args.rounds):
        before = process.cpu_times()
        rounds.append(load(base, call, key, args.duration, args.connections, tmp))
        after = process.cpu_times()
        cpu += (after.user + after.system) - (before.user + before.system)
        if ref_base is not None:
            reference_rounds.append(load(ref_base, call, key, args.duration, args.connections, tmp))
    requests = sum(r.requests for r in rounds)
    return Measured(call, rounds, cpu * 1000 / max(1, requests), reference_rounds)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def report_table(results: list[Measured], args: argparse.Namespace) -> None:
    tool = "wrk -t1" if shutil.which("wrk") else "httpx (no wrk)"
    print(
        f"{tool} -c{args.connections}, {args.rounds} rounds of {args.duration} s, the service "
        f"and its reference in turn; one API process, rate limit off, INFO logs; PostgreSQL "
        f"fsync on; {os.cpu_count()} cores; load average "
        f"{Path('/proc/loadavg').read_text().split()[0]}"
    )
    print(
        "| call | campaignops req/s | p50 ms | worst p99 ms | CPU ms/req | reference req/s "
        "| reference worst p99 ms | ratio (per round) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for measured in results:
        rounds = measured.rounds
        mean = _mean([r.requests_per_second for r in rounds])
        ref = "— | — | —"
        if measured.reference_rounds:
            theirs = _mean([r.requests_per_second for r in measured.reference_rounds])
            worst = max(r.p99_ms for r in measured.reference_rounds)
            each = ", ".join(f"{ratio:.2f}" for ratio in measured.ratios())
            ref = f"{theirs:.0f} | {worst:.1f} | {mean / theirs:.2f}x ({each})"
        failures = sum(r.failures for r in rounds)
        failed = f" ({failures} failed)" if failures else ""
        p50 = sorted(r.p50_ms for r in rounds)[len(rounds) // 2]
        print(
            f"| {measured.call.name}{failed} | {mean:.0f} | {p50:.1f} | "
            f"{max(r.p99_ms for r in rounds):.1f} | {measured.cpu_ms_per_request:.2f} | {ref} |"
        )


def serve_profiled(report: Path) -> None:
    """`campaignops api` in a pyinstrument profile, written when the server stops."""
    import uvicorn  # noqa: PLC0415 - only this child process serves
    from pyinstrument import Profiler  # noqa: PLC0415

    from shared.config import get_settings  # noqa: PLC0415

    # uvicorn re-raises SIGTERM once it has shut down: a no-op handler lets the report be written.
    signal.signal(signal.SIGTERM, lambda *_: None)
    profiler = Profiler(interval=0.002, async_mode="disabled", use_timing_thread=True)
    profiler.start()
    uvicorn.run(
        "services.api.app:create_app",
        factory=True,
        port=get_settings().api_port,
        log_config=None,
        access_log=False,
    )
    profiler.stop()
    report.write_text(profiler.output_text(show_all=False))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-profiled":
        serve_profiled(Path(sys.argv[2]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--drive":  # the httpx fallback's child process
        url, method, key, seconds, connections = sys.argv[2:7]
        result = asyncio.run(_httpx_load(url, method, key, float(seconds), int(connections)))
        print(json.dumps(result.__dict__))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10, help="seconds per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--profile", help="write the API's pyinstrument profile to this folder")
    measure(parser.parse_args())


if __name__ == "__main__":
    main()
