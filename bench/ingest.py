"""Signed metric batches end to end: webhook, PostgreSQL, queue, worker, figures and rollups.

    .venv/bin/python -m bench.ingest [--rate 25000] [--seconds 20] [--batch 1000]

One API process and one worker process (`campaignops api` and `campaignops worker`),
and a separate sender process posting signed batches at a fixed rate of points per
second (`--rate 0`: as fast as the API answers, on `--connections` connections). Prints
the rate points were applied at end to end (first batch sent to last batch applied),
the webhook answer times, and, as the physical reference, asyncpg COPY of the same rows
into a table shaped like metric_points: once per batch, and in one go.
"""

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from multiprocessing.queues import Queue
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import psutil
import uvloop
from sqlalchemy.ext.asyncio import AsyncSession

from bench.servers import servers
from shared.campaigns.models import Campaign, CampaignKind, CampaignStatus
from shared.db import create_engine
from shared.figures.models import CampaignChannel, Channel
from shared.integrations import service as integrations
from shared.integrations.signing import sign
from shared.metrics import service as metric_dictionary
from shared.workspaces import service as workspaces
from tests.live import live_api, live_worker

CAMPAIGNS, CHANNELS, HOURS = 20, 10, 10
METRICS = (
    "impressions",
    "clicks",
    "conversions",
    "orders",
    "new_users",
    "gmv",
    "revenue",
    "spend",
    "visitors",
    "search_volume",
)


async def seed(database_url: str) -> tuple[str, str, list[str]]:
    """A workspace with 20 active campaigns on 10 channels; returns integration, secret,
    and the campaigns' registration numbers."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            session = AsyncSession(bind=connection)
            workspace = await workspaces.create_workspace(session, name="Bench")
            await metric_dictionary.seed_standard(session, workspace_id=workspace.id)
            channels = [
                Channel(workspace_id=workspace.id, key=f"channel_{i}", name=f"Channel {i}")
                for i in range(CHANNELS)
            ]
            numbers = [f"CMP-2026-{i + 1:04d}" for i in range(CAMPAIGNS)]
            today = datetime.now(UTC).date()
            campaigns = [
                Campaign(
                    workspace_id=workspace.id,
                    name=f"Campaign {number}",
                    kind=CampaignKind.other,
                    status=CampaignStatus.active,
                    registration_number=number,
                    timezone="Asia/Shanghai",
                    currency="CNY",
                    start_date=today - timedelta(days=60),
                    end_date=today + timedelta(days=30),
                )
                for number in numbers
            ]
            session.add_all([*channels, *campaigns])
            await session.flush()
            session.add_all(
                CampaignChannel(
                    workspace_id=workspace.id, campaign_id=campaign.id, channel_id=channel.id
                )
                for campaign in campaigns
                for channel in channels
            )
            integration = await integrations.create_integration(
                session, workspace_id=workspace.id, data={"name": "Bench", "kind": "ad_platform"}
            )
            await session.flush()
            await session.close()
        return str(integration.id), integration.secret, numbers
    finally:
        await engine.dispose()


def batch_points(index: int, size: int, numbers: list[str]) -> list[dict[str, Any]]:
    """Batch `index`: one campaign, one day, every channel and metric, ten hours; set
    values, and every fifth batch increments. Batches spread over campaigns and days."""
    campaign = numbers[index % len(numbers)]
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
        days=1 + (index // len(numbers)) % 25
    )
    mode = "increment" if index % 5 == 4 else "set"
    points = [
        {
            "campaign": campaign,
            "channel": f"channel_{channel}",
            "metric": metric,
            "ts": (day + timedelta(hours=hour)).isoformat(),
            "value": (index * 7 + channel * 13 + hour) % 997,
            "mode": mode,
        }
        for hour in range(HOURS)
        for channel in range(CHANNELS)
        for metric in METRICS
    ]
    return points[:size]


class Connection:
    """A bare HTTP/1.1 keep-alive connection: the sender shares the API's two cores, and
    httpx spent a tenth of a core on it (4 ms a batch); this spends a tenth of that."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def post(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return int(status_line.split()[1]), await self.reader.readexactly(length)


def signed_request(url: str, secret: str, body: bytes) -> bytes:
    """The request head, signed now: requests are signed before the clock starts."""
    parts = urlsplit(url)
    message_id, now = f"msg_{uuid.uuid4().hex}", datetime.now(UTC)
    headers = {
        "host": parts.netloc,
        "content-type": "application/json",
        "content-length": str(len(body)),
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": sign(secret, message_id, now, body),
    }
    lines = [f"POST {parts.path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def send(
    urls: list[str],
    requests: list[tuple[bytes, bytes]],
    rate: float,
    batch: int,
    connections: int,
    results: "Queue[dict[str, Any]]",
) -> None:
    """The sender process: open loop at `rate` points/s (closed loop when 0). At a rate,
    each answer time counts from when the request was due, so a queue in the sender
    counts too; closed loop, from when it got a connection. The connections are spread
    over `urls` in turn (one API process each)."""

    async def run() -> dict[str, Any]:
        latencies: list[float] = []
        failures: list[str] = []
        pool: asyncio.Queue[Connection] = asyncio.Queue()
        for index in range(connections):
            parts = urlsplit(urls[index % len(urls)])
            pool.put_nowait(Connection(*await asyncio.open_connection(parts.hostname, parts.port)))

        async def post(head: bytes, body: bytes, due: float) -> None:
            connection = await pool.get()
            if not rate:  # closed loop: requests wait for a free connection by design
                due = time.perf_counter()
            try:
                status, answer = await connection.post(head, body)
            finally:
                pool.put_nowait(connection)
            latencies.append((time.perf_counter() - due) * 1000)
            if status != 202:
                failures.append(f"{status} {answer[:200]!r}")

        first, started = time.time(), time.perf_counter()
        pending = []
        for index, (head, body) in enumerate(requests):
            due = started + index * batch / rate if rate else time.perf_counter()
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            pending.append(asyncio.create_task(post(head, body, due)))
        await asyncio.gather(*pending)
        return {"first": first, "last": time.time(), "latencies": latencies, "failed": failures}

    results.put(uvloop.run(run()))


async def wait_applied(database_url: str, expected: int, within: float) -> tuple[float, int, int]:
    """Poll until `expected` batches are no longer waiting; (when, accepted, rejected)."""
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        deadline = time.time() + within
        while True:
            row = await connection.fetchrow(
                "SELECT count(*) FILTER (WHERE status <> 'received') AS done,"
                " coalesce(sum(accepted_count), 0) AS accepted,"
                " coalesce(sum(point_count - accepted_count), 0) AS rejected"
                " FROM ingest_batches"
            )
            assert row is not None
            if row["done"] >= expected or time.time() > deadline:
                return time.time(), int(row["accepted"]), int(row["rejected"])
            await asyncio.sleep(0.05)
    finally:
        await connection.close()


async def copy_reference(
    database_url: str, batches: list[list[dict[str, Any]]]
) -> tuple[float, float]:
    """Points per second of asyncpg COPY of the same rows: one COPY per batch, and one."""
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        await connection.execute("CREATE TABLE copy_reference (LIKE metric_points INCLUDING ALL)")
        ids = {
            row["registration_number"]: (row["id"], row["workspace_id"])
            for row in await connection.fetch(
                "SELECT id, workspace_id, registration_number FROM campaigns"
            )
        }
        channels = {
            r["key"]: r["id"] for r in await connection.fetch("SELECT id, key FROM channels")
        }
        now = datetime.now(UTC)
        records = [
            [
                (
                    ids[p["campaign"]][0],
                    p["metric"],
                    channels[p["channel"]],
                    datetime.fromisoformat(p["ts"]),
                    ids[p["campaign"]][1],
                    Decimal(p["value"]),
                    now,
                )
                for p in points
            ]
            for points in batches
        ]
        # The same key in two batches would collide; the reference inserts each once.
        seen: set[tuple[Any, ...]] = set()
        unique: list[list[tuple[Any, ...]]] = []
        for rows in records:
            unique.append([r for r in rows if r[:4] not in seen])
            seen.update(r[:4] for r in rows)
        columns = ["campaign_id", "metric_key", "channel_id", "bucket", "workspace_id", "value",
                   "updated_at"]  # fmt: skip
        total = sum(len(rows) for rows in unique)
        started = time.perf_counter()
        for rows in unique:
            async with connection.transaction():
                await connection.copy_records_to_table(
                    "copy_reference", records=rows, columns=columns
                )
        per_batch = total / (time.perf_counter() - started)
        await connection.execute("TRUNCATE copy_reference")
        started = time.perf_counter()
        await connection.copy_records_to_table(
            "copy_reference", records=[r for rows in unique for r in rows], columns=columns
        )
        in_one = total / (time.perf_counter() - started)
        await connection.execute("DROP TABLE copy_reference")
        return per_batch, in_one
    finally:
        await connection.close()


def role(process: psutil.Process) -> str:
    command = " ".join(process.cmdline())
    for name in ("postgres", "redis", "api", "worker"):
        if name in command:
            return name
    return "sender" if "multiprocessing" in command else "other"


def cpu_seconds() -> dict[int, tuple[str, float]]:
    """CPU time so far of each process this benchmark started (servers included)."""
    found = {}
    for process in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            found[process.pid] = (role(process), times.user + times.system)
    return found


def within_server(metrics: str) -> dict[str, float]:
    """The API's own view (from its /metrics histogram): share of webhooks answered
    within each bound, from the request's arrival to its response, client excluded."""
    route = 'method="POST",route="/v1/ingest/{integration_id}"'
    counts = {}
    for line in metrics.splitlines():
        if line.startswith("campaignops_http_request_duration_seconds_bucket") and route in line:
            bound = line.split('le="')[1].split('"')[0]
            counts[bound] = float(line.rsplit(" ", 1)[1])
    total = counts.get("+Inf", 0) or 1
    return {bound: counts[bound] / total for bound in ("0.025", "0.05", "0.1") if bound in counts}


async def wal_position(database_url: str) -> int:
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        return int(await connection.fetchval("SELECT pg_current_wal_lsn() - '0/0'"))
    finally:
        await connection.close()


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=25_000, help="points/s; 0 = flat out")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    count = int(args.seconds * (args.rate or 25_000) / args.batch)

    with servers("ingest") as (database_url, redis_url):
        integration_id, secret, numbers = asyncio.run(seed(database_url))
        batches = [batch_points(i, args.batch, numbers) for i in range(count)]
        bodies = [json.dumps({"points": points}).encode() for points in batches]
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "LOG_LEVEL": "WARNING",
            "RATE_LIMIT_PER_MINUTE": "0",
        }
        with live_worker(env), live_api(env) as base:
            url = f"{base}/v1/ingest/{integration_id}"
            warm = batch_points(count + 1, 10, numbers)  # first requests pay for imports
            for _ in range(3):
                now, message = datetime.now(UTC), f"msg_{uuid.uuid4().hex}"
                body = json.dumps({"points": warm}).encode()
                httpx.post(url, content=body, headers={
                    "content-type": "application/json", "webhook-id": message,
                    "webhook-timestamp": str(int(now.timestamp())),
                    "webhook-signature": sign(secret, message, now, body),
                }).raise_for_status()  # fmt: skip
            asyncio.run(wait_applied(database_url, 3, 30))

            context = multiprocessing.get_context("spawn")
            results: Queue[dict[str, Any]] = context.Queue()
            requests = [(signed_request(url, secret, body), body) for body in bodies]
            sender = context.Process(
                target=send,
                args=([url], requests, args.rate, args.batch, args.connections, results),
            )
            wal_before = asyncio.run(wal_position(database_url))
            before = cpu_seconds()
            sender.start()
            time.sleep(1)
            with_sender = cpu_seconds()  # the sender's pid, before it ends
            outcome = results.get()
            during = cpu_seconds() | {
                pid: found for pid, found in with_sender.items() if found[0] == "sender"
            }
            sender.join()
            finished, accepted, rejected = asyncio.run(wait_applied(database_url, count + 3, 600))
            after = cpu_seconds()
            wal = asyncio.run(wal_position(database_url)) - wal_before
            server_side = within_server(httpx.get(f"{base}/metrics").text)
        per_batch, in_one = asyncio.run(copy_reference(database_url, batches))

    points = count * args.batch
    sent_for = outcome["last"] - outcome["first"]
    latencies = outcome["latencies"]
    print(
        f"{count} signed batches of {args.batch} points ({points:,} points), "
        f"1 API process + 1 worker, {os.cpu_count()} cores"
    )
    if outcome["failed"]:
        print(f"  NOT ACCEPTED: {len(outcome['failed'])}, first: {outcome['failed'][0]}")
    print(f"  sent at                  {points / sent_for:10,.0f} points/s over {sent_for:.1f} s")
    print(
        f"  applied end to end       {points / (finished - outcome['first']):10,.0f} points/s "
        f"(last batch applied {finished - outcome['last']:.1f} s after the last was sent)"
    )
    print(f"  points accepted/rejected {accepted - 30:>10,} / {rejected}")
    print(
        f"  webhook answer           p50 {statistics.median(latencies):6.1f} ms   "
        f"p99 {percentile(latencies, 0.99):6.1f} ms   max {max(latencies):6.1f} ms"
    )
    print(
        "  webhook, server side     "
        + ", ".join(
            f"{share:.1%} within {float(b) * 1000:.0f} ms" for b, share in server_side.items()
        )
    )
    used: dict[str, float] = {}
    for pid, (name, seconds) in (during | after).items():
        used[name] = used.get(name, 0) + seconds - before.get(pid, (name, 0.0))[1]
    elapsed = finished - outcome["first"]
    print(
        "  CPU cores used           "
        + ", ".join(f"{name} {seconds / elapsed:.2f}" for name, seconds in sorted(used.items()))
    )
    print(f"  PostgreSQL WAL written   {wal / points:10,.0f} bytes per point")
    print(f"  asyncpg COPY, per batch  {per_batch:10,.0f} points/s (a transaction per batch)")
    print(f"  asyncpg COPY, in one go  {in_one:10,.0f} points/s")


if __name__ == "__main__":
    main()
