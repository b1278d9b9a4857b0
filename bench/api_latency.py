"""Latency and throughput of the API's request path (auth, transaction, query, JSON).

Starts embedded PostgreSQL and Redis in a temporary directory (or uses DATABASE_URL /
REDIS_URL), one `campaignops api` process, and drives it over loopback with httpx:

    .venv/bin/python -m bench.api_latency [--requests 2000] [--concurrency 8]

Prints p50/p95/p99 latency and requests per second for a read, a paginated list and
an idempotent create.
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from shared import migrate
from shared.embedded import ChildServer, EmbeddedPostgres, EmbeddedRedis, free_port
from tests.live import create_workspace, live_api


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


async def drive(
    client: httpx.AsyncClient, name: str, make_request: Request, total: int, concurrency: int
) -> None:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))

    async def user() -> None:
        nonlocal errors
        for i in counter:
            started = time.perf_counter()
            response = await make_request(client, i)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code >= 400:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(user() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    print(
        f"{name:<28} n={total:<6} p50={statistics.median(latencies):6.2f} ms  "
        f"p95={percentile(latencies, 0.95):6.2f} ms  p99={percentile(latencies, 0.99):6.2f} ms  "
        f"{total / elapsed:7.0f} req/s  errors={errors}"
    )


async def run(base: str, key: str, total: int, concurrency: int) -> None:
    auth = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=auth, limits=limits) as client:
        for i in range(60):  # a list to page through
            await client.post("/v1/members", json={"name": f"M {i}", "email": f"m{i}@example.com"})

        async def read(c: httpx.AsyncClient, i: int) -> httpx.Response:
            return await c.get("/v1/workspace")

        async def page(c: httpx.AsyncClient, i: int) -> httpx.Response:
            return await c.get("/v1/members", params={"limit": 50})

        async def create(c: httpx.AsyncClient, i: int) -> httpx.Response:
            return await c.post(
                "/v1/members",
                json={"name": f"Bench {i}", "email": f"bench-{uuid.uuid4().hex}@example.com"},
                headers={"Idempotency-Key": f"bench-{i}-{uuid.uuid4().hex}"},
            )

        await drive(client, "GET /v1/workspace", read, total // 10, concurrency)  # warm-up
        await drive(client, "GET /v1/workspace", read, total, concurrency)
        await drive(client, "GET /v1/members?limit=50", page, total, concurrency)
        await drive(client, "POST /v1/members (idem.)", create, total, concurrency)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="campaignops-bench-") as tmp:
        servers: list[ChildServer] = []
        database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
        if not database_url:
            postgres = EmbeddedPostgres(Path(tmp) / "postgres", free_port(), durable=True)
            servers.append(postgres)
            database_url = postgres.start(f"bench_{uuid.uuid4().hex[:8]}")
        if not redis_url:
            redis = EmbeddedRedis(Path(tmp) / "redis", free_port(), durable=False)
            servers.append(redis)
            redis_url = redis.start()
        try:
            migrate.upgrade(database_url)
            env = {
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "LOG_LEVEL": "WARNING",
                "RATE_LIMIT_PER_MINUTE": "0",
            }
            key = create_workspace(env, "Bench")
            with live_api(env) as base:
                print(
                    f"one API process (uvicorn), {args.concurrency} concurrent clients, "
                    f"{os.cpu_count()} cores; PostgreSQL with fsync on"
                )
                asyncio.run(run(base, key, args.requests, args.concurrency))
        finally:
            for server in reversed(servers):
                server.stop()


if __name__ == "__main__":
    main()
